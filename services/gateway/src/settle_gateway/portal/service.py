"""What the portal's pages ask: the link opened (rate limited per client address), the
debtor's page from the read model, a payment asked of the payments service, its outcome, and a
reply passed to messaging. The amount of a payment is never ours to send: the payments service
takes it from its own copy of the invoices."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import HTTPException
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_gateway.adapters.tables import (
    administrations,
    portal_failures,
    portal_payments,
    rm_credit_notes,
    rm_debtors,
    rm_invoices,
    rm_messages,
    rm_payment_plans,
    rm_payments,
)
from settle_gateway.application.context import GatewayContext
from settle_gateway.domain.portal import (
    PaymentNotFound,
    PaymentRequest,
    PaymentState,
    PortalInvoice,
    TooManyAttempts,
    choose_payable,
    idempotency_key,
)
from settle_gateway.portal.models import (
    CreditLine,
    InvoiceLine,
    OfferLine,
    PaymentLine,
    PortalDebtor,
    PortalView,
    ReminderLine,
)
from settle_shared.db import aware, transaction
from settle_shared.logs import get_logger
from settle_shared.portal_links import InvalidPortalLink, PortalLink, verify_portal_link

log = get_logger(__name__)

# A debtor with more open invoices than this sees the oldest ones; the rest after paying.
MAX_INVOICES_SHOWN = 200
REMINDERS_SHOWN = 20
PAYMENTS_SHOWN = 10


class PortalLimiter:
    """Invalid portal links per client address in a sliding window, counted in the gateway's
    database so every replica sees the same count (as the login limit does). Past the limit
    every portal request of the address is refused until the oldest failure leaves the
    window: a guesser cannot test a guess, valid or not. Wall-clock time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        reads: async_sessionmaker[AsyncSession],
        *,
        per_address: int,
        window_s: float,
    ) -> None:
        self._sessions = sessions
        # Every portal request checks: an autocommit read, one round trip, no transaction.
        self._reads = reads
        self._limit = per_address
        self._window = timedelta(seconds=window_s)
        self._recent = (
            sa.select(portal_failures.c.failed_at)
            .where(
                portal_failures.c.address == sa.bindparam("address"),
                portal_failures.c.failed_at
                > sa.bindparam("since", type_=portal_failures.c.failed_at.type),
            )
            .order_by(portal_failures.c.failed_at.desc())
            .limit(per_address)
        )

    async def check(self, address: str) -> None:
        """Raise TooManyAttempts when the address is over the limit."""
        now = datetime.now(UTC)
        async with self._reads() as session:
            recent = await session.scalars(
                self._recent, {"address": address, "since": now - self._window}
            )
            stamps = [stamp for stamp in map(aware, recent) if stamp is not None]
        if len(stamps) >= self._limit:
            # The oldest of the last `limit` failures leaving the window lifts it.
            raise TooManyAttempts(int((min(stamps) + self._window - now).total_seconds()) + 1)

    async def failed(self, address: str) -> None:
        now = datetime.now(UTC)
        async with transaction(self._sessions) as session:
            await session.execute(sa.insert(portal_failures).values(address=address, failed_at=now))
            # Expired rows of every address go, so the table cannot grow without bound.
            await session.execute(
                sa.delete(portal_failures).where(portal_failures.c.failed_at <= now - self._window)
            )


async def open_link(
    context: GatewayContext, limiter: PortalLimiter, token: str, address: str
) -> PortalLink:
    """The link a token stands for, on the business clock. Raises TooManyAttempts for an
    address over the limit, and InvalidPortalLink (one refusal, whatever was wrong, counted
    against the address) for anything but a genuine, unexpired link."""
    await limiter.check(address)
    try:
        return verify_portal_link(
            token, context.runtime.clock.now(), context.settings.portal_link_secrets()
        )
    except InvalidPortalLink:
        # The same words whatever was wrong: the log tells no more than the page.
        log.info("portal link refused", address=address)
        await limiter.failed(address)
        raise


_INVOICE_COLUMNS = (
    rm_invoices.c.invoice_id,
    rm_invoices.c.number,
    rm_invoices.c.debtor_id,
    rm_invoices.c.status,
    rm_invoices.c.currency,
    rm_invoices.c.open_amount,
    rm_invoices.c.paid_online,
    rm_invoices.c.invoice_date,
    rm_invoices.c.due_date,
)
_OPEN_INVOICES = (
    sa.select(*_INVOICE_COLUMNS)
    .where(
        rm_invoices.c.administration_id == sa.bindparam("administration_id"),
        rm_invoices.c.debtor_id == sa.bindparam("debtor_id"),
        rm_invoices.c.status == "open",
        rm_invoices.c.due_date.is_not(None),
    )
    .order_by(rm_invoices.c.due_date, rm_invoices.c.invoice_id)
    .limit(MAX_INVOICES_SHOWN)
)
# The debtor's open credit notes in one currency: the reminder mail deducts them, so the page
# shows them too (through the index on the debtor).
_OPEN_CREDIT_NOTES = (
    sa.select(rm_credit_notes.c.number, rm_credit_notes.c.open_amount)
    .where(
        rm_credit_notes.c.administration_id == sa.bindparam("administration_id"),
        rm_credit_notes.c.debtor_id == sa.bindparam("debtor_id"),
        rm_credit_notes.c.status == "open",
        rm_credit_notes.c.currency == sa.bindparam("currency"),
    )
    .order_by(rm_credit_notes.c.number)
)
_INVOICES_BY_ID = sa.select(*_INVOICE_COLUMNS).where(
    rm_invoices.c.administration_id == sa.bindparam("administration_id"),
    rm_invoices.c.invoice_id.in_(sa.bindparam("invoice_ids", expanding=True)),
    rm_invoices.c.due_date.is_not(None),
)
# The debtor with the administration's name, in one round trip.
_DEBTOR = (
    sa.select(
        rm_debtors.c.name,
        rm_debtors.c.language,
        rm_debtors.c.country,
        administrations.c.name.label("administration_name"),
    )
    .outerjoin(administrations, administrations.c.id == rm_debtors.c.administration_id)
    .where(
        rm_debtors.c.administration_id == sa.bindparam("administration_id"),
        rm_debtors.c.debtor_id == sa.bindparam("debtor_id"),
    )
)
_REMINDERS = (
    sa.select(
        rm_messages.c.created_at,
        rm_messages.c.channel,
        rm_messages.c.subject,
        rm_messages.c.invoice_ids,
    )
    .where(
        rm_messages.c.administration_id == sa.bindparam("administration_id"),
        rm_messages.c.debtor_id == sa.bindparam("debtor_id"),
        rm_messages.c.direction == "outbound",
        rm_messages.c.state.not_in(["failed", "bounced"]),
    )
    .order_by(rm_messages.c.created_at.desc())
    .limit(REMINDERS_SHOWN)
)
_PAYMENTS = (
    sa.select(
        rm_payments.c.created_at, rm_payments.c.amount, rm_payments.c.currency, rm_payments.c.status
    )
    .where(
        rm_payments.c.administration_id == sa.bindparam("administration_id"),
        rm_payments.c.debtor_id == sa.bindparam("debtor_id"),
    )
    .order_by(rm_payments.c.created_at.desc())
    .limit(PAYMENTS_SHOWN)
)


def _portal_invoice(row: Any) -> PortalInvoice:
    return PortalInvoice(
        invoice_id=row.invoice_id,
        number=row.number or row.invoice_id,
        debtor_id=row.debtor_id,
        status=row.status,
        currency=row.currency or "EUR",
        open_amount=Decimal(row.open_amount if row.open_amount is not None else 0),
        paid_online=Decimal(row.paid_online) if row.paid_online is not None else None,
    )


async def debtor_of(session: AsyncSession, link: PortalLink) -> PortalDebtor | None:
    """Whose portal the link opens, or None when the read model does not know the debtor."""
    keys = {"administration_id": link.administration_id, "debtor_id": link.debtor_id}
    debtor = (await session.execute(_DEBTOR, keys)).first()
    if debtor is None:
        return None
    return PortalDebtor(
        administration_name=debtor.administration_name or link.administration_id,
        debtor_name=debtor.name,
        language=debtor.language,
        country=debtor.country,
    )


async def debtor_page(
    session: AsyncSession,
    link: PortalLink,
    time_zone: str,
    chosen: Collection[str] | None = None,
) -> PortalView | None:
    """The debtor's page of a link, or None when the read model does not know the debtor.
    The reminder's invoices start chosen, or `chosen` (what the debtor sent, shown again)."""
    debtor = await debtor_of(session, link)
    if debtor is None:
        return None
    keys = {"administration_id": link.administration_id, "debtor_id": link.debtor_id}
    zone = ZoneInfo(time_zone)
    reminder = set(link.invoice_ids)
    ticked = reminder if chosen is None else set(chosen)
    lines = tuple(
        InvoiceLine(
            invoice=invoice,
            invoice_date=row.invoice_date,
            due_date=row.due_date,
            chosen=invoice.invoice_id in ticked and invoice.payable,
        )
        for row in await session.execute(_OPEN_INVOICES, keys)
        for invoice in (_portal_invoice(row),)
    )
    # The reminder's invoices as they are now: those still open are in the list already, the
    # rest (settled since, say) is read by id.
    listed = {line.invoice.invoice_id: line.invoice for line in lines}
    missing = [invoice_id for invoice_id in link.invoice_ids if invoice_id not in listed]
    of_reminder = [listed[i] for i in dict.fromkeys(link.invoice_ids) if i in listed]
    if missing:
        of_reminder += [
            _portal_invoice(row)
            for row in await session.execute(
                _INVOICES_BY_ID,
                {"administration_id": link.administration_id, "invoice_ids": missing},
            )
            if row.debtor_id == link.debtor_id
        ]
    no_longer_open = tuple(sorted(i.number for i in of_reminder if i.status != "open"))
    payable = [i for i in of_reminder if i.payable]
    currencies = {i.currency for i in payable}
    reminder_total = (
        (sum((i.open_amount for i in payable), Decimal("0.00")), currencies.pop())
        if len(currencies) == 1
        else None
    )
    credit_notes: tuple[CreditLine, ...] = ()
    if reminder_total is not None:
        currency = reminder_total[1]
        credit_notes = tuple(
            CreditLine(number=r.number, amount=abs(Decimal(r.open_amount)), currency=currency)
            for r in await session.execute(_OPEN_CREDIT_NOTES, {**keys, "currency": currency})
            if r.open_amount
        )
    numbers = {line.invoice.invoice_id: line.invoice.number for line in lines} | {
        i.invoice_id: i.number for i in of_reminder
    }
    reminders = tuple(
        ReminderLine(
            sent_on=aware(r.created_at).astimezone(zone).date(),
            channel=r.channel,
            subject=r.subject,
            numbers=tuple(numbers[i] for i in r.invoice_ids if i in numbers),
        )
        for r in await session.execute(_REMINDERS, keys)
    )
    payments = tuple(
        PaymentLine(
            created_on=aware(r.created_at).astimezone(zone).date(),
            amount=Decimal(r.amount),
            currency=r.currency,
            status=r.status,
        )
        for r in await session.execute(_PAYMENTS, keys)
    )
    return PortalView(
        debtor=debtor,
        invoices=lines,
        no_longer_open=no_longer_open,
        reminder_total=reminder_total,
        credit_notes=credit_notes,
        reminders=reminders,
        payments=payments,
        can_reply=link.thread_id is not None,
    )


async def pay(
    context: GatewayContext,
    link: PortalLink,
    chosen: Sequence[str],
    form_id: str,
    return_url: Callable[[str], str],
    locale: str | None = None,
) -> tuple[PaymentState, str]:
    """Ask the payments service for a payment of the chosen invoices, checked against the
    read model (NotPayable); the same form sent again asks for the same payment.
    `return_url(key)` is where the PSP sends the debtor back. Returns the payment and its
    key."""
    async with context.reads() as session:
        rows = await session.execute(
            _INVOICES_BY_ID,
            {"administration_id": link.administration_id, "invoice_ids": list(chosen)},
        )
        invoices = {row.invoice_id: _portal_invoice(row) for row in rows}
    picked = choose_payable(link.debtor_id, chosen, invoices)
    ids = tuple(invoice.invoice_id for invoice in picked)
    key = idempotency_key(link.administration_id, link.debtor_id, form_id, ids)
    state = await context.payments.create(
        link.administration_id,
        PaymentRequest(
            debtor_id=link.debtor_id,
            invoice_ids=ids,
            idempotency_key=key,
            redirect_url=return_url(key),
            locale=locale,
        ),
    )
    await _remember(context, link, key, state.payment_id)
    return state, key


async def _remember(context: GatewayContext, link: PortalLink, key: str, payment_id: str) -> None:
    """Keep which payment a pay form's key opened: the PSP sends the debtor back to a URL
    made before the payment had an id."""
    try:
        async with transaction(context.sessions) as session:
            known = await session.scalar(
                sa.select(portal_payments.c.payment_id).where(
                    portal_payments.c.idempotency_key == key
                )
            )
            if known is None:
                await session.execute(
                    sa.insert(portal_payments).values(
                        idempotency_key=key,
                        administration_id=link.administration_id,
                        debtor_id=link.debtor_id,
                        payment_id=payment_id,
                        created_at=context.runtime.clock.now(),
                    )
                )
    except IntegrityError:
        pass  # the same click, sent twice at once: the other request recorded it


def return_key(key: str) -> str:
    """The idempotency key of a return URL, as the portal made it (else an empty key, which
    finds no payment)."""
    return key if len(key) == 64 and all(c in "0123456789abcdef" for c in key) else ""


async def payment_of(context: GatewayContext, link: PortalLink, key: str) -> PaymentState:
    """The payment the portal asked for under `key` for this link's debtor, with its status
    as the payments service has it now (asked once). Raises PaymentNotFound for a key of
    another debtor or none at all, PaymentsUnavailable when it cannot be asked."""
    async with context.reads() as session:
        payment_id = await session.scalar(
            sa.select(portal_payments.c.payment_id).where(
                portal_payments.c.idempotency_key == return_key(key),
                portal_payments.c.administration_id == link.administration_id,
                portal_payments.c.debtor_id == link.debtor_id,
            )
        )
    if payment_id is None:
        raise PaymentNotFound("no such payment for this link")
    return await context.payments.get(link.administration_id, payment_id)


async def reply(
    context: GatewayContext, link: PortalLink, text: str, correlation_id: str | None
) -> None:
    """The debtor's message, to the thread of the link (messaging stores it as an unread
    reply). Raises the owning service's refusal as an HTTPException."""
    assert link.thread_id is not None
    await context.upstreams.call(
        "messaging",
        "POST",
        f"/internal/v1/administrations/{link.administration_id}/threads/{link.thread_id}/replies",
        correlation_id=correlation_id,
        json={"debtor_id": link.debtor_id, "text": text},
    )


# --- payment plans ----------------------------------------------------------------------------

# A debtor proposes at most this many monthly instalments; a longer plan is a person's to make.
MAX_PROPOSED_INSTALMENTS = 12


async def plan_offer(
    context: GatewayContext,
    link: PortalLink,
    invoices: Sequence[PortalInvoice],
    correlation_id: str | None,
) -> OfferLine | None:
    """The administration's plan offer whose range holds the debtor's open amount (their
    payable invoices together), or None: no offer holds it, the invoices are in several
    currencies, or dunning does not answer. The page only shows the offer; dunning decides
    whether each proposal is within it."""
    payable = [invoice for invoice in invoices if invoice.payable]
    if not payable or len({invoice.currency for invoice in payable}) > 1:
        return None
    open_amount = sum((invoice.open_amount for invoice in payable), Decimal("0.00"))
    try:
        answer = await context.upstreams.call(
            "dunning",
            "GET",
            f"/internal/v1/administrations/{link.administration_id}/plan-offers",
            correlation_id=correlation_id,
        )
    except HTTPException as failed:
        log.warning("plan offers unavailable", status=failed.status_code)
        return None
    for offer in answer.json()["offers"]:
        if Decimal(offer["min_open_amount"]) <= open_amount <= Decimal(offer["max_open_amount"]):
            return OfferLine(
                open_amount=open_amount,
                currency=payable[0].currency,
                max_instalments=int(offer["max_instalments"]),
                first_payment_within_days=int(offer["first_payment_within_days"]),
            )
    return None


async def propose_plan(
    context: GatewayContext,
    link: PortalLink,
    invoice_ids: Sequence[str],
    instalments: int,
    first_date: date,
    reason: str | None,
    correlation_id: str | None,
) -> dict[str, Any]:
    """The debtor's proposal, registered by dunning for the link's debtor (dunning refuses an
    invoice of another debtor): one date for everything, or monthly instalments. Dunning
    answers the plan: active when the proposal is within the administration's offer, requested
    otherwise. Raises the owning service's refusal as an HTTPException."""
    body: dict[str, Any] = {
        "debtor_id": link.debtor_id,
        "invoice_ids": list(dict.fromkeys(invoice_ids)),
        "first_date": first_date.isoformat(),
        "reason": reason or None,
    }
    if instalments == 1:
        body["kind"] = "delayed"
    else:
        body.update(kind="monthly", instalments=instalments)
    answer = await context.upstreams.call(
        "dunning",
        "POST",
        f"/internal/v1/administrations/{link.administration_id}/plans/proposals",
        correlation_id=correlation_id,
        json=body,
    )
    proposal: dict[str, Any] = answer.json()
    return proposal


async def plan_of(session: AsyncSession, link: PortalLink, plan_id: str) -> dict[str, Any] | None:
    """A plan of the link's debtor as the read model has it, or None (another debtor's plan
    is none of this link's business)."""
    plan = await session.scalar(
        sa.select(rm_payment_plans.c.plan).where(
            rm_payment_plans.c.administration_id == link.administration_id,
            rm_payment_plans.c.plan_id == plan_id,
            rm_payment_plans.c.debtor_id == link.debtor_id,
        )
    )
    return dict(plan) if plan is not None else None


async def pay_instalment(
    context: GatewayContext,
    link: PortalLink,
    plan_id: str,
    number: int,
    form_id: str,
    return_url: Callable[[str], str],
    locale: str | None = None,
) -> tuple[PaymentState, str]:
    """Ask the payments service for a payment of an instalment of the debtor's plan: it takes
    the amount (what is left of the instalment) from the plan. Returns the payment and its
    key; the same form sent again asks for the same payment."""
    key = idempotency_key(
        link.administration_id, link.debtor_id, form_id, [f"plan:{plan_id}:{number}"]
    )
    state = await context.payments.create(
        link.administration_id,
        PaymentRequest(
            debtor_id=link.debtor_id,
            invoice_ids=(),
            idempotency_key=key,
            redirect_url=return_url(key),
            locale=locale,
            plan_id=plan_id,
            instalment=number,
        ),
    )
    await _remember(context, link, key, state.payment_id)
    return state, key
