"""What the messaging service publishes: messages sent, failed and bounced, letters waiting to be
posted, debtors' replies and replies read. Dunning turns them into attention items and reacts
to bounces; the gateway shows them on the timeline."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from settle_shared.events.base import Event, Topic, event, topic

MESSAGES = topic(
    "messaging.messages.v1",
    producer="messaging",
    key="debtor_id: everything that happens to one debtor's messages (sent, bounced, replied, "
    "read) stays in order, which is how dunning and the gateway count unread replies and "
    "undeliverable addresses per debtor",
    description="Outbound messages sent, failed or bounced, letters waiting to be posted, "
    "replies received from debtors and replies read.",
)

# SMS is not sent yet (no SMS provider adapter exists): a request for it fails at once.
Channel = Literal["email", "letter", "sms"]


class MessageEvent(Event):
    topic: ClassVar[Topic] = MESSAGES

    administration_id: str
    message_id: str = Field(description="Settle's id of the message (outbound or a reply)")
    message_request_id: str | None = Field(
        None,
        description="the request the message answers (dunning's MessageRequested), None for a "
        "message a user wrote",
    )
    debtor_id: str
    invoice_ids: list[str] = Field(default_factory=list, description="invoices it is about")
    case_id: str | None = Field(None, description="the collection case it belongs to, if any")
    thread_id: str = Field(description="the conversation the message belongs to")
    subject_line: str | None = Field(
        None,
        description="the message's subject as it was rendered (what the debtor sees); None "
        "from producers that did not carry it yet",
    )

    def key(self) -> str:
        return self.debtor_id


@event
class MessageSent(MessageEvent):
    """An email was accepted by the SMTP server, or a letter was marked as posted."""

    event_type: ClassVar[str] = "settle.messaging.message.sent"

    channel: Channel
    recipients: list[str] = Field(
        default_factory=list, description="email addresses (empty for a letter)"
    )
    template_key: str | None = None
    sent_at: datetime
    legally_required: bool = Field(
        False, description="the consumer's 14-day letter: proof that it went out"
    )


@event
class MessageFailed(MessageEvent):
    """A message could not be sent and will not be retried."""

    event_type: ClassVar[str] = "settle.messaging.message.failed"

    channel: Channel
    reason: Literal[
        "email_missing",
        "invalid_email_address",
        "address_blocked",
        "missing_postal_address",
        "template_error",
        "smtp_rejected",
        "gave_up",
        "channel_unavailable",
    ] = Field(
        description="reason code, for attention items; channel_unavailable: Settle cannot send "
        "on this channel (SMS: no provider is configured)"
    )
    detail: str = Field(description="what went wrong, for a person to read")
    failed_at: datetime


@event
class MessageBounced(MessageEvent):
    """An email came back: a delivery-status notification, or the SMTP server refused the
    recipient while sending. Hard: the address will not work; soft: it may later."""

    event_type: ClassVar[str] = "settle.messaging.message.bounced"

    kind: Literal["hard", "soft"]
    recipient: str | None = Field(None, description="the address that bounced, when known")
    reason: str = Field(description="status and diagnostic as the reporting server gave them")
    policy: Literal["block", "letter", "both"] = Field(
        description="the administration's choice for undeliverable addresses; with letter or "
        "both, messaging has queued a letter in the email's place"
    )
    fallback_letter_message_id: str | None = Field(
        None, description="the letter queued instead, when the policy asks for one"
    )
    bounced_at: datetime


@event
class LetterAwaitingPosting(MessageEvent):
    """A letter was rendered and stored as PDF; a person (or a postal provider) must post it."""

    event_type: ClassVar[str] = "settle.messaging.letter.awaiting_posting"

    template_key: str | None = None
    legally_required: bool = False
    queued_at: datetime


@event
class ReplyReceived(MessageEvent):
    """A debtor answered, by email or on the reply page. It is unread until marked read."""

    event_type: ClassVar[str] = "settle.messaging.reply.received"

    in_reply_to_message_id: str | None = Field(
        None, description="the message of ours it answers, when known"
    )
    via: Literal["email", "reply_page"]
    sender: str | None = Field(None, description="the address it came from (email replies)")
    subject_line: str = Field(description="the subject of the reply")
    received_at: datetime


@event
class MessageRead(MessageEvent):
    """A user read a debtor's reply (or marked it unread again: `read` is false)."""

    event_type: ClassVar[str] = "settle.messaging.message.read"

    read: bool = True
    at: datetime
