"""Applying the collection service's case events: the invoices of an open case are held by
their case and follow its phase; when the case ends the hold ends (rules in
domain/collection_cases.py). A proposed case holds nothing yet.

Events of one case arrive in order (keyed by case); each is applied once (the consumer's
inbox). The hold remembers its case, so an event of an older case of the same invoice that
arrives late changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_dunning.application.plans import case_event_applied
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain.collection_cases import (
    hold_for_case,
    ready_item_resolved,
    release_from_case,
)
from settle_dunning.domain.execution import PhaseChanged
from settle_dunning.domain.reactions import Reaction
from settle_dunning.domain.state import DunningState
from settle_shared.events import collection
from settle_shared.logs import get_logger

log = get_logger(__name__)

# The case events that hold (or move) the case's invoices while it is open.
HOLDING = (
    collection.CaseOpened,
    collection.CaseInvoicesAdded,
    collection.CaseStepChanged,
    collection.CaseForwarded,
    collection.CasePartnerReported,
)
CASE_EVENTS = (*HOLDING, collection.CaseDeclined, collection.CaseClosed)


async def apply_case_event(
    ctx: DunningContext,
    session: AsyncSession,
    event: collection.CaseEvent,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Hold, move or release the invoices of a case, and count what collection allocated to
    (or closing) a case a payment plan covers, in the consumer's transaction."""
    if not isinstance(event, (*CASE_EVENTS, collection.CasePaymentAllocated)):
        return
    repos = ctx.repositories(session)
    outgoing = OutgoingEvents(event.administration_id)
    if isinstance(event, collection.CasePaymentAllocated | collection.CaseClosed):
        await case_event_applied(ctx, repos, outgoing, event)
    if isinstance(event, collection.CasePaymentAllocated):
        await outgoing.write(
            session, ctx.outbox, correlation_id=correlation_id, causation_id=causation_id
        )
        return
    business_date = ctx.business_date()
    adm = event.administration_id
    if isinstance(event, collection.CaseOpened | collection.CaseDeclined):
        how = (
            "a collection case was opened"
            if isinstance(event, collection.CaseOpened)
            else f"opening a collection case was declined ({event.reason})"
        )
        outgoing.attention(
            await repos.attention.apply(adm, [ready_item_resolved(event.debtor_id, how)])
        )
    if isinstance(event, HOLDING) and event.status == "open":
        for invoice_id in event.invoice_ids:
            state = await repos.states.get(adm, invoice_id)
            if state is None:
                log.info("case holds an invoice dunning does not know", invoice_id=invoice_id)
                continue
            reaction, change = hold_for_case(state, event.step, business_date)
            await repos.collection_holds.hold(adm, invoice_id, event.case_id, business_date)
            await _store(repos, outgoing, state, reaction, change)
    elif isinstance(event, collection.CaseClosed):
        for invoice_id in event.invoice_ids:
            if await repos.collection_holds.case_of(adm, invoice_id) != event.case_id:
                continue  # held by another case by now, or never held
            await repos.collection_holds.release(adm, invoice_id)
            state = await repos.states.get(adm, invoice_id)
            if state is None:
                continue
            reaction, change = release_from_case(state, event.outcome, business_date)
            await _store(repos, outgoing, state, reaction, change)
    await outgoing.write(
        session, ctx.outbox, correlation_id=correlation_id, causation_id=causation_id
    )


async def _store(
    repos: Repositories,
    outgoing: OutgoingEvents,
    before: DunningState,
    reaction: Reaction,
    change: PhaseChanged | None,
) -> None:
    if reaction.state == before:
        return
    await repos.states.update(outgoing.administration_id, [reaction.state])
    if change is not None:
        outgoing.phase_changed(change, reaction.state)
    outgoing.replanned(before, reaction.state)
