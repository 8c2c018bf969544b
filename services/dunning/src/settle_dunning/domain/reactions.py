"""How an invoice's dunning reacts to facts from bookkeeping and to debtor changes.

Every invoice fact carries its source version; a fact older than (or equal to) the last one
applied is ignored, so duplicates and out-of-order deliveries change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from settle_dunning.domain import attention
from settle_dunning.domain.attention import (
    AttentionChange,
    AttentionReason,
    AttentionSubject,
)
from settle_dunning.domain.delivery import message_block_lifted
from settle_dunning.domain.flows import Flow
from settle_dunning.domain.money import to_amount
from settle_dunning.domain.parties import Debtor
from settle_dunning.domain.planning import plan_next_step
from settle_dunning.domain.state import BlockReason, DunningState, FactVersion, is_newer

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InvoiceSettled:
    """The invoice is no longer open in bookkeeping."""

    invoice_id: str
    version: FactVersion


@dataclass(frozen=True)
class InvoiceReopened:
    """A settled invoice is open again in bookkeeping."""

    invoice_id: str
    version: FactVersion
    open_amount: Decimal


@dataclass(frozen=True)
class OpenAmountChanged:
    """Bookkeeping reports a new open amount (a partial payment, a correction)."""

    invoice_id: str
    version: FactVersion
    open_amount: Decimal


@dataclass(frozen=True)
class BookkeepingErrorSuspected:
    """The importer saw something that looks like a bookkeeping error (e.g. a fixed field
    changed); `detail` says what, in words a user can read."""

    invoice_id: str
    version: FactVersion
    detail: str


@dataclass(frozen=True)
class Reaction:
    """The state after a fact, the attention it causes, and whether it was applied at all."""

    state: DunningState
    attention: tuple[AttentionChange, ...] = ()
    applied: bool = True


def _ignored(state: DunningState) -> Reaction:
    return Reaction(state, (), applied=False)


def _resolve_below_minimum(state: DunningState, why: str) -> tuple[AttentionChange, ...]:
    if state.blocked_by is not BlockReason.BELOW_MINIMUM_AMOUNT:
        return ()
    return (
        attention.resolve(
            AttentionReason.BELOW_MINIMUM_AMOUNT, AttentionSubject.INVOICE, state.invoice_id, why
        ),
    )


def invoice_settled(state: DunningState, fact: InvoiceSettled) -> Reaction:
    """Stop dunning: nothing more is planned or sent for a settled invoice."""
    if not is_newer(fact.version, state.last_fact):
        return _ignored(state)
    settled = replace(
        state,
        invoice=replace(state.invoice, open_amount=ZERO),
        settled=True,
        next_step=None,
        blocked_by=None,
        last_fact=fact.version,
    )
    return Reaction(
        settled,
        (
            *_resolve_below_minimum(state, "The invoice was settled."),
            *message_block_lifted(state, settled, "The invoice was settled."),
        ),
    )


def invoice_reopened(
    state: DunningState, flow: Flow, fact: InvoiceReopened, business_date: date
) -> Reaction:
    """Resume dunning where the invoice left off, planned from today, and flag it.

    The flow is not restarted: a reopened invoice picks up its next step, no level is sent
    twice or skipped.
    """
    if not is_newer(fact.version, state.last_fact):
        return _ignored(state)
    open_amount = to_amount(fact.open_amount)
    updated = replace(
        state,
        invoice=replace(state.invoice, open_amount=open_amount),
        last_fact=fact.version,
    )
    if not state.settled:
        return Reaction(plan_next_step(updated, flow))
    floor = business_date if state.not_before is None else max(state.not_before, business_date)
    reopened = replace(updated, settled=False, reopened=True, not_before=floor)
    flag = attention.possible_bookkeeping_error(
        state.invoice_id, f"invoice {state.invoice.number} was settled and is open again"
    )
    return Reaction(plan_next_step(reopened, flow), (flag,))


def open_amount_changed(
    state: DunningState, flow: Flow, fact: OpenAmountChanged, business_date: date
) -> Reaction:
    """Carry on with the new open amount.

    A partial payment keeps the flow where it is: the next step still goes out, on the new
    amount, and no level is skipped. An amount of zero or less settles the invoice; more
    than the invoice amount, or less than zero, is flagged as a possible bookkeeping error.
    A step held back by its minimum amount is released when the amount reaches it again.
    """
    if not is_newer(fact.version, state.last_fact):
        return _ignored(state)
    open_amount = to_amount(fact.open_amount)
    invoice = state.invoice
    raised: list[AttentionChange] = []
    if open_amount < 0 or open_amount > invoice.amount > 0:
        raised.append(
            attention.possible_bookkeeping_error(
                invoice.id,
                f"open amount {invoice.currency} {open_amount} does not fit the invoice amount "
                f"{invoice.currency} {invoice.amount}",
            )
        )
    if open_amount <= 0:
        settled = invoice_settled(state, InvoiceSettled(invoice.id, fact.version))
        return Reaction(settled.state, (*settled.attention, *raised))

    updated = replace(
        state, invoice=replace(invoice, open_amount=open_amount), last_fact=fact.version
    )
    if state.blocked_by is BlockReason.BELOW_MINIMUM_AMOUNT and state.next_step is not None:
        index = flow.index_of(state.next_step.step_id)
        minimum = flow.steps[index].minimum_open_amount if index is not None else ZERO
        if open_amount >= minimum:
            raised.extend(
                _resolve_below_minimum(state, "The open amount reached the step's minimum.")
            )
            updated = plan_next_step(
                replace(updated, blocked_by=None), flow, not_before=business_date
            )
    return Reaction(updated, tuple(raised))


def bookkeeping_error_suspected(state: DunningState, fact: BookkeepingErrorSuspected) -> Reaction:
    """Raise a possible-bookkeeping-error item; the flow itself goes on unchanged."""
    if not is_newer(fact.version, state.last_fact):
        return _ignored(state)
    return Reaction(
        replace(state, last_fact=fact.version),
        (attention.possible_bookkeeping_error(state.invoice_id, fact.detail),),
    )


_DEBTOR_BLOCKS: Mapping[BlockReason, AttentionReason] = {
    BlockReason.EMAIL_MISSING: AttentionReason.EMAIL_MISSING,
    BlockReason.PHONE_MISSING: AttentionReason.PHONE_MISSING,
    BlockReason.UNMATCHED_CREDIT_NOTE: AttentionReason.UNMATCHED_CREDIT_NOTE,
}


def _emails_changed(previous: Debtor | None, current: Debtor) -> bool:
    if previous is None:
        return False
    return {e.strip().lower() for e in previous.emails} != {
        e.strip().lower() for e in current.emails
    }


def _cleared_blocks(previous: Debtor | None, current: Debtor) -> set[BlockReason]:
    cleared: set[BlockReason] = set()
    # A changed address also counts: messaging may have reported it missing for a message
    # requested before the address arrived.
    if current.has_email and (
        previous is None or not previous.has_email or _emails_changed(previous, current)
    ):
        cleared.add(BlockReason.EMAIL_MISSING)
    if current.phone and (previous is None or not previous.phone):
        cleared.add(BlockReason.PHONE_MISSING)
    if not current.has_unmatched_credit_note and (
        previous is None or previous.has_unmatched_credit_note
    ):
        cleared.add(BlockReason.UNMATCHED_CREDIT_NOTE)
    # A step whose message reached nobody is tried again once the addresses it went to change.
    if BlockReason.EMAIL_MISSING in cleared or (
        previous is not None
        and (_emails_changed(previous, current) or previous.address != current.address)
    ):
        cleared.add(BlockReason.MESSAGE_FAILED)
    return cleared


@dataclass(frozen=True)
class DebtorReaction:
    """Invoices released by a debtor change, and the debtor attention items it resolves."""

    states: tuple[DunningState, ...]
    attention: tuple[AttentionChange, ...]


def debtor_changed(
    previous: Debtor | None,
    current: Debtor,
    blocked: Iterable[DunningState],
    flows: Mapping[str, Flow],
    business_date: date,
) -> DebtorReaction:
    """Release the debtor's invoices whose block the change cleared, planned from today.

    `blocked` are the debtor's invoices with a block (the service selects them); an email
    address or phone number that arrived, or credit notes that are now all matched, release
    the matching blocks and resolve the debtor's attention items for them. Changed email
    addresses also resolve an undeliverable-email item: the address that bounced is gone.
    An email or postal address that arrived or changed releases a step whose message reached
    nobody, and answers its message-failed item.
    """
    cleared = _cleared_blocks(previous, current)
    released: list[DunningState] = []
    answered: list[AttentionChange] = []
    for state in blocked:
        if state.blocked_by in cleared and not state.settled:
            flow = flows[state.flow_id]
            after = plan_next_step(replace(state, blocked_by=None), flow, not_before=business_date)
            released.append(after)
            answered += message_block_lifted(
                state,
                after,
                "The debtor's addresses were updated from the bookkeeping; the "
                "step is planned again.",
            )
    resolved = tuple(
        attention.resolve(
            _DEBTOR_BLOCKS[reason],
            AttentionSubject.DEBTOR,
            current.id,
            "The debtor's details were updated from the bookkeeping.",
        )
        for reason in sorted(cleared)
        if previous is not None and reason in _DEBTOR_BLOCKS
    ) + tuple(answered)
    if previous is not None and previous.has_email and _emails_changed(previous, current):
        resolved += (
            attention.resolve(
                AttentionReason.EMAIL_UNDELIVERABLE,
                AttentionSubject.DEBTOR,
                current.id,
                "The debtor's email addresses were changed in the bookkeeping.",
            ),
        )
    return DebtorReaction(tuple(released), resolved)
