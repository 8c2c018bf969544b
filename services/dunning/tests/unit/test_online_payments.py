"""The rules of a payment hold: a paid invoice waits for the bookkeeping; when the hold ends
the flow resumes from that day, never with a burst of missed steps."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from settle_dunning.domain import AttentionAction, AttentionReason, BlockReason
from settle_dunning.domain.online_payments import (
    HoldEnd,
    OnlinePayment,
    end_payment_hold,
    hold_for_payment,
)
from settle_dunning.domain.planning import due_steps

from .factories import invoice, planned_state, sent_and_reminders

pytestmark = pytest.mark.unit

PAID = OnlinePayment(
    "pay-1", "debtor-1", Decimal("121.00"), "EUR", "ideal", "paid", date(2025, 3, 10)
)


def test_a_paid_invoice_is_held_until_a_booking_at_most_the_hold_s_days() -> None:
    flow = sent_and_reminders()
    state = planned_state(invoice(), flow)

    reaction, hold = hold_for_payment(state, PAID, date(2025, 3, 10), days=5)

    assert reaction.state.blocked_by is BlockReason.ONLINE_PAYMENT
    assert reaction.state.next_step_date is None  # the daily run does not see it
    assert hold is not None and hold.until == date(2025, 3, 15)
    [item] = reaction.attention
    assert (item.action, item.reason) == (
        AttentionAction.RAISE,
        AttentionReason.ONLINE_PAYMENT_REGISTERED,
    )
    assert "paid online by ideal on 2025-03-10 (EUR 121.00)" in item.sentence


def test_a_settled_invoice_needs_no_hold() -> None:
    state = replace(planned_state(invoice(), sent_and_reminders()), settled=True)

    reaction, hold = hold_for_payment(state, PAID, date(2025, 3, 10), days=5)

    assert hold is None and not reaction.applied and reaction.attention == ()


@pytest.mark.parametrize(
    ("why", "raised"),
    [
        (HoldEnd.REVERSED, AttentionReason.ONLINE_PAYMENT_REVERSED),
        (HoldEnd.NOT_BOOKED, AttentionReason.ONLINE_PAYMENT_NOT_BOOKED),
        (HoldEnd.NOT_COMPLETED, None),
    ],
)
def test_an_ended_hold_resumes_the_flow_from_that_day_with_one_step(why, raised) -> None:
    flow = sent_and_reminders()
    # Held on 10 March; the reminders fell due meanwhile (reminder-1 on 10 March).
    held, _ = hold_for_payment(planned_state(invoice(), flow), PAID, date(2025, 3, 10), days=5)
    ended_on = date(2025, 4, 14)  # a Monday, long after every step's date

    reaction = end_payment_hold(held.state, flow, why, ended_on)

    assert reaction.state.blocked_by is None
    assert reaction.state.next_step is not None
    assert reaction.state.next_step.planned_on == ended_on
    assert due_steps([reaction.state], ended_on) == [reaction.state]  # one step, not all
    reasons = [(c.action, c.reason) for c in reaction.attention]
    assert (AttentionAction.RESOLVE, AttentionReason.ONLINE_PAYMENT_REGISTERED) in reasons
    if raised:
        assert (AttentionAction.RAISE, raised) in reasons
    else:
        assert len(reasons) == 1


def test_an_invoice_still_held_by_another_payment_stays_held() -> None:
    flow = sent_and_reminders()
    held, _ = hold_for_payment(planned_state(invoice(), flow), PAID, date(2025, 3, 10), days=5)

    reaction = end_payment_hold(
        held.state, flow, HoldEnd.NOT_COMPLETED, date(2025, 3, 11), still_held=True
    )

    assert reaction.state.blocked_by is BlockReason.ONLINE_PAYMENT
    assert reaction.attention == ()


def test_a_booking_only_resolves_the_item() -> None:
    flow = sent_and_reminders()
    held, _ = hold_for_payment(planned_state(invoice(), flow), PAID, date(2025, 3, 10), days=5)
    settled = replace(held.state, settled=True, blocked_by=None, next_step=None)

    reaction = end_payment_hold(settled, flow, HoldEnd.BOOKED, date(2025, 3, 12))

    assert reaction.state == settled
    [item] = reaction.attention
    assert item.action is AttentionAction.RESOLVE
