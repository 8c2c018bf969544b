"""The shapes of the inbox and of a message written to a debtor."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_shared.db import aware


class MessageOut(BaseModel):
    message_id: str
    debtor_id: str
    debtor_name: str | None = None
    thread_id: str
    direction: str
    state: str
    channel: str | None
    subject: str | None
    detail: str | None
    invoice_ids: list[str]
    read: bool
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = None


class SendMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debtor_id: str = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=20_000)
    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    thread_id: str | None = Field(None, max_length=100)
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2}$",
        description="default: the debtor's; without one, their country's where the "
        "administration has templates in it, else the administration's",
    )
    tone: Literal["formal", "informal"] = "formal"


def message_out(row: Any, debtor_name: str | None = None) -> MessageOut:
    """The message of a read-model row, with the debtor's name (given, or joined by the
    query as `debtor_name`)."""
    return MessageOut(
        message_id=row.message_id,
        debtor_id=row.debtor_id,
        debtor_name=debtor_name or getattr(row, "debtor_name", None),
        thread_id=row.thread_id,
        direction=row.direction,
        state=row.state,
        channel=row.channel,
        subject=row.subject,
        detail=row.detail,
        invoice_ids=list(row.invoice_ids),
        read=row.read,
        created_at=aware(row.created_at),
    )


class RecipientOut(BaseModel):
    address: str
    name: str | None


class AttachmentOut(BaseModel):
    attachment_id: str
    filename: str
    mime_type: str
    size_bytes: int


class MessageDetail(BaseModel):
    """A message with its text, as messaging keeps it."""

    model_config = ConfigDict(extra="ignore")

    message_id: str
    thread_id: str
    direction: str = Field(description="outbound (ours) or inbound (the debtor's)")
    channel: str
    state: str
    unread: bool
    debtor_id: str
    invoice_ids: list[str]
    template_key: str | None
    language: str | None
    subject: str
    body_text: str = Field(description="plain text; escape it when showing it as HTML")
    body_html: str | None = Field(
        description="ours: the HTML part we sent; the debtor's: their text escaped for HTML "
        "(never their own markup)"
    )
    sender_name: str | None
    sender_address: str | None
    recipients: list[RecipientOut]
    attachments: list[AttachmentOut]
    failure_reason: str | None
    failure_detail: str | None
    bounce_kind: str | None
    bounce_detail: str | None
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class ThreadOut(BaseModel):
    thread_id: str
    debtor_id: str
    debtor_name: str | None
    messages: list[MessageDetail] = Field(description="newest first")
    next_cursor: str | None = Field(None, description="pass as `cursor` for older messages")


class ThreadReplyIn(BaseModel):
    """A message to the debtor in the thread: the subject of its last message is kept."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)
    subject: str | None = Field(
        None, min_length=1, max_length=250, description='default: "Re: " and the last subject'
    )
    language: str | None = Field(None, pattern=r"^[a-z]{2}$")
    tone: Literal["formal", "informal"] = "formal"


class MarkedRead(BaseModel):
    marked: int = Field(description="how many unread replies were marked read")


class BlockedAddressOut(BaseModel):
    address: str
    reason: str = Field(description="the bounce that blocked it, as the mail server said it")
    blocked_at: datetime


class BlockedAddressPage(BaseModel):
    """Addresses no email goes to since a hard bounce (the bounce policy blocks them)."""

    items: list[BlockedAddressOut]
    next_after: str | None = Field(None, description="pass as `after` for the next page")


class UnblockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=320, description="a blocked address")
