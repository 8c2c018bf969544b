"""Queueing outbound messages: reminders requested by dunning, messages users write, letters.

Rendering happens here, once, when the message is queued: the stored subject and bodies are
what the sender sends, so a retry sends exactly the same mail. A message that cannot go out
(no or an invalid address, a template that fails, no postal address for a letter) is stored as
failed with its reason and announced, never raised: one debtor's bad data must not stop the
consumer.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging import db
from settle_messaging.application.context import (
    Messaging,
    NotFound,
    SenderProfile,
    aware,
    common_fields,
    invoice_ids_of,
    load_overrides,
    load_profile,
)
from settle_messaging.domain.email_builder import validate_email_address
from settle_messaging.domain.errors import InvalidEmailAddress, LetterError, MessagingError
from settle_messaging.domain.letters import render_letter_pdf
from settle_messaging.domain.model import (
    Channel,
    DebtorInfo,
    DebtorType,
    InvoiceLine,
    MessageContext,
    Money,
    PostalAddress,
    SenderInfo,
    TemplateKey,
    Tone,
)
from settle_messaging.domain.reply_tokens import reply_link
from settle_messaging.domain.states import Direction, MessageState
from settle_messaging.domain.templates import TemplateRenderer
from settle_shared.events.dunning import MessageDebtor, MessageRequested
from settle_shared.events.messaging import LetterAwaitingPosting, MessageFailed, MessageSent
from settle_shared.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Origin:
    """Where a message comes from: the request it answers and the chain of events."""

    message_request_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


@dataclass(frozen=True)
class Draft:
    """A message about to be stored."""

    administration_id: str
    thread_id: str
    channel: Channel
    debtor_id: str
    case_id: str | None
    invoice_ids: Sequence[str]
    template_key: str | None
    language: str | None
    tone: str | None
    legally_required: bool
    request: dict[str, Any] | None


@dataclass(frozen=True)
class FreeMessage:
    """A message a user writes to a debtor (from an invoice, a debtor or a case)."""

    debtor: MessageDebtor
    language: str
    tone: Tone
    subject: str
    body: str
    sender_name: str
    invoice_ids: Sequence[str] = ()
    case_id: str | None = None
    thread_id: str | None = None


async def queue_request(
    session: AsyncSession, messaging: Messaging, request: MessageRequested, origin: Origin
) -> list[str]:
    """Queue one message per channel of a request; a request seen before queues nothing."""
    existing = await session.scalar(
        sa.select(db.messages.c.message_id)
        .where(db.messages.c.message_request_id == request.message_request_id)
        .limit(1)
    )
    if existing is not None:
        log.info("message request already queued", message_request_id=request.message_request_id)
        return []
    now = messaging.now()
    profile = await load_profile(session, messaging, request.administration_id, request.language)
    profile = dataclasses.replace(
        profile,
        administration=dataclasses.replace(
            profile.administration, fallback_language=request.fallback_language
        ),
    )
    renderer = TemplateRenderer(await load_overrides(session, request.administration_id, messaging))
    thread_id, expires_at = await _new_thread(
        session,
        messaging,
        request.administration_id,
        request.debtor.debtor_id,
        None,
        request.template_key,
        now,
    )
    link = reply_link(_reply_base(messaging), messaging.reply_token(thread_id, expires_at))
    queued: list[str] = []
    for channel in dict.fromkeys(request.channels):
        if channel == "sms":
            log.warning("sms is not a channel of this service yet", channel=channel)
            continue
        draft = Draft(
            administration_id=request.administration_id,
            thread_id=thread_id,
            channel=Channel(channel),
            debtor_id=request.debtor.debtor_id,
            case_id=None,
            invoice_ids=[invoice.invoice_id for invoice in request.invoices],
            template_key=request.template_key,
            language=request.language,
            tone=request.tone,
            legally_required=request.legally_required,
            request=request.model_dump(mode="json"),
        )
        message_id = await _queue_rendered(
            session,
            messaging,
            draft,
            origin,
            profile,
            renderer,
            debtor=request.debtor,
            today=request.business_date,
            build=lambda email, link=link: _request_context(request, profile, email, link),
        )
        queued.append(message_id)
    messaging.wake.set()
    return queued


async def queue_free_message(
    session: AsyncSession, messaging: Messaging, administration_id: str, free: FreeMessage
) -> str:
    """Queue a message a user wrote; the debtor's answer comes back into its thread."""
    now = messaging.now()
    profile = await load_profile(session, messaging, administration_id, free.language)
    if free.thread_id is not None:
        thread = (
            await session.execute(
                sa.select(db.threads).where(
                    db.threads.c.thread_id == free.thread_id,
                    db.threads.c.administration_id == administration_id,
                )
            )
        ).first()
        if thread is None:
            raise NotFound(f"thread {free.thread_id} does not exist")
        thread_id, expires_at = thread.thread_id, aware(thread.reply_expires_at)
    else:
        thread_id, expires_at = await _new_thread(
            session,
            messaging,
            administration_id,
            free.debtor.debtor_id,
            free.case_id,
            free.subject,
            now,
        )
    link = reply_link(_reply_base(messaging), messaging.reply_token(thread_id, expires_at))
    draft = Draft(
        administration_id=administration_id,
        thread_id=thread_id,
        channel=Channel.EMAIL,
        debtor_id=free.debtor.debtor_id,
        case_id=free.case_id,
        invoice_ids=list(free.invoice_ids),
        template_key=TemplateKey.FREE_MESSAGE.value,
        language=free.language,
        tone=free.tone.value,
        legally_required=False,
        request=None,
    )
    renderer = TemplateRenderer(await load_overrides(session, administration_id, messaging))

    def build(email: str | None) -> MessageContext:
        return MessageContext(
            debtor=_debtor_info(free.debtor, free.language, email),
            administration=profile.administration,
            sender=SenderInfo(name=free.sender_name),
            today=now.date(),
            reply_link=link,
            message_subject=free.subject,
            message_body=free.body,
        )

    message_id = await _queue_rendered(
        session,
        messaging,
        draft,
        Origin(),
        profile,
        renderer,
        debtor=free.debtor,
        today=now.date(),
        build=build,
    )
    messaging.wake.set()
    return message_id


async def queue_letter_fallback(
    session: AsyncSession, messaging: Messaging, bounced: Any, origin: Origin
) -> str | None:
    """Queue a letter for the step an undeliverable email was for (the bounce policy asks for
    one). Nothing when the request already had a letter or is not known."""
    if bounced.request is None:
        return None
    request = MessageRequested.model_validate(bounced.request)
    letter_exists = await session.scalar(
        sa.select(db.messages.c.message_id).where(
            db.messages.c.message_request_id == request.message_request_id,
            db.messages.c.channel == Channel.LETTER.value,
        )
    )
    if letter_exists is not None:
        return None
    profile = await load_profile(session, messaging, request.administration_id, request.language)
    renderer = TemplateRenderer(await load_overrides(session, request.administration_id, messaging))
    draft = Draft(
        administration_id=request.administration_id,
        thread_id=bounced.thread_id,
        channel=Channel.LETTER,
        debtor_id=request.debtor.debtor_id,
        case_id=bounced.case_id,
        invoice_ids=[invoice.invoice_id for invoice in request.invoices],
        template_key=request.template_key,
        language=request.language,
        tone=request.tone,
        legally_required=request.legally_required,
        request=bounced.request,
    )
    return await _queue_rendered(
        session,
        messaging,
        draft,
        origin,
        profile,
        renderer,
        debtor=request.debtor,
        today=request.business_date,
        build=lambda email: _request_context(request, profile, email, None),
    )


async def mark_letter_posted(
    session: AsyncSession, messaging: Messaging, administration_id: str, message_id: str
) -> None:
    """A person posted a letter: it counts as sent from now on."""
    message = (
        await session.execute(
            sa.select(db.messages).where(
                db.messages.c.message_id == message_id,
                db.messages.c.administration_id == administration_id,
                db.messages.c.channel == Channel.LETTER.value,
            )
        )
    ).first()
    if message is None:
        raise NotFound(f"letter {message_id} does not exist")
    if message.state == MessageState.SENT:
        return
    now = messaging.now()
    await session.execute(
        sa.update(db.messages)
        .where(db.messages.c.message_id == message_id)
        .values(state=MessageState.SENT.value, sent_at=now)
    )
    invoices = (await invoice_ids_of(session, [message_id]))[message_id]
    sent = MessageSent(
        **common_fields(message, invoices),
        channel="letter",
        template_key=message.template_key,
        sent_at=now,
        legally_required=message.legally_required,
    )
    await messaging.publish(
        session, [sent], administration_id=administration_id, correlation_id=message.correlation_id
    )


# --- rendering and storing ---------------------------------------------------------------------


def _reply_base(messaging: Messaging) -> str:
    return f"{messaging.settings.public_base_url.rstrip('/')}/reply"


def _debtor_info(debtor: MessageDebtor, language: str, email: str | None) -> DebtorInfo:
    address = None
    if debtor.address is not None:
        address = PostalAddress(
            debtor.address.street,
            debtor.address.postal_code,
            debtor.address.city,
            debtor.address.country.upper(),
        )
    return DebtorInfo(
        name=debtor.name,
        language=language,
        type=DebtorType(debtor.kind),
        email=email,
        address=address,
        number=debtor.number,
    )


def _request_context(
    request: MessageRequested, profile: SenderProfile, email: str | None, link: str | None
) -> MessageContext:
    # Not in every version of the request: the 14-day letter needs the costs it must state.
    costs: Decimal | None = getattr(request, "collection_costs", None)
    return MessageContext(
        debtor=_debtor_info(request.debtor, request.language, email),
        administration=profile.administration,
        sender=SenderInfo(name=profile.administration.name),
        today=request.business_date,
        invoices=tuple(
            InvoiceLine(
                number=invoice.number,
                invoice_date=invoice.invoice_date,
                due_date=invoice.due_date,
                amount=invoice.amount,
                open_amount=invoice.open_amount,
                currency=invoice.currency,
            )
            for invoice in request.invoices
        ),
        reply_link=link,
        collection_costs=Money(costs, request.currency) if costs is not None else None,
    )


async def _usable_addresses(
    session: AsyncSession, administration_id: str, emails: Sequence[str]
) -> tuple[list[str], str | None, str]:
    """The debtor's addresses that can be mailed, or why none can."""
    if not emails:
        return [], "email_missing", "the debtor has no email address"
    valid: list[str] = []
    problems: list[str] = []
    for email in emails:
        try:
            valid.append(validate_email_address(email))
        except InvalidEmailAddress as exc:
            problems.append(str(exc))
    if not valid:
        return [], "invalid_email_address", "; ".join(problems)
    table = db.suppressed_addresses
    blocked = set(
        await session.scalars(
            sa.select(table.c.address).where(
                table.c.administration_id == administration_id, table.c.address.in_(valid)
            )
        )
    )
    usable = [email for email in dict.fromkeys(valid) if email not in blocked]
    if not usable:
        return [], "address_blocked", f"blocked after a hard bounce: {', '.join(sorted(blocked))}"
    return usable, None, ""


async def _queue_rendered(
    session: AsyncSession,
    messaging: Messaging,
    draft: Draft,
    origin: Origin,
    profile: SenderProfile,
    renderer: TemplateRenderer,
    *,
    debtor: MessageDebtor,
    today: date,
    build: Any,
) -> str:
    now = messaging.now()
    message_id = uuid.uuid4().hex
    addresses: list[str] = []
    failure: tuple[str, str] | None = None
    if draft.channel is Channel.EMAIL:
        addresses, reason, detail = await _usable_addresses(
            session, draft.administration_id, debtor.emails
        )
        if reason is not None:
            failure = (reason, detail)
    subject, text, html = draft.template_key or "", "", None
    pdf: bytes | None = None
    if failure is None:
        try:
            context = build(addresses[0] if addresses else None)
            rendered = renderer.render(
                draft.template_key or "",
                draft.language or profile.administration.default_language,
                Tone(draft.tone or Tone.FORMAL.value),
                context,
                draft.channel,
            )
            subject, text = rendered.subject, rendered.text
            if draft.channel is Channel.EMAIL:
                html = rendered.html
            else:
                pdf = render_letter_pdf(rendered, context, today)
        except LetterError as exc:
            failure = ("missing_postal_address", str(exc))
        except MessagingError as exc:
            failure = ("template_error", f"{exc.code}: {exc}")
    state = MessageState.QUEUED if failure is None else MessageState.FAILED
    await session.execute(
        sa.insert(db.messages).values(
            message_id=message_id,
            administration_id=draft.administration_id,
            thread_id=draft.thread_id,
            message_request_id=origin.message_request_id,
            direction=Direction.OUTBOUND.value,
            channel=draft.channel.value,
            state=state.value,
            debtor_id=draft.debtor_id,
            case_id=draft.case_id,
            template_key=draft.template_key,
            language=draft.language,
            tone=draft.tone,
            subject=subject,
            body_text=text,
            body_html=html,
            sender_name=profile.administration.name,
            sender_address=profile.administration.email,
            legally_required=draft.legally_required,
            request=draft.request,
            attempts=0,
            next_attempt_at=None,
            failure_reason=failure[0] if failure else None,
            failure_detail=failure[1][:2000] if failure else None,
            correlation_id=origin.correlation_id,
            created_at=now,
            failed_at=now if failure else None,
        )
    )
    if addresses:
        await session.execute(
            sa.insert(db.recipients),
            [
                {
                    "message_id": message_id,
                    "position": position,
                    "kind": "to",
                    "address": address,
                    "name": debtor.name[:200],
                }
                for position, address in enumerate(addresses)
            ],
        )
    if draft.invoice_ids:
        await session.execute(
            sa.insert(db.message_invoices),
            [
                {
                    "message_id": message_id,
                    "invoice_id": invoice_id,
                    "administration_id": draft.administration_id,
                }
                for invoice_id in dict.fromkeys(draft.invoice_ids)
            ],
        )
    if pdf is not None:
        await session.execute(
            sa.insert(db.attachments).values(
                attachment_id=str(uuid.uuid4()),
                message_id=message_id,
                filename=f"letter-{message_id[:12]}.pdf",
                mime_type="application/pdf",
                size_bytes=len(pdf),
                content=pdf,
                created_at=now,
            )
        )
    fields = {
        "administration_id": draft.administration_id,
        "message_id": message_id,
        "message_request_id": origin.message_request_id,
        "debtor_id": draft.debtor_id,
        "invoice_ids": list(dict.fromkeys(draft.invoice_ids)),
        "case_id": draft.case_id,
        "thread_id": draft.thread_id,
    }
    if failure is not None:
        log.warning(
            "message cannot be sent", message_id=message_id, reason=failure[0], detail=failure[1]
        )
        event: Any = MessageFailed(
            **fields,
            channel=draft.channel.value,
            reason=failure[0],
            detail=failure[1][:2000],
            failed_at=now,
        )
    elif draft.channel is Channel.LETTER:
        event = LetterAwaitingPosting(
            **fields,
            template_key=draft.template_key,
            legally_required=draft.legally_required,
            queued_at=now,
        )
    else:
        return message_id
    await messaging.publish(
        session,
        [event],
        administration_id=draft.administration_id,
        correlation_id=origin.correlation_id,
        causation_id=origin.causation_id,
    )
    return message_id


async def _new_thread(
    session: AsyncSession,
    messaging: Messaging,
    administration_id: str,
    debtor_id: str,
    case_id: str | None,
    subject: str,
    now: datetime,
) -> tuple[str, datetime]:
    thread_id = str(uuid.uuid4())
    # Whole seconds: the token carries the expiry in seconds and must be derivable again.
    expires_at = (now + timedelta(days=messaging.settings.reply_token_days)).replace(microsecond=0)
    await session.execute(
        sa.insert(db.threads).values(
            thread_id=thread_id,
            administration_id=administration_id,
            debtor_id=debtor_id,
            case_id=case_id,
            subject=subject[:300],
            created_at=now,
            last_message_at=now,
            reply_expires_at=expires_at,
        )
    )
    return thread_id, expires_at
