"""Queueing outbound messages: reminders requested by dunning, messages users write, letters.

Rendering happens here, once, when the message is queued, and so does building the email: the
stored mail is what the sender sends, so a retry sends exactly the same bytes. A message that
cannot go out (no or an invalid address, a template that fails, no postal address for a letter,
a channel this service does not send: SMS) is stored as failed with its reason and its rendered
subject, and announced, never raised: one debtor's bad data must not stop the consumer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from settle_messaging.application.context import (
    Messaging,
    PortalLinks,
    load_overrides,
    load_profile,
)
from settle_messaging.application.ports import Announcement, Store
from settle_messaging.domain.email_builder import Mailbox, OutgoingEmail, email_bytes
from settle_messaging.domain.errors import LetterError, MessagingError, NotFound
from settle_messaging.domain.letters import render_letter_pdf
from settle_messaging.domain.messages import (
    MAX_DETAIL,
    Message,
    StoredAttachment,
    Thread,
    new_thread,
)
from settle_messaging.domain.model import (
    Channel,
    CreditNoteLine,
    DebtorInfo,
    DebtorType,
    InvoiceLine,
    MessageContext,
    Money,
    PaymentPlanInfo,
    PostalAddress,
    SenderInfo,
    TemplateKey,
    Tone,
)
from settle_messaging.domain.model import Instalment as PlanInstalment
from settle_messaging.domain.profiles import SenderProfile
from settle_messaging.domain.recipients import Addressing, usable_addresses, valid_addresses
from settle_messaging.domain.states import Direction, MessageState
from settle_messaging.domain.templates import TemplateRenderer
from settle_shared.events.base import Event
from settle_shared.events.collection import CaseMessageRequested
from settle_shared.events.dunning import MessageAddress, MessageDebtor, MessageRequested
from settle_shared.events.messaging import LetterAwaitingPosting, MessageFailed, MessageSent
from settle_shared.logs import get_logger
from settle_shared.portal_links import instalment_url

log = get_logger(__name__)

# The channels of a request this service sends; anything else fails at once.
SENDABLE_CHANNELS = frozenset(channel.value for channel in Channel)
UNSENDABLE_DETAIL = {"sms": "SMS cannot be sent: no SMS provider is configured"}


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
    language: str | None  # None: the debtor's, else their country's, else the administration's
    tone: Tone
    subject: str
    body: str
    sender_name: str
    invoice_ids: Sequence[str] = ()
    case_id: str | None = None
    thread_id: str | None = None


async def queue_request(
    store: Store, messaging: Messaging, request: MessageRequested, origin: Origin
) -> list[str]:
    """Queue one message per channel of a request; a request seen before queues nothing."""
    return await queue_requests(store, messaging, [(request, origin)])


async def queue_requests(
    store: Store,
    messaging: Messaging,
    requests: Sequence[tuple[MessageRequested, Origin]],
) -> list[str]:
    """Queue the messages of many requests at once (a batch of the consumer).

    A request seen before, or twice in the batch, queues nothing more. The database sees one
    query for the requests already queued, one for blocked addresses, and then one insert per
    table for the whole batch: per-message statements were most of a busy consumer's time.
    """
    fresh: dict[str, tuple[MessageRequested, Origin]] = {}
    for request, origin in requests:
        fresh.setdefault(request.message_request_id, (request, origin))
    if not fresh:
        return []
    for request_id in await store.messages.requests_seen(list(fresh)):
        log.info("message request already queued", message_request_id=request_id)
        fresh.pop(request_id, None)
    if not fresh:
        return []
    now = messaging.now()
    checked = {
        request_id: valid_addresses(request.debtor.emails)
        for request_id, (request, _) in fresh.items()
    }
    blocked = await store.blocked.blocked_among(
        {(request.administration_id, address) for request_id, (request, _) in fresh.items()
         for address in checked[request_id][0]},
    )  # fmt: skip
    renderers: dict[str, TemplateRenderer] = {}
    threads: list[Thread] = []
    prepared: list[_Prepared] = []
    for request_id, (request, origin) in fresh.items():
        # Rendering a batch takes a while: let the sender (same event loop) get on with its
        # SMTP conversation between messages instead of stalling until the batch is done.
        await asyncio.sleep(0)
        administration_id = request.administration_id
        renderer = renderers.get(administration_id)
        if renderer is None:
            overrides = await load_overrides(store, administration_id, messaging)
            renderer = renderers[administration_id] = TemplateRenderer(overrides)
        # A debtor without a language of their own is written to in their country's language
        # when the administration has the template in it; else in the administration's.
        language = renderer.language_for(
            request.template_key, request.debtor.language, request.debtor.country, request.language
        )
        profile = await load_profile(store, messaging, administration_id, language)
        profile = dataclasses.replace(
            profile,
            administration=dataclasses.replace(
                profile.administration, fallback_language=request.fallback_language
            ),
        )
        thread = new_thread(
            administration_id,
            request.debtor.debtor_id,
            None,
            request.template_key,
            now,
            messaging.settings.reply_token_days,
        )
        threads.append(thread)
        token = messaging.reply_token(thread.thread_id, thread.reply_expires_at)
        links = messaging.portal_links(
            administration_id,
            request.debtor.debtor_id,
            [invoice.invoice_id for invoice in request.invoices],
            thread.thread_id,
        )
        valid, problems = checked[request_id]
        addressing = usable_addresses(
            request.debtor.emails,
            valid,
            problems,
            {address for owner, address in blocked if owner == administration_id},
        )
        as_json = request.model_dump(mode="json")
        first_of_thread = len(prepared)
        channels = list(dict.fromkeys(request.channels))
        for channel in channels:
            if channel not in SENDABLE_CHANNELS:
                continue
            draft = Draft(
                administration_id=administration_id,
                thread_id=thread.thread_id,
                channel=Channel(channel),
                debtor_id=request.debtor.debtor_id,
                case_id=None,
                invoice_ids=[invoice.invoice_id for invoice in request.invoices],
                template_key=request.template_key,
                language=language,
                tone=request.tone,
                legally_required=request.legally_required,
                request=as_json,
            )
            prepared.append(
                _prepare(
                    messaging,
                    draft,
                    origin,
                    profile,
                    renderer,
                    debtor=request.debtor,
                    today=request.business_date,
                    build=functools.partial(
                        _request_context, request, profile, links=links, language=language
                    ),
                    addressing=addressing,
                    reply_token=token,
                    now=now,
                )
            )
        unsendable = [channel for channel in channels if channel not in SENDABLE_CHANNELS]
        if unsendable:
            subject = next(
                (item.message.subject for item in prepared[first_of_thread:]), None
            ) or _subject_of(renderer, request, profile, links)
            prepared += [
                _unsendable(request, channel, thread, subject, as_json, origin, now)
                for channel in unsendable
            ]
        thread.title_from(item.message for item in prepared[first_of_thread:])
    await store.threads.add(threads)
    await _store(store, prepared)
    messaging.wake.set()
    return [item.message.message_id for item in prepared]


async def queue_free_message(
    store: Store, messaging: Messaging, administration_id: str, free: FreeMessage
) -> str:
    """Queue a message a user wrote; the debtor's answer comes back into its thread."""
    now = messaging.now()
    renderer = TemplateRenderer(await load_overrides(store, administration_id, messaging))
    profile = await load_profile(store, messaging, administration_id, free.language or "nl")
    language = free.language or renderer.language_for(
        TemplateKey.FREE_MESSAGE.value,
        free.debtor.language,
        free.debtor.country,
        profile.administration.default_language,
    )
    if free.thread_id is not None:
        found = await store.threads.get(free.thread_id, administration_id)
        if found is None:
            raise NotFound(f"thread {free.thread_id} does not exist")
        thread = found
    else:
        thread = new_thread(
            administration_id,
            free.debtor.debtor_id,
            free.case_id,
            free.subject,
            now,
            messaging.settings.reply_token_days,
        )
        await store.threads.add([thread])
    token = messaging.reply_token(thread.thread_id, thread.reply_expires_at)
    links = messaging.portal_links(
        administration_id, free.debtor.debtor_id, free.invoice_ids, thread.thread_id
    )
    draft = Draft(
        administration_id=administration_id,
        thread_id=thread.thread_id,
        channel=Channel.EMAIL,
        debtor_id=free.debtor.debtor_id,
        case_id=free.case_id,
        invoice_ids=list(free.invoice_ids),
        template_key=TemplateKey.FREE_MESSAGE.value,
        language=language,
        tone=free.tone.value,
        legally_required=False,
        request=None,
    )

    def build(email: str | None) -> MessageContext:
        return MessageContext(
            debtor=_debtor_info(free.debtor, language, email),
            administration=profile.administration,
            sender=SenderInfo(name=free.sender_name),
            today=now.date(),
            reply_link=links.reply,
            message_subject=free.subject,
            message_body=free.body,
        )

    message_id = await _queue_one(
        store,
        messaging,
        draft,
        Origin(),
        profile,
        renderer,
        debtor=free.debtor,
        today=now.date(),
        build=build,
        reply_token=token,
    )
    messaging.wake.set()
    return message_id


async def queue_case_messages(
    store: Store,
    messaging: Messaging,
    requests: Sequence[tuple[CaseMessageRequested, Origin]],
) -> list[str]:
    """Queue the messages of collection cases' steps: collection wrote the text, it goes out
    in the administration's layout (the free message's template) on each channel asked for,
    on the case's timeline. A request seen before queues nothing more."""
    fresh: dict[str, tuple[CaseMessageRequested, Origin]] = {}
    for request, origin in requests:
        fresh.setdefault(request.message_request_id, (request, origin))
    for request_id in await store.messages.requests_seen(list(fresh)):
        log.info("message request already queued", message_request_id=request_id)
        fresh.pop(request_id, None)
    queued: list[str] = []
    now = messaging.now()
    for request, origin in fresh.values():
        administration_id = request.administration_id
        address = request.debtor.address
        debtor = MessageDebtor(
            debtor_id=request.debtor.debtor_id,
            number=request.debtor.number,
            name=request.debtor.name,
            kind=request.debtor.kind,
            emails=list(request.debtor.emails),
            address=MessageAddress(
                street=address.street,
                postal_code=address.postal_code,
                city=address.city,
                country=address.country,
            )
            if address is not None
            else None,
        )
        profile = await load_profile(store, messaging, administration_id, request.language)
        renderer = TemplateRenderer(await load_overrides(store, administration_id, messaging))
        thread = new_thread(
            administration_id,
            debtor.debtor_id,
            request.case_id,
            request.subject_line,
            now,
            messaging.settings.reply_token_days,
        )
        await store.threads.add([thread])
        token = messaging.reply_token(thread.thread_id, thread.reply_expires_at)
        # The case's reply link opens the debtor portal's reply page for the case's thread.
        link = messaging.portal_links(
            administration_id, debtor.debtor_id, list(request.invoice_ids), thread.thread_id
        ).reply

        build = functools.partial(_case_context, request, debtor, profile, link)
        for channel in dict.fromkeys(request.channels):
            draft = Draft(
                administration_id=administration_id,
                thread_id=thread.thread_id,
                channel=Channel(channel),
                debtor_id=debtor.debtor_id,
                case_id=request.case_id,
                invoice_ids=list(request.invoice_ids),
                template_key=TemplateKey.FREE_MESSAGE.value,
                language=request.language,
                tone=Tone.FORMAL.value,
                legally_required=False,
                request=None,
            )
            queued.append(
                await _queue_one(
                    store,
                    messaging,
                    draft,
                    origin,
                    profile,
                    renderer,
                    debtor=debtor,
                    today=request.business_date,
                    build=build,
                    reply_token=token if channel == Channel.EMAIL.value else None,
                )
            )
    if queued:
        messaging.wake.set()
    return queued


def _case_context(
    request: CaseMessageRequested,
    debtor: MessageDebtor,
    profile: SenderProfile,
    link: str,
    email: str | None,
) -> MessageContext:
    """What the free message's template renders a case's step message from."""
    return MessageContext(
        debtor=_debtor_info(debtor, request.language, email),
        administration=profile.administration,
        sender=SenderInfo(name=request.sender_name),
        today=request.business_date,
        reply_link=link,
        message_subject=request.subject_line,
        message_body=request.body,
    )


async def queue_letter_fallback(
    store: Store, messaging: Messaging, bounced: Message, origin: Origin
) -> str | None:
    """Queue a letter for the step an undeliverable email was for (the bounce policy asks for
    one). Nothing when the request already had a letter or is not known."""
    if bounced.request is None:
        return None
    request = MessageRequested.model_validate(bounced.request)
    if await store.messages.letter_for(request.message_request_id):
        return None
    language = bounced.language or request.language  # the letter says what the mail said
    profile = await load_profile(store, messaging, request.administration_id, language)
    renderer = TemplateRenderer(await load_overrides(store, request.administration_id, messaging))
    # The letter takes the place of the mail: the same portal links, for the same thread.
    links = messaging.portal_links(
        request.administration_id,
        request.debtor.debtor_id,
        [invoice.invoice_id for invoice in request.invoices],
        bounced.thread_id,
    )
    draft = Draft(
        administration_id=request.administration_id,
        thread_id=bounced.thread_id,
        channel=Channel.LETTER,
        debtor_id=request.debtor.debtor_id,
        case_id=bounced.case_id,
        invoice_ids=[invoice.invoice_id for invoice in request.invoices],
        template_key=request.template_key,
        language=language,
        tone=request.tone,
        legally_required=request.legally_required,
        request=bounced.request,
    )
    return await _queue_one(
        store,
        messaging,
        draft,
        origin,
        profile,
        renderer,
        debtor=request.debtor,
        today=request.business_date,
        build=lambda email: _request_context(request, profile, email, links, language),
        reply_token=None,
    )


async def mark_letter_posted(
    store: Store, messaging: Messaging, administration_id: str, message_id: str
) -> None:
    """A person posted a letter: it counts as sent from now on."""
    message = await store.messages.get(
        message_id, administration_id=administration_id, channel=Channel.LETTER.value
    )
    if message is None:
        raise NotFound(f"letter {message_id} does not exist")
    now = messaging.now()
    if not message.posted(now):
        return
    await store.messages.save(message)
    sent = MessageSent(
        **message.event_fields(),
        channel="letter",
        template_key=message.template_key,
        sent_at=now,
        legally_required=message.legally_required,
    )
    await store.publish(
        [Announcement(sent, administration_id, correlation_id=message.correlation_id)]
    )


# --- rendering and storing ---------------------------------------------------------------------


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
    request: MessageRequested,
    profile: SenderProfile,
    email: str | None,
    links: PortalLinks,
    language: str | None = None,
) -> MessageContext:
    # Not in every version of the request: the 14-day letter needs the costs it must state.
    costs: Decimal | None = getattr(request, "collection_costs", None)
    return MessageContext(
        debtor=_debtor_info(request.debtor, language or request.language, email),
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
        payment_link=links.payment,
        reply_link=links.reply,
        collection_costs=Money(costs, request.currency) if costs is not None else None,
        # Only the credit notes in the request's currency are stated; dunning sends no others.
        credit_notes=tuple(
            CreditNoteLine(
                number=note.number,
                amount=note.amount,
                open_amount=note.open_amount,
                currency=note.currency,
                invoice_date=note.invoice_date,
                corrects=note.corrects_invoice_number,
            )
            for note in request.credit_notes
            if note.currency == request.currency
        ),
        **_plan_parts(request, links.payment),
    )


def _plan_parts(request: MessageRequested, portal: str | None) -> dict[str, Any]:
    """The payment plan of a plan's message (its confirmation, an instalment's reminder or
    missed notice), as the templates name it: `payment_plan` and the `instalment` concerned.
    Each instalment not yet paid links to the portal's page that pays what is left of it."""
    plan = getattr(request, "payment_plan", None)  # absent from older requests
    if plan is None:
        return {}
    instalments = tuple(
        PlanInstalment(
            number=item.number,
            due_date=item.due_on,
            amount=Money(item.amount, plan.currency),
            payment_link=instalment_url(portal, plan.plan_id, item.number)
            if portal and item.paid_amount < item.amount
            else None,
        )
        for item in plan.instalments
    )
    concerned = next((i for i in instalments if i.number == plan.instalment), None)
    return {
        "payment_plan": PaymentPlanInfo(
            instalments=instalments, total=Money(plan.total, plan.currency)
        ),
        "instalment": concerned,
    }


def _subject_of(
    renderer: TemplateRenderer,
    request: MessageRequested,
    profile: SenderProfile,
    links: PortalLinks,
) -> str:
    """The subject the request's email would have, for a message on a channel that cannot
    be sent (the template's key when even that cannot be rendered)."""
    try:
        return renderer.render(
            request.template_key,
            request.language,
            Tone(request.tone),
            _request_context(request, profile, None, links),
            Channel.EMAIL,
        ).subject
    except MessagingError:
        return request.template_key


def _unsendable(
    request: MessageRequested,
    channel: str,
    thread: Thread,
    subject: str,
    as_json: dict[str, Any],
    origin: Origin,
    now: datetime,
) -> _Prepared:
    """A message on a channel this service cannot send (SMS: no provider is configured),
    stored as failed and announced, so the step it belongs to is not taken for delivered."""
    detail = UNSENDABLE_DETAIL.get(channel, f"{channel} is not a channel this service sends")
    message = Message(
        message_id=uuid.uuid4().hex,
        administration_id=request.administration_id,
        thread_id=thread.thread_id,
        message_request_id=origin.message_request_id,
        direction=Direction.OUTBOUND,
        channel=channel,
        state=MessageState.FAILED,
        debtor_id=request.debtor.debtor_id,
        case_id=None,
        template_key=request.template_key,
        language=request.language,
        tone=request.tone,
        subject=subject,
        body_text="",
        legally_required=request.legally_required,
        request=as_json,
        failure_reason="channel_unavailable",
        failure_detail=detail,
        correlation_id=origin.correlation_id,
        created_at=now,
        failed_at=now,
        invoice_ids=list(dict.fromkeys(invoice.invoice_id for invoice in request.invoices)),
    )
    log.warning("message cannot be sent", message_id=message.message_id, reason=detail)
    event = MessageFailed(
        **message.event_fields(),
        channel=channel,
        reason="channel_unavailable",
        detail=detail,
        failed_at=now,
    )
    return _Prepared(message, event, origin)


@dataclass(frozen=True)
class _Prepared:
    """A message ready to store and the event that announces it, if any."""

    message: Message
    event: Event | None
    origin: Origin


def _prepare(
    messaging: Messaging,
    draft: Draft,
    origin: Origin,
    profile: SenderProfile,
    renderer: TemplateRenderer,
    *,
    debtor: MessageDebtor,
    today: date,
    build: Callable[[str | None], MessageContext],
    addressing: Addressing,
    reply_token: str | None,
    now: datetime,
) -> _Prepared:
    """Render a message and, for email, build the mail it will be; no database work, so a
    whole batch can be prepared and then stored with one statement per table."""
    message_id = uuid.uuid4().hex
    addresses: list[str] = []
    failure: tuple[str, str] | None = None
    if draft.channel is Channel.EMAIL:
        addresses, failure = addressing
    subject, text, html = draft.template_key or "", "", None
    pdf: bytes | None = None
    mime: bytes | None = None
    administration = profile.administration
    # Rendered even when the address already failed it, so the message is kept (and shown)
    # with the subject and text the debtor would have got; the first failure is the reason.
    try:
        context = build(addresses[0] if addresses else None)
        rendered = renderer.render(
            draft.template_key or "",
            draft.language or administration.default_language,
            Tone(draft.tone or Tone.FORMAL.value),
            context,
            draft.channel,
        )
        subject, text = rendered.subject, rendered.text
        if draft.channel is Channel.EMAIL:
            html = rendered.html
        elif failure is None:
            pdf = render_letter_pdf(rendered, context, today)
    except LetterError as exc:
        failure = failure or ("missing_postal_address", str(exc))
    except MessagingError as exc:
        failure = failure or ("template_error", f"{exc.code}: {exc}")
    if failure is None and draft.channel is Channel.EMAIL:
        # Built once, here, from exactly what the sender would have built it from (the
        # queueing time as Date, the thread's reply token): the sender only sends.
        outgoing = OutgoingEmail(
            message_id=message_id,
            mail_domain=messaging.settings.mail_domain,
            sender=Mailbox(administration.email, administration.name),
            to=tuple(Mailbox(address, debtor.name[:200]) for address in addresses),
            subject=subject,
            text=text,
            html=html,
            sent_at=now,
            reply_token=reply_token,
        )
        try:
            mime = email_bytes(outgoing)
        except MessagingError as exc:
            failure = ("smtp_rejected", f"{exc.code}: {exc}")
    state = MessageState.QUEUED if failure is None else MessageState.FAILED
    invoice_ids = list(dict.fromkeys(draft.invoice_ids))
    attachments = []
    if pdf is not None:
        attachments.append(
            StoredAttachment(
                attachment_id=str(uuid.uuid4()),
                message_id=message_id,
                filename=f"letter-{message_id[:12]}.pdf",
                mime_type="application/pdf",
                size_bytes=len(pdf),
                created_at=now,
                content=pdf,
            )
        )
    message = Message(
        message_id=message_id,
        administration_id=draft.administration_id,
        thread_id=draft.thread_id,
        message_request_id=origin.message_request_id,
        direction=Direction.OUTBOUND,
        channel=draft.channel.value,
        state=state,
        debtor_id=draft.debtor_id,
        case_id=draft.case_id,
        template_key=draft.template_key,
        language=draft.language,
        tone=draft.tone,
        subject=subject,
        body_text=text,
        body_html=html,
        sender_name=administration.name,
        sender_address=administration.email,
        legally_required=draft.legally_required,
        request=draft.request,
        mime=mime,
        failure_reason=failure[0] if failure else None,
        failure_detail=failure[1][:MAX_DETAIL] if failure else None,
        correlation_id=origin.correlation_id,
        created_at=now,
        failed_at=now if failure else None,
        invoice_ids=invoice_ids,
        recipients=[
            Mailbox(address, debtor.name[:200])
            for address in (addresses if failure is None else [])
        ],
        attachments=attachments,
    )
    event: Event | None = None
    if failure is not None:
        log.warning(
            "message cannot be sent", message_id=message_id, reason=failure[0], detail=failure[1]
        )
        event = MessageFailed(
            **message.event_fields(),
            channel=draft.channel.value,
            reason=failure[0],
            detail=failure[1][:MAX_DETAIL],
            failed_at=now,
        )
    elif draft.channel is Channel.LETTER:
        event = LetterAwaitingPosting(
            **message.event_fields(),
            template_key=draft.template_key,
            legally_required=draft.legally_required,
            queued_at=now,
        )
    return _Prepared(message, event, origin)


async def _store(store: Store, prepared: Sequence[_Prepared]) -> None:
    """Store prepared messages and stage their events: one statement per table."""
    if not prepared:
        return
    await store.messages.add([item.message for item in prepared])
    await store.publish(
        [
            Announcement(
                item.event,
                item.message.administration_id,
                correlation_id=item.origin.correlation_id,
                causation_id=item.origin.causation_id,
            )
            for item in prepared
            if item.event is not None
        ]
    )


async def _queue_one(
    store: Store,
    messaging: Messaging,
    draft: Draft,
    origin: Origin,
    profile: SenderProfile,
    renderer: TemplateRenderer,
    *,
    debtor: MessageDebtor,
    today: date,
    build: Callable[[str | None], MessageContext],
    reply_token: str | None,
) -> str:
    addressing: Addressing = ([], None)
    if draft.channel is Channel.EMAIL:
        valid, problems = valid_addresses(debtor.emails)
        blocked = await store.blocked.blocked_among(
            {(draft.administration_id, email) for email in valid}
        )
        addressing = usable_addresses(
            debtor.emails, valid, problems, {address for _, address in blocked}
        )
    item = _prepare(
        messaging,
        draft,
        origin,
        profile,
        renderer,
        debtor=debtor,
        today=today,
        build=build,
        addressing=addressing,
        reply_token=reply_token,
        now=messaging.now(),
    )
    await _store(store, [item])
    return item.message.message_id
