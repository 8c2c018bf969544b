"""How dunning reacts to online payments: a payment stops the reminders until bookkeeping
books it.

When a debtor pays online (or the payment is pending or authorized: it usually completes),
each covered invoice is held (`BlockReason.ONLINE_PAYMENT`) and an "online payment
registered" item is raised on it. The hold ends when

- the next import settles the invoice: bookkeeping booked the money (the item is resolved);
- the money goes back (a refund or chargeback), or a pending payment fails after all: the
  flow resumes, re-planned from that day, and a reversed payment raises attention;
- no booking came within `payment_hold_days` (a dunning setting): the flow resumes and
  attention is raised, since the money may be booked on the wrong invoice.

A resumed flow plans the step that fell due meanwhile on the day the hold ends (the next
sending day), never a burst of every step missed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from settle_dunning.domain.attention import (
    AttentionAction,
    AttentionChange,
    AttentionReason,
    AttentionSubject,
    resolve,
)
from settle_dunning.domain.control import resume_planning
from settle_dunning.domain.flows import Flow
from settle_dunning.domain.reactions import Reaction
from settle_dunning.domain.state import BlockReason, DunningState

# The payment's states (payments.payments.v1) that hold the invoices it covers.
HOLDING_STATUSES = frozenset({"pending", "authorized", "paid"})
# States in which a payment that held invoices turned out not to be paid after all.
NOT_COMPLETED_STATUSES = frozenset({"failed", "canceled", "expired"})
REVERSED_STATUSES = frozenset({"refunded", "charged_back"})


class HoldEnd(StrEnum):
    """Why a payment's hold of an invoice ended."""

    BOOKED = "booked"  # the import settled the invoice
    REVERSED = "reversed"  # refunded or charged back
    NOT_COMPLETED = "not_completed"  # a pending payment failed, was canceled or expired
    NOT_BOOKED = "not_booked"  # no booking within the hold's days


@dataclass(frozen=True)
class OnlinePayment:
    """What dunning needs of a payment: who paid what for which invoice, how and when."""

    payment_id: str
    debtor_id: str
    amount: Decimal
    currency: str
    method: str | None
    status: str
    on: date


@dataclass(frozen=True)
class PaymentHold:
    """An invoice held because a payment covers it, until `until` at the latest."""

    invoice_id: str
    payment_id: str
    debtor_id: str
    held_on: date
    until: date


def hold_for_payment(
    state: DunningState, payment: OnlinePayment, business_date: date, days: int
) -> tuple[Reaction, PaymentHold | None]:
    """Hold an invoice a payment covers; raise "online payment registered" on it.

    A settled invoice needs no hold (bookkeeping was quicker): nothing changes. The hold
    lasts until bookkeeping books it, at most `days` days after `business_date`.
    """
    if state.settled:
        return Reaction(state, applied=False), None
    until = business_date + timedelta(days=days)
    held = replace(state, blocked_by=BlockReason.ONLINE_PAYMENT)
    how = f" by {payment.method}" if payment.method else ""
    paid = "paid online" if payment.status == "paid" else f"being paid online ({payment.status})"
    item = AttentionChange(
        AttentionAction.RAISE,
        AttentionReason.ONLINE_PAYMENT_REGISTERED,
        AttentionSubject.INVOICE,
        state.invoice_id,
        f"Invoice {state.invoice.number} was {paid}{how} on {payment.on.isoformat()} "
        f"({payment.currency} {payment.amount}). Reminders wait until the bookkeeping books "
        f"it; if it is not booked by {until.isoformat()}, they resume.",
        (state.invoice_id,),
    )
    return Reaction(held, (item,)), PaymentHold(
        state.invoice_id, payment.payment_id, payment.debtor_id, business_date, until
    )


def held_on_arrival(state: DunningState, hold: PaymentHold) -> Reaction:
    """An invoice paid online before dunning learnt of it (the payments service took the
    import in first): it arrives held, with "online payment registered" raised on it."""
    item = AttentionChange(
        AttentionAction.RAISE,
        AttentionReason.ONLINE_PAYMENT_REGISTERED,
        AttentionSubject.INVOICE,
        state.invoice_id,
        f"Invoice {state.invoice.number} was paid online on {hold.held_on.isoformat()}, before "
        "it reached reminders. Reminders wait until the bookkeeping books it; if it is not "
        f"booked by {hold.until.isoformat()}, they resume.",
        (state.invoice_id,),
    )
    return Reaction(replace(state, blocked_by=BlockReason.ONLINE_PAYMENT), (item,))


def end_payment_hold(
    state: DunningState,
    flow: Flow,
    why: HoldEnd,
    business_date: date,
    *,
    still_held: bool = False,
) -> Reaction:
    """End a payment's hold of an invoice; the flow resumes from `business_date` unless the
    invoice is settled, on hold for another payment (`still_held`) or was released by a
    person meanwhile. The "online payment registered" item is resolved; a reversed or
    unbooked payment raises an item of its own."""
    number = state.invoice.number
    sentences = {
        HoldEnd.BOOKED: "The bookkeeping booked the payment; the invoice is settled.",
        HoldEnd.REVERSED: "The online payment was refunded or charged back; reminders resume.",
        HoldEnd.NOT_COMPLETED: "The online payment was not completed; reminders resume.",
        HoldEnd.NOT_BOOKED: "The online payment was not booked in time; reminders resume.",
    }
    changes: list[AttentionChange] = []
    if not still_held:
        changes.append(
            resolve(
                AttentionReason.ONLINE_PAYMENT_REGISTERED,
                AttentionSubject.INVOICE,
                state.invoice_id,
                sentences[why],
            )
        )
    if why is HoldEnd.REVERSED:
        changes.append(
            AttentionChange(
                AttentionAction.RAISE,
                AttentionReason.ONLINE_PAYMENT_REVERSED,
                AttentionSubject.INVOICE,
                state.invoice_id,
                f"The online payment of invoice {number} was refunded or charged back, so it "
                "is open again: reminders resume. Check the invoice in the bookkeeping.",
                (state.invoice_id,),
            )
        )
    elif why is HoldEnd.NOT_BOOKED and not state.settled:
        changes.append(
            AttentionChange(
                AttentionAction.RAISE,
                AttentionReason.ONLINE_PAYMENT_NOT_BOOKED,
                AttentionSubject.INVOICE,
                state.invoice_id,
                f"Invoice {number} was paid online, but the bookkeeping has not booked it "
                "within the hold: reminders resume. Book the payment on this invoice, or check "
                "where it was booked.",
                (state.invoice_id,),
            )
        )
    if still_held or state.settled or state.blocked_by is not BlockReason.ONLINE_PAYMENT:
        return Reaction(state, tuple(changes), applied=bool(changes))
    released = resume_planning(replace(state, blocked_by=None), flow, business_date)
    return Reaction(released, tuple(changes))
