"""A case in a payment plan, without I/O: the plan pauses it and refuses a person's resume,
step and close; the interest of a kept plan's days is not claimed, that of a plan ended
unpaid is owed after all; the case resumes from the day the plan ended, never at once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from settle_collection.domain import cases, charges
from settle_collection.domain.balances import case_balance
from settle_collection.domain.cases import Outcome, PaymentSource, Status, Step, step_due
from settle_collection.domain.errors import NotAllowed
from settle_collection.domain.opening import place_ready_invoice
from settle_collection.domain.parties import AdministrationSettings, Debtor, Invoice, Opening
from settle_collection.domain.plans import (
    PLAN_PAUSE_REASON,
    hold_for_plan,
    interest_pauses,
    release_from_plan,
)
from settle_law.published import published_rates

pytestmark = pytest.mark.unit

TABLE = published_rates()
DAY = date(2025, 4, 1)
LATER = date(2025, 7, 1)
AUTOMATIC = AdministrationSettings(opening=Opening.AUTOMATIC)
BUSINESS = Debtor("deb-1", "D1", "De Vries B.V.", "business", emails=("a@example.nl",))


def a_business_case() -> cases.Case:
    """A business's case over 1,000.00 due 31 January 2025, interest claimed (commercial
    rate from 1 February)."""
    invoice = Invoice(
        invoice_id="inv-1",
        debtor_id="deb-1",
        number="N-1",
        invoice_date=date(2025, 1, 1),
        due_date=date(2025, 1, 31),
        amount=Decimal("1000.00"),
        open_amount=Decimal("1000.00"),
        currency="EUR",
        version=1,
        ready_on=DAY,
    )
    placed = place_ready_invoice("adm", invoice, BUSINESS, [], AUTOMATIC, [], DAY, "case-1")
    assert placed is not None
    return charges.charge_interest(placed.case, DAY)


def balance_on(case: cases.Case, day: date) -> Decimal:
    return case_balance(case, day, TABLE, 3).total


def test_a_plan_pauses_the_case_and_refuses_a_persons_resume_and_step() -> None:
    held = hold_for_plan(a_business_case(), "plan-1", DAY)

    assert held.paused and held.plan_id == "plan-1"
    assert held.entries[-1].reason == PLAN_PAUSE_REASON
    assert step_due(held, 14, DAY + timedelta(days=60)) is None
    with pytest.raises(NotAllowed, match="payment plan plan-1"):
        cases.resume(held, DAY)
    with pytest.raises(NotAllowed, match="end the plan first"):
        cases.move_to(held, Step.REMINDER, DAY, "user")
    # The same plan again (an edit, a payment) changes nothing.
    assert hold_for_plan(held, "plan-1", LATER) == held


def test_a_closed_case_is_not_paused_by_a_plan() -> None:
    closed = cases.close(a_business_case(), Outcome.UNCOLLECTABLE, DAY, "gone")
    assert hold_for_plan(closed, "plan-1", DAY) == closed


def test_a_kept_plan_s_days_bear_no_interest() -> None:
    case = a_business_case()
    at_start = balance_on(case, DAY)
    held = hold_for_plan(case, "plan-1", DAY)

    # While the plan runs the balance stays what the plan covers.
    assert balance_on(held, LATER) == at_start
    kept = release_from_plan(held, "plan-1", LATER, kept=True)
    assert interest_pauses(kept) == [(DAY, LATER)]
    assert balance_on(kept, LATER) == at_start
    # After the plan interest runs again.
    assert balance_on(kept, LATER + timedelta(days=30)) > at_start


def test_a_plan_ended_unpaid_owes_the_interest_of_its_days_after_all() -> None:
    case = a_business_case()
    without_plan = balance_on(case, LATER)
    held = hold_for_plan(case, "plan-1", DAY)

    ended = release_from_plan(held, "plan-1", LATER, kept=False)

    assert interest_pauses(ended) == []
    assert balance_on(ended, LATER) == without_plan > balance_on(case, DAY)


def test_a_new_plan_seen_before_the_end_of_the_one_before_leaves_no_endless_pause() -> None:
    # Plan 1 was ended unpaid and plan 2 made over the case; their events are keyed by plan,
    # so collection may see plan 2 start before plan 1 end.
    case = a_business_case()
    without_plan = balance_on(case, LATER)
    first = hold_for_plan(case, "plan-1", DAY)
    second = hold_for_plan(first, "plan-2", DAY + timedelta(days=10))
    late = release_from_plan(second, "plan-1", DAY + timedelta(days=10), kept=False)

    assert late.plan_id == "plan-2" and late.paused
    ended = release_from_plan(late, "plan-2", LATER, kept=False)
    assert interest_pauses(ended) == []
    assert balance_on(ended, LATER) == without_plan


def test_a_case_a_person_paused_before_the_plan_stays_paused_after_it() -> None:
    paused = cases.pause(a_business_case(), DAY, reason="disputed")
    held = hold_for_plan(paused, "plan-1", DAY)

    ended = release_from_plan(held, "plan-1", LATER, kept=False)

    assert ended.plan_id is None and ended.paused
    assert step_due(ended, 14, LATER + timedelta(days=60)) is None
    # A plan over a case that was not paused still resumes it.
    other = release_from_plan(
        hold_for_plan(a_business_case(), "plan-2", DAY), "plan-2", LATER, kept=False
    )
    assert not other.paused


def test_the_case_resumes_from_the_day_the_plan_ended_one_step_at_a_time() -> None:
    held = hold_for_plan(a_business_case(), "plan-1", DAY)

    released = release_from_plan(held, "plan-1", LATER, kept=False)

    assert not released.paused and released.plan_id is None and released.step_on == LATER
    # Its next step counts its days from that day: nothing falls due at once.
    assert step_due(released, 14, LATER) is None
    assert step_due(released, 14, LATER + timedelta(days=14)) is Step.REMINDER
    # Another plan's end changes nothing.
    assert release_from_plan(held, "plan-2", LATER, kept=False) == held


def test_instalments_paid_by_law_pay_the_case_off_exactly() -> None:
    held = hold_for_plan(a_business_case(), "plan-1", DAY)
    covered = balance_on(held, DAY)
    first = (covered / 2).quantize(Decimal("0.01"))

    paid = charges.receive_payment(
        held, "online-p1", first, PaymentSource.ONLINE, DAY + timedelta(days=30), detail="online"
    )
    paid = charges.receive_payment(
        paid,
        "online-p2",
        covered - first,
        PaymentSource.ONLINE,
        DAY + timedelta(days=60),
        detail="online",
    )

    balance = case_balance(paid, DAY + timedelta(days=60), TABLE, 3)
    assert balance.total == Decimal("0.00")
    # Interest first (art. 6:44 BW), then the principal.
    assert balance.payments[0].interest > 0 and balance.payments[0].costs == 0
    closed = charges.close_when_paid(paid, AUTOMATIC, balance, DAY + timedelta(days=60))
    assert closed is not None and closed.status is Status.CLOSED
    assert closed.outcome is Outcome.PAID
