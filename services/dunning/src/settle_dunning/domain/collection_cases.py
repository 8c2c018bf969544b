"""How dunning reacts to collection cases: an invoice in a case is held by its case.

While a case is open its invoices take no step of their own: each is blocked
(`BlockReason.COLLECTION_CASE`) and moves to the phase of its case (in collection; with
bailiff once the case went to the partner). The debtor's "ready for collection" item is
resolved when a case opens or a user declines one. When the case ends, the hold ends: a
withdrawn case gives its invoices back to dunning at ready for collection (the flow had ended;
a person decides what next), any other outcome leaves them where the case took them (paid
invoices are settled by the next import)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from settle_dunning.domain.attention import (
    AttentionChange,
    AttentionReason,
    AttentionSubject,
    resolve,
)
from settle_dunning.domain.execution import PhaseChanged
from settle_dunning.domain.phases import IN_COLLECTION, READY_FOR_COLLECTION, WITH_BAILIFF, Phase
from settle_dunning.domain.reactions import Reaction
from settle_dunning.domain.state import BlockReason, DunningState

# The case's steps at which the partner has it (collection.cases.v1 CaseStep).
WITH_PARTNER = frozenset({"pre_court", "with_bailiff"})


def phase_of_case(step: str) -> Phase:
    """The dunning phase of an invoice whose case is at `step`."""
    return WITH_BAILIFF if step in WITH_PARTNER else IN_COLLECTION


def hold_for_case(
    state: DunningState, step: str, business_date: date
) -> tuple[Reaction, PhaseChanged | None]:
    """Hold an invoice by its case and move it to the case's phase. A settled invoice needs
    no hold (bookkeeping was quicker): nothing changes."""
    if state.settled:
        return Reaction(state, applied=False), None
    phase = phase_of_case(step)
    held = replace(state, blocked_by=BlockReason.COLLECTION_CASE, phase=phase, next_step=None)
    change = None
    if phase != state.phase:
        change = PhaseChanged(
            state.invoice_id, state.invoice.debtor_id, state.phase, phase, business_date
        )
    return Reaction(held, applied=held != state), change


def release_from_case(
    state: DunningState, outcome: str, business_date: date
) -> tuple[Reaction, PhaseChanged | None]:
    """End the case's hold of an invoice. A withdrawn case gives it back at ready for
    collection; otherwise it stays where the case took it."""
    if state.blocked_by is not BlockReason.COLLECTION_CASE:
        return Reaction(state, applied=False), None
    released = replace(state, blocked_by=None)
    change = None
    if outcome == "withdrawn" and state.phase != READY_FOR_COLLECTION:
        released = replace(released, phase=READY_FOR_COLLECTION)
        change = PhaseChanged(
            state.invoice_id,
            state.invoice.debtor_id,
            state.phase,
            READY_FOR_COLLECTION,
            business_date,
        )
    return Reaction(released), change


def ready_item_resolved(debtor_id: str, how: str) -> AttentionChange:
    """The debtor's "ready for collection" item, resolved because a case opened or a user
    declined one (`how` says which, in words)."""
    return resolve(
        AttentionReason.READY_FOR_COLLECTION,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"Decided: {how}.",
    )
