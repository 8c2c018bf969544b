"""The internal HTTP API for the gateway: the timeline and inbox of messages, marking replies
read, writing to a debtor, letters posted, templates and the sender profile. Every route lives
under /internal/v1/administrations/{administration_id}/ and every query is scoped to it."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging.adapters import tables
from settle_messaging.application.context import (
    Messaging,
    invoice_ids_of,
    load_overrides,
)
from settle_messaging.application.inbound import mark_read
from settle_messaging.application.outbound import (
    FreeMessage,
    mark_letter_posted,
    queue_free_message,
)
from settle_messaging.domain.errors import InvalidMessageContext, NotFound
from settle_messaging.domain.model import Channel, TemplateKey, Tone
from settle_messaging.domain.states import Direction, MessageState
from settle_messaging.domain.templates import (
    TemplateSource,
    preview,
    validate_template_source,
)
from settle_shared.db import aware, transaction
from settle_shared.events.dunning import MessageDebtor

PREFIX = "/internal/v1/administrations/{administration_id}"
MAX_PAGE = 200


def get_messaging(request: Request) -> Messaging:
    messaging: Messaging = request.app.state.messaging
    return messaging


MessagingDep = Annotated[Messaging, Depends(get_messaging)]


async def get_session(messaging: MessagingDep) -> Any:
    async with messaging.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


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
    language: str = Field(pattern=r"^[a-z]{2}$")
    tone: Tone = Tone.FORMAL
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=20_000)
    sender_name: str = Field(min_length=1, max_length=150)
    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    case_id: str | None = None
    thread_id: str | None = Field(None, description="continue this thread instead of a new one")


class Queued(BaseModel):
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


router = APIRouter(prefix=PREFIX, tags=["messages"])


@router.get("/messages", response_model=MessagePage)
async def timeline(
    administration_id: str,
    session: SessionDep,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
    case_id: str | None = None,
    thread_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """The timeline of a debtor, an invoice, a case or a thread: newest first."""
    table = tables.messages
    query = sa.select(table).where(table.c.administration_id == administration_id)
    if debtor_id is not None:
        query = query.where(table.c.debtor_id == debtor_id)
    if case_id is not None:
        query = query.where(table.c.case_id == case_id)
    if thread_id is not None:
        query = query.where(table.c.thread_id == thread_id)
    if invoice_id is not None:
        links = tables.message_invoices
        query = query.where(
            table.c.message_id.in_(
                sa.select(links.c.message_id).where(
                    links.c.administration_id == administration_id,
                    links.c.invoice_id == invoice_id,
                )
            )
        )
    return await _page(session, query, limit, cursor)


@router.get("/inbox", response_model=MessagePage)
async def inbox(
    administration_id: str,
    session: SessionDep,
    unread: bool = False,
    debtor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> MessagePage:
    """Debtors' replies, newest first; `unread=true` for those nobody has read yet."""
    table = tables.messages
    query = sa.select(table).where(
        table.c.administration_id == administration_id,
        table.c.direction == Direction.INBOUND.value,
    )
    if unread:
        query = query.where(table.c.state == MessageState.RECEIVED.value)
    if debtor_id is not None:
        query = query.where(table.c.debtor_id == debtor_id)
    return await _page(session, query, limit, cursor)


@router.get("/messages/{message_id}", response_model=MessageOut)
async def one_message(administration_id: str, message_id: str, session: SessionDep) -> MessageOut:
    """One message with its bodies, recipients and attachments."""
    query = sa.select(tables.messages).where(
        tables.messages.c.administration_id == administration_id,
        tables.messages.c.message_id == message_id,
    )
    page = await _page(session, query, 1, None)
    if not page.items:
        raise NotFound(f"message {message_id} does not exist")
    return page.items[0]


@router.post("/messages/{message_id}/read", status_code=204)
async def read(administration_id: str, message_id: str, messaging: MessagingDep) -> Response:
    """Mark a reply read."""
    async with transaction(messaging.sessions) as session:
        await mark_read(session, messaging, administration_id, message_id, read=True)
    return Response(status_code=204)


@router.post("/messages/{message_id}/unread", status_code=204)
async def unread(administration_id: str, message_id: str, messaging: MessagingDep) -> Response:
    """Mark a reply unread again."""
    async with transaction(messaging.sessions) as session:
        await mark_read(session, messaging, administration_id, message_id, read=False)
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
    async with transaction(messaging.sessions) as session:
        message_id = await queue_free_message(session, messaging, administration_id, free)
    return Queued(message_id=message_id)


@router.post("/messages/{message_id}/posted", status_code=204)
async def letter_posted(
    administration_id: str, message_id: str, messaging: MessagingDep
) -> Response:
    """A letter waiting to be posted was posted."""
    async with transaction(messaging.sessions) as session:
        await mark_letter_posted(session, messaging, administration_id, message_id)
    return Response(status_code=204)


@router.get("/messages/{message_id}/attachments/{attachment_id}")
async def attachment(
    administration_id: str, message_id: str, attachment_id: str, session: SessionDep
) -> Response:
    """An attachment (a letter's PDF) as it was stored."""
    files, messages = tables.attachments, tables.messages
    row = (
        await session.execute(
            sa.select(files.c.filename, files.c.mime_type, files.c.content)
            .join(messages, messages.c.message_id == files.c.message_id)
            .where(
                messages.c.administration_id == administration_id,
                files.c.message_id == message_id,
                files.c.attachment_id == attachment_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound(f"attachment {attachment_id} does not exist")
    return Response(
        content=row.content,
        media_type=row.mime_type,
        headers={"Content-Disposition": f'attachment; filename="{row.filename}"'},
    )


@router.get("/templates/{template_key}/preview", response_model=PreviewOut)
async def template_preview(
    administration_id: str,
    template_key: TemplateKey,
    session: SessionDep,
    language: Annotated[str, Query(pattern=r"^[a-z]{2}$")] = "nl",
    tone: Tone = Tone.FORMAL,
    channel: Channel = Channel.EMAIL,
) -> PreviewOut:
    """A template (the administration's own, else the built-in) rendered with sample data."""
    overrides = await load_overrides(session, administration_id)
    rendered = preview(template_key.value, language, tone, overrides=overrides, channel=channel)
    return PreviewOut(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        language=rendered.language,
        from_override=rendered.from_override,
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
    validate_template_source(template_key.value, _language(language), source)
    table = tables.template_overrides
    async with transaction(messaging.sessions) as session:
        await session.execute(
            sa.delete(table).where(
                table.c.administration_id == administration_id,
                table.c.template_key == template_key.value,
                table.c.language == language,
            )
        )
        await session.execute(
            sa.insert(table).values(
                administration_id=administration_id,
                template_key=template_key.value,
                language=language,
                subject=body.subject,
                body_text=body.text,
                body_html=body.html,
                updated_at=messaging.now(),
            )
        )
    messaging.forget(administration_id)
    return Response(status_code=204)


@router.delete("/templates/{template_key}/{language}", status_code=204)
async def reset_template(
    administration_id: str, template_key: TemplateKey, language: str, messaging: MessagingDep
) -> Response:
    """Go back to the built-in template."""
    table = tables.template_overrides
    async with transaction(messaging.sessions) as session:
        await session.execute(
            sa.delete(table).where(
                table.c.administration_id == administration_id,
                table.c.template_key == template_key.value,
                table.c.language == language,
            )
        )
    messaging.forget(administration_id)
    return Response(status_code=204)


@router.get("/profile", response_model=ProfileIn)
async def get_profile(administration_id: str, session: SessionDep) -> ProfileIn:
    """The administration's sender profile."""
    table = tables.administration_profiles
    row = (
        await session.execute(
            sa.select(table).where(table.c.administration_id == administration_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"administration {administration_id} has no profile yet")
    return ProfileIn.model_validate({name: getattr(row, name) for name in ProfileIn.model_fields})


@router.put("/profile", status_code=204)
async def put_profile(administration_id: str, body: ProfileIn, messaging: MessagingDep) -> Response:
    """Set how the administration signs its messages and what a hard bounce does."""
    table = tables.administration_profiles
    async with transaction(messaging.sessions) as session:
        await session.execute(
            sa.delete(table).where(table.c.administration_id == administration_id)
        )
        await session.execute(
            sa.insert(table).values(
                administration_id=administration_id,
                updated_at=messaging.now(),
                **body.model_dump(),
            )
        )
    messaging.forget(administration_id)
    return Response(status_code=204)


def _escaped(text: str) -> str:
    """A debtor's text as HTML that shows it and nothing else: whatever markup they wrote is
    escaped, so a client showing `body_html` can never run it."""
    return html.escape(text).replace("\n", "<br>\n")


def _language(language: str) -> str:
    if len(language) != 2 or not language.isalpha() or not language.islower():
        raise InvalidMessageContext(f"language must be a two-letter code, got {language!r}")
    return language


async def _page(session: AsyncSession, query: Any, limit: int, cursor: str | None) -> MessagePage:
    table = tables.messages
    if cursor:
        try:
            at_text, _, last_id = cursor.partition("|")
            at = datetime.fromisoformat(at_text)
        except ValueError as exc:
            raise NotFound("unknown cursor") from exc
        query = query.where(
            sa.or_(
                table.c.created_at < at,
                sa.and_(table.c.created_at == at, table.c.message_id < last_id),
            )
        )
    query = query.order_by(table.c.created_at.desc(), table.c.message_id.desc()).limit(limit + 1)
    rows = list(await session.execute(query))
    more = len(rows) > limit
    rows = rows[:limit]
    ids = [row.message_id for row in rows]
    invoices = await invoice_ids_of(session, ids)
    recipients: dict[str, list[RecipientOut]] = {message_id: [] for message_id in ids}
    files: dict[str, list[AttachmentOut]] = {message_id: [] for message_id in ids}
    if ids:
        for r in await session.execute(
            sa.select(tables.recipients)
            .where(tables.recipients.c.message_id.in_(ids))
            .order_by(tables.recipients.c.position)
        ):
            recipients[r.message_id].append(RecipientOut(address=r.address, name=r.name))
        for f in await session.execute(
            sa.select(
                tables.attachments.c.message_id,
                tables.attachments.c.attachment_id,
                tables.attachments.c.filename,
                tables.attachments.c.mime_type,
                tables.attachments.c.size_bytes,
            ).where(tables.attachments.c.message_id.in_(ids))
        ):
            files[f.message_id].append(
                AttachmentOut(
                    attachment_id=f.attachment_id,
                    filename=f.filename,
                    mime_type=f.mime_type,
                    size_bytes=f.size_bytes,
                )
            )
    items = [
        MessageOut(
            message_id=row.message_id,
            thread_id=row.thread_id,
            direction=Direction(row.direction),
            channel=row.channel,
            state=MessageState(row.state),
            unread=row.state == MessageState.RECEIVED.value,
            debtor_id=row.debtor_id,
            case_id=row.case_id,
            invoice_ids=invoices[row.message_id],
            message_request_id=row.message_request_id,
            template_key=row.template_key,
            language=row.language,
            subject=row.subject,
            body_text=row.body_text,
            body_html=(
                row.body_html
                if row.direction == Direction.OUTBOUND.value
                else _escaped(row.body_text)
            ),
            sender_name=row.sender_name,
            sender_address=row.sender_address,
            recipients=recipients[row.message_id],
            attachments=files[row.message_id],
            failure_reason=row.failure_reason,
            failure_detail=row.failure_detail,
            bounce_kind=row.bounce_kind,
            bounce_detail=row.bounce_detail,
            created_at=aware(row.created_at),
            sent_at=aware(row.sent_at) if row.sent_at else None,
            read_at=aware(row.read_at) if row.read_at else None,
        )
        for row in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = f"{aware(last.created_at).isoformat()}|{last.message_id}"
    return MessagePage(items=items, next_cursor=next_cursor)
