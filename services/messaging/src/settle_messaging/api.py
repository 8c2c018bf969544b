"""The internal HTTP API for the gateway: the timeline and inbox of messages, marking replies
read, writing to a debtor, letters posted, templates and the sender profile. Every route lives
under /internal/v1/administrations/{administration_id}/ and every query is scoped to it."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from settle_messaging.application import administration, bounces
from settle_messaging.application.context import Messaging
from settle_messaging.application.inbound import mark_read, receive_portal_reply
from settle_messaging.application.outbound import (
    FreeMessage,
    mark_letter_posted,
    queue_free_message,
)
from settle_messaging.application.ports import Store, TimelineQuery
from settle_messaging.application.timeline import (
    TimelinePage,
    attachment_of,
    message_of,
    page_of,
)
from settle_messaging.domain.messages import Message
from settle_messaging.domain.model import Channel, TemplateKey, Tone
from settle_messaging.domain.profiles import AdministrationProfile
from settle_messaging.domain.states import Direction, MessageState
from settle_messaging.domain.templates import TemplateSource
from settle_shared.events.dunning import MessageDebtor

PREFIX = "/internal/v1/administrations/{administration_id}"
MAX_PAGE = 200


def get_messaging(request: Request) -> Messaging:
    messaging: Messaging = request.app.state.messaging
    return messaging


MessagingDep = Annotated[Messaging, Depends(get_messaging)]


async def get_store(messaging: MessagingDep) -> AsyncIterator[Store]:
    async with messaging.transaction() as store:
        yield store


StoreDep = Annotated[Store, Depends(get_store)]


class RecipientOut(BaseModel):
    address: str
    name: str | None


class AttachmentOut(BaseModel):
    attachment_id: str
    filename: str
    mime_type: str
    size_bytes: int


class MessageOut(BaseModel):
    """One message on a timeline."""

    message_id: str
    thread_id: str
    direction: Direction
    channel: str
    state: MessageState
    unread: bool
    debtor_id: str
    case_id: str | None
    invoice_ids: list[str]
    message_request_id: str | None
    template_key: str | None
    language: str | None
    subject: str
    body_text: str = Field(description="plain text; escape it when showing it as HTML")
    body_html: str | None = Field(
        None,
        description="outbound: the HTML part we sent; inbound: the reply's text escaped for "
        "HTML, line breaks as <br> (never the sender's own markup)",
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


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class FreeMessageIn(BaseModel):
    """A message a user writes to a debtor."""

    model_config = ConfigDict(extra="forbid")

    debtor: MessageDebtor
    language: str | None = Field(
        None,
        pattern=r"^[a-z]{2}$",
        description="default: the debtor's own; without one, their country's where the "
        "administration has the template in it; else the administration's",
    )
    tone: Tone = Tone.FORMAL
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=20_000)
    sender_name: str = Field(min_length=1, max_length=150)
    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    case_id: str | None = None
    thread_id: str | None = Field(None, description="continue this thread instead of a new one")


class Queued(BaseModel):
    message_id: str


class PortalReplyIn(BaseModel):
    """A reply a debtor wrote in the debtor portal."""

    model_config = ConfigDict(extra="forbid")

    debtor_id: str = Field(min_length=1, max_length=100, description="the portal link's debtor")
    text: str = Field(min_length=1, max_length=20_000)


class ReplyStored(BaseModel):
    message_id: str


class PreviewOut(BaseModel):
    subject: str
    text: str
    html: str
    language: str
    from_override: bool


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(max_length=2_000)
    text: str = Field(max_length=100_000)
    html: str | None = Field(None, max_length=200_000)


class TemplateVersionOut(BaseModel):
    template_key: str
    language: str
    customised: bool = Field(description="the administration has its own version")
    builtin: bool = Field(description="a built-in version exists in this language")


class TemplateSourceOut(TemplateIn):
    customised: bool = Field(description="the administration's own version (else the built-in)")


class ProfileIn(BaseModel):
    """How an administration signs its messages."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=50)
    website: str | None = Field(None, max_length=200)
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str = Field("NL", pattern=r"^[A-Z]{2}$")
    iban: str | None = Field(None, max_length=50)
    chamber_of_commerce: str | None = Field(None, max_length=50)
    default_language: str = Field("nl", pattern=r"^[a-z]{2}$")
    fallback_language: str = Field("en", pattern=r"^[a-z]{2}$")
    bounce_policy: Literal["block", "letter", "both"] | None = None


class BlockedAddressOut(BaseModel):
    address: str
    reason: str = Field(description="why it was blocked: the bounce as the mail server said it")
    blocked_at: datetime


class BlockedAddressPage(BaseModel):
    items: list[BlockedAddressOut]
    next_after: str | None = Field(None, description="ask again with after= for the next page")


class UnblockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=3, max_length=320)


router = APIRouter(prefix=PREFIX, tags=["messages"])


@router.get("/messages", response_model=MessagePage)
async def timeline(
    administration_id: str,
    store: StoreDep,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
    case_id: str | None = None,
    thread_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """The timeline of a debtor, an invoice, a case or a thread: newest first."""
    query = TimelineQuery(
        administration_id=administration_id,
        debtor_id=debtor_id,
        invoice_id=invoice_id,
        case_id=case_id,
        thread_id=thread_id,
    )
    return _page(await page_of(store, query, limit, cursor))


@router.get("/inbox", response_model=MessagePage)
async def inbox(
    administration_id: str,
    store: StoreDep,
    unread: bool = False,
    debtor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """Debtors' replies, newest first; `unread=true` for those nobody has read yet."""
    query = TimelineQuery(
        administration_id=administration_id,
        direction=Direction.INBOUND.value,
        state=MessageState.RECEIVED.value if unread else None,
        debtor_id=debtor_id,
    )
    return _page(await page_of(store, query, limit, cursor))


@router.get("/messages/{message_id}", response_model=MessageOut)
async def one_message(administration_id: str, message_id: str, store: StoreDep) -> MessageOut:
    """One message with its bodies, recipients and attachments."""
    return _message_out(await message_of(store, administration_id, message_id))


@router.post("/messages/{message_id}/read", status_code=204)
async def read(administration_id: str, message_id: str, messaging: MessagingDep) -> Response:
    """Mark a reply read."""
    async with messaging.transaction() as store:
        await mark_read(store, messaging, administration_id, message_id, read=True)
    return Response(status_code=204)


@router.post("/messages/{message_id}/unread", status_code=204)
async def unread(administration_id: str, message_id: str, messaging: MessagingDep) -> Response:
    """Mark a reply unread again."""
    async with messaging.transaction() as store:
        await mark_read(store, messaging, administration_id, message_id, read=False)
    return Response(status_code=204)


@router.post("/messages", response_model=Queued, status_code=202)
async def write_to_debtor(
    administration_id: str, body: FreeMessageIn, messaging: MessagingDep
) -> Queued:
    """Write to a debtor; the email is queued and the answer comes back into its thread."""
    free = FreeMessage(
        debtor=body.debtor,
        language=body.language,
        tone=body.tone,
        subject=body.subject,
        body=body.body,
        sender_name=body.sender_name,
        invoice_ids=body.invoice_ids,
        case_id=body.case_id,
        thread_id=body.thread_id,
    )
    async with messaging.transaction() as store:
        message_id = await queue_free_message(store, messaging, administration_id, free)
    return Queued(message_id=message_id)


@router.post("/threads/{thread_id}/replies", response_model=ReplyStored, status_code=201)
async def portal_reply(
    administration_id: str, thread_id: str, body: PortalReplyIn, messaging: MessagingDep
) -> ReplyStored:
    """A debtor's reply from the debtor portal: an unread message of the thread its link
    named (404 for a thread of another administration or debtor)."""
    message_id = await receive_portal_reply(
        messaging, administration_id, thread_id, body.debtor_id, body.text
    )
    return ReplyStored(message_id=message_id)


@router.post("/messages/{message_id}/posted", status_code=204)
async def letter_posted(
    administration_id: str, message_id: str, messaging: MessagingDep
) -> Response:
    """A letter waiting to be posted was posted."""
    async with messaging.transaction() as store:
        await mark_letter_posted(store, messaging, administration_id, message_id)
    return Response(status_code=204)


@router.get("/messages/{message_id}/attachments/{attachment_id}")
async def attachment(
    administration_id: str, message_id: str, attachment_id: str, store: StoreDep
) -> Response:
    """An attachment (a letter's PDF) as it was stored."""
    found = await attachment_of(store, administration_id, message_id, attachment_id)
    return Response(
        content=found.content,
        media_type=found.mime_type,
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get("/blocked-addresses", response_model=BlockedAddressPage)
async def blocked_addresses(
    administration_id: str,
    store: StoreDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    after: Annotated[str | None, Query(max_length=320)] = None,
) -> BlockedAddressPage:
    """Addresses a hard bounce blocked (no email goes to them), in address order."""
    found = await bounces.blocked_addresses(store, administration_id, limit + 1, after)
    more = len(found) > limit
    found = found[:limit]
    return BlockedAddressPage(
        items=[BlockedAddressOut(**vars(item)) for item in found],
        next_after=found[-1].address if more and found else None,
    )


@router.post("/blocked-addresses/unblock", status_code=204)
async def unblock(administration_id: str, body: UnblockIn, messaging: MessagingDep) -> Response:
    """Mail a blocked address again: reminders to it are sent from now on."""
    async with messaging.transaction() as store:
        await bounces.unblock_address(store, administration_id, body.address)
    return Response(status_code=204)


@router.get("/templates", response_model=list[TemplateVersionOut])
async def templates(administration_id: str, store: StoreDep) -> list[TemplateVersionOut]:
    """Every template in every language it exists in, built in or the administration's own."""
    return [
        TemplateVersionOut(
            template_key=v.template_key,
            language=v.language,
            customised=v.customised,
            builtin=v.builtin,
        )
        for v in await administration.template_versions(store, administration_id)
    ]


@router.get("/templates/{template_key}/preview", response_model=PreviewOut)
async def template_preview(
    administration_id: str,
    template_key: TemplateKey,
    store: StoreDep,
    language: Annotated[str, Query(pattern=r"^[a-z]{2}$")] = "nl",
    tone: Tone = Tone.FORMAL,
    channel: Channel = Channel.EMAIL,
) -> PreviewOut:
    """A template (the administration's own, else the built-in) rendered with sample data."""
    rendered = await administration.preview_template(
        store, administration_id, template_key.value, language, tone, channel
    )
    return PreviewOut(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
        from_override=rendered.from_override,
    )


# After the preview's path: a language is never called 'preview'.
@router.get("/templates/{template_key}/{language}", response_model=TemplateSourceOut)
async def template_text(
    administration_id: str, template_key: TemplateKey, language: str, store: StoreDep
) -> TemplateSourceOut:
    """A template's text to edit: the administration's own version, else the built-in one."""
    source, own = await administration.template_source(
        store, administration_id, template_key.value, language
    )
    return TemplateSourceOut(
        subject=source.subject, text=source.text, html=source.html, customised=own
    )


@router.put("/templates/{template_key}/{language}", status_code=204)
async def save_template(
    administration_id: str,
    template_key: TemplateKey,
    language: str,
    body: TemplateIn,
    messaging: MessagingDep,
) -> Response:
    """Save the administration's own version of a template (checked in the sandbox first)."""
    source = TemplateSource(subject=body.subject, text=body.text, html=body.html)
    await administration.save_template(
        messaging, administration_id, template_key.value, language, source
    )
    return Response(status_code=204)


@router.delete("/templates/{template_key}/{language}", status_code=204)
async def reset_template(
    administration_id: str, template_key: TemplateKey, language: str, messaging: MessagingDep
) -> Response:
    """Go back to the built-in template."""
    await administration.reset_template(messaging, administration_id, template_key.value, language)
    return Response(status_code=204)


@router.get("/profile", response_model=ProfileIn)
async def get_profile(administration_id: str, store: StoreDep) -> ProfileIn:
    """The administration's sender profile."""
    profile = await administration.profile_of(store, administration_id)
    return ProfileIn.model_validate(
        {name: getattr(profile, name) for name in ProfileIn.model_fields}
    )


@router.put("/profile", status_code=204)
async def put_profile(administration_id: str, body: ProfileIn, messaging: MessagingDep) -> Response:
    """Set how the administration signs its messages and what a hard bounce does."""
    profile = AdministrationProfile(
        administration_id=administration_id, updated_at=messaging.now(), **body.model_dump()
    )
    await administration.set_profile(messaging, profile)
    return Response(status_code=204)


def _escaped(text: str) -> str:
    """A debtor's text as HTML that shows it and nothing else: whatever markup they wrote is
    escaped, so a client showing `body_html` can never run it."""
    return html.escape(text).replace("\n", "<br>\n")


def _message_out(message: Message) -> MessageOut:
    return MessageOut(
        message_id=message.message_id,
        thread_id=message.thread_id,
        direction=message.direction,
        channel=message.channel,
        state=message.state,
        unread=message.unread,
        debtor_id=message.debtor_id,
        case_id=message.case_id,
        invoice_ids=message.invoice_ids,
        message_request_id=message.message_request_id,
        template_key=message.template_key,
        language=message.language,
        subject=message.subject,
        body_text=message.body_text,
        body_html=(
            message.body_html
            if message.direction == Direction.OUTBOUND
            else _escaped(message.body_text)
        ),
        sender_name=message.sender_name,
        sender_address=message.sender_address,
        recipients=[
            RecipientOut(address=mailbox.address, name=mailbox.name)
            for mailbox in message.recipients
        ],
        attachments=[
            AttachmentOut(
                attachment_id=file.attachment_id,
                filename=file.filename,
                mime_type=file.mime_type,
                size_bytes=file.size_bytes,
            )
            for file in message.attachments
        ],
        failure_reason=message.failure_reason,
        failure_detail=message.failure_detail,
        bounce_kind=message.bounce_kind,
        bounce_detail=message.bounce_detail,
        created_at=message.created_at,
        sent_at=message.sent_at,
        read_at=message.read_at,
    )


def _page(page: TimelinePage) -> MessagePage:
    return MessagePage(
        items=[_message_out(message) for message in page.messages],
        next_cursor=page.next_cursor,
    )
