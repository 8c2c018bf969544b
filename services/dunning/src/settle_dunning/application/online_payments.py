"""Applying the payments service's events: a payment holds the invoices it covers until the
bookkeeping books it; the money going back, or no booking within the hold, resumes their
flow (rules in domain/online_payments.py).

Events of one debtor's payments arrive in order (they are keyed by debtor); each is applied
once (the consumer's inbox), and applying one again would change nothing: a hold exists once
per invoice and payment, and only an active hold ends."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_dunning.application.plans import apply_plan_payment
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain.online_payments import (
    HOLDING_STATUSES,
    NOT_COMPLETED_STATUSES,
    REVERSED_STATUSES,
    HoldEnd,
    OnlinePayment,
    PaymentHold,
    end_payment_hold,
    hold_for_payment,
)
from settle_dunning.domain.reactions import Reaction
from settle_dunning.domain.state import DunningState
from settle_shared.db import transaction
from settle_shared.events import payments
from settle_shared.logs import get_logger

log = get_logger(__name__)

PaymentEvent: TypeAlias = (
    payments.PaymentCreated
    | payments.PaymentStatusChanged
    | payments.PaymentRefunded
    | payments.PaymentChargedBack
)
PAYMENT_EVENTS = (
    payments.PaymentCreated,
    payments.PaymentStatusChanged,
    payments.PaymentRefunded,
    payments.PaymentChargedBack,
)
# Holds whose days ran out, ended per transaction.
DUE_BATCH = 200


async def apply_payment_event(
    ctx: DunningContext,
    session: AsyncSession,
    event: PaymentEvent,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Hold or release the invoices a payment covers, in the consumer's transaction; a
    payment of a plan's instalment counts toward the plan instead (application/plans.py)."""
    repos = ctx.repositories(session)
    outgoing = OutgoingEvents(event.administration_id)
    business_date = ctx.business_date()
    if event.plan_id is not None:
        await apply_plan_payment(ctx, repos, outgoing, event)
    elif isinstance(event, payments.PaymentCreated):
        pass  # a payment created holds nothing yet
    elif isinstance(event, payments.PaymentStatusChanged):
        if event.status in HOLDING_STATUSES:
            await _hold(ctx, repos, outgoing, event, business_date)
        elif event.status in NOT_COMPLETED_STATUSES:
            await _end(repos, outgoing, event, HoldEnd.NOT_COMPLETED, business_date)
        elif event.status in REVERSED_STATUSES:
            await _end(repos, outgoing, event, HoldEnd.REVERSED, business_date)
    else:
        # Refunds and chargebacks also come as a status change; a second partial refund
        # comes only as itself. Either way a hold ends once.
        await _end(repos, outgoing, event, HoldEnd.REVERSED, business_date)
    await outgoing.write(
        session, ctx.outbox, correlation_id=correlation_id, causation_id=causation_id
    )


async def _hold(
    ctx: DunningContext,
    repos: Repositories,
    outgoing: OutgoingEvents,
    event: payments.PaymentStatusChanged,
    business_date: date,
) -> None:
    administration_id = event.administration_id
    payment = OnlinePayment(
        payment_id=event.payment_id,
        debtor_id=event.debtor_id,
        amount=event.amount,
        currency=event.currency,
        method=event.method,
        status=event.status,
        on=event.changed_at.astimezone(ctx.time_zone).date(),
    )
    for invoice_id in event.invoice_ids:
        if await repos.payment_holds.known(administration_id, invoice_id, event.payment_id):
            continue  # pending, then paid: held once
        state = await repos.states.get(administration_id, invoice_id)
        if state is None:
            # The payments service took the import in before dunning did: the hold is kept and
            # the invoice arrives held (facts._invoice_imported).
            log.info("payment for an invoice not imported here yet", invoice_id=invoice_id)
            until = business_date + timedelta(days=ctx.settings.payment_hold_days)
            await repos.payment_holds.add(
                administration_id,
                PaymentHold(invoice_id, event.payment_id, event.debtor_id, business_date, until),
            )
            continue
        reaction, hold = hold_for_payment(
            state, payment, business_date, ctx.settings.payment_hold_days
        )
        if hold is not None:
            await repos.payment_holds.add(administration_id, hold)
        await _store(repos, outgoing, state, reaction)


async def _end(
    repos: Repositories,
    outgoing: OutgoingEvents,
    event: PaymentEvent,
    why: HoldEnd,
    business_date: date,
) -> None:
    for invoice_id in event.invoice_ids:
        await end_holds(
            repos, outgoing, invoice_id, why, business_date, payment_id=event.payment_id
        )


async def end_holds(
    repos: Repositories,
    outgoing: OutgoingEvents,
    invoice_id: str,
    why: HoldEnd,
    business_date: date,
    *,
    payment_id: str | None = None,
) -> None:
    """End the active holds of an invoice (of one payment, or all of them: a booking ends
    every hold), resuming its flow when no hold is left."""
    administration_id = outgoing.administration_id
    active = await repos.payment_holds.active(administration_id, invoice_id)
    ending = [h for h in active if payment_id is None or h.payment_id == payment_id]
    if not ending:
        return
    state = await repos.states.get(administration_id, invoice_id)
    for hold in ending:
        await repos.payment_holds.end(
            administration_id, invoice_id, hold.payment_id, business_date, why
        )
    if state is None:
        return
    flows = {flow.id: flow for flow in await repos.flows.all(administration_id)}
    reaction = end_payment_hold(
        state,
        flows[state.flow_id],
        why,
        business_date,
        still_held=len(ending) < len(active),
    )
    await _store(repos, outgoing, state, reaction)


async def _store(
    repos: Repositories, outgoing: OutgoingEvents, before: DunningState, reaction: Reaction
) -> None:
    administration_id = outgoing.administration_id
    if reaction.state != before:
        await repos.states.update(administration_id, [reaction.state])
        outgoing.replanned(before, reaction.state)
    outgoing.attention(await repos.attention.apply(administration_id, reaction.attention))


async def end_unbooked_holds(ctx: DunningContext) -> int:
    """End the holds whose days ran out without a booking: their flows resume from today.
    Returns how many holds ended."""
    business_date = ctx.business_date()
    ended = 0
    while True:
        async with transaction(ctx.sessions) as session:
            repos = ctx.repositories(session)
            due = await repos.payment_holds.due(business_date, DUE_BATCH)
            by_administration: dict[str, list[str]] = {}
            for administration_id, hold in due:
                by_administration.setdefault(administration_id, []).append(hold.invoice_id)
            for administration_id, invoice_ids in by_administration.items():
                outgoing = OutgoingEvents(administration_id)
                for invoice_id in dict.fromkeys(invoice_ids):
                    await _end_due(repos, outgoing, invoice_id, business_date)
                await outgoing.write(session, ctx.outbox)
        ended += len(due)
        if len(due) < DUE_BATCH:
            return ended


async def _end_due(
    repos: Repositories, outgoing: OutgoingEvents, invoice_id: str, business_date: date
) -> None:
    active = await repos.payment_holds.active(outgoing.administration_id, invoice_id)
    for hold in active:
        if hold.until <= business_date:
            await end_holds(
                repos,
                outgoing,
                invoice_id,
                HoldEnd.NOT_BOOKED,
                business_date,
                payment_id=hold.payment_id,
            )
