"""The rules of payment plans: schedules that add up to the cent, what counts as paid, the
day's reminders, missed notices and expiry, and the refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settle_dunning.domain import AttentionReason, AttentionSubject
from settle_dunning.domain.errors import InvalidPlan, PlanRefused
from settle_dunning.domain.phases import Phase
from settle_dunning.domain.planning import due_steps
from settle_dunning.domain.plans import (
    CONFIRMATION_TEMPLATE,
    MAX_INSTALMENTS,
    CustomInstalment,
    PlanKind,
    PlanNotice,
    PlanSettings,
    PlanStatus,
    PlanTerms,
    ProposedBy,
    add_months,
    approve_plan,
    build_schedule,
    edit_plan,
    end_plan,
    expired_attention,
    hold_for_plan,
    make_plan,
    next_action_on,
    open_amount_imported,
    payment_paid,
    payment_started,
    plan_day,
    plan_message,
    release_from_plan,
)

from .factories import administration, debtor, invoice, planned_state, sent_and_reminders

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 10)
SETTINGS = PlanSettings(reminder_days=3, grace_days=2)

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2, allow_nan=False
)


@given(covered=amounts, count=st.integers(min_value=1, max_value=MAX_INSTALMENTS))
def test_equal_instalments_add_up_to_the_cent_and_the_last_absorbs_the_rest(
    covered: Decimal, count: int
) -> None:
    cents = int(covered * 100)
    terms = PlanTerms(PlanKind.MONTHLY, TODAY, instalments=count)
    if count > cents:
        with pytest.raises(InvalidPlan, match=r"more than the .* cents"):
            build_schedule(terms, covered, TODAY)
        return
    schedule = build_schedule(terms, covered, TODAY)
    assert len(schedule) == count
    assert sum(i.amount for i in schedule) == covered
    assert all(i.amount > 0 and i.amount == i.amount.quantize(Decimal("0.01")) for i in schedule)
    *first, last = [i.amount for i in schedule]
    assert len(set(first)) <= 1  # equal
    assert not first or 0 <= last - first[0] < Decimal("0.01") * count


@given(covered=amounts, amount=amounts)
def test_fixed_amounts_add_up_to_the_cent_and_the_last_is_what_is_left(
    covered: Decimal, amount: Decimal
) -> None:
    terms = PlanTerms(PlanKind.FIXED_AMOUNT_WEEKLY, TODAY, instalment_amount=amount)
    needed = -(-covered // amount)
    if needed > MAX_INSTALMENTS:
        with pytest.raises(InvalidPlan, match="at most"):
            build_schedule(terms, covered, TODAY)
        return
    schedule = build_schedule(terms, covered, TODAY)
    assert sum(i.amount for i in schedule) == covered
    assert all(i.amount == amount for i in schedule[:-1])
    assert 0 < schedule[-1].amount <= amount
    assert [i.due_on for i in schedule] == [
        TODAY + timedelta(weeks=n) for n in range(len(schedule))
    ]


def test_the_worked_examples() -> None:
    thirds = build_schedule(PlanTerms(PlanKind.MONTHLY, TODAY, instalments=3), Decimal(100), TODAY)
    assert [i.amount for i in thirds] == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert [i.due_on for i in thirds] == [date(2025, 3, 10), date(2025, 4, 10), date(2025, 5, 10)]
    delayed = build_schedule(PlanTerms(PlanKind.DELAYED, date(2025, 6, 1)), Decimal(50), TODAY)
    assert [(i.due_on, i.amount) for i in delayed] == [(date(2025, 6, 1), Decimal("50.00"))]


def test_monthly_instalments_fall_on_the_payment_day_or_the_month_s_last_day() -> None:
    schedule = build_schedule(
        PlanTerms(PlanKind.MONTHLY, date(2025, 3, 12), instalments=4, payment_day=31),
        Decimal(400),
        TODAY,
    )
    assert [i.due_on for i in schedule] == [
        date(2025, 3, 12),
        date(2025, 4, 30),
        date(2025, 5, 31),
        date(2025, 6, 30),
    ]
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_bad_terms_are_refused_with_every_problem_at_once() -> None:
    with pytest.raises(InvalidPlan) as refused:
        build_schedule(
            PlanTerms(PlanKind.MONTHLY, date(2025, 3, 9), instalments=0, payment_day=32),
            Decimal(100),
            TODAY,
        )
    fields = {e.field for e in refused.value.errors}
    assert fields == {"first_date", "payment_day", "instalments"}
    assert "in the past" in str(refused.value)
    with pytest.raises(InvalidPlan, match="more than zero"):
        build_schedule(
            PlanTerms(PlanKind.FIXED_AMOUNT_MONTHLY, TODAY, instalment_amount=Decimal("-5")),
            Decimal(100),
            TODAY,
        )
    with pytest.raises(InvalidPlan, match="more than the 3 cents"):
        build_schedule(PlanTerms(PlanKind.WEEKLY, TODAY, instalments=4), Decimal("0.03"), TODAY)


def test_custom_instalments_must_add_up_and_go_forward() -> None:
    def custom(*items: tuple[date, str]) -> PlanTerms:
        given_ = tuple(CustomInstalment(d, Decimal(a)) for d, a in items)
        return PlanTerms(PlanKind.CUSTOM, TODAY, custom=given_)

    ok = build_schedule(
        custom((date(2025, 3, 20), "60.00"), (date(2025, 4, 20), "40.00")), Decimal(100), TODAY
    )
    assert [i.amount for i in ok] == [Decimal("60.00"), Decimal("40.00")]
    with pytest.raises(InvalidPlan, match=r"add up to 90\.00, but the plan covers 100\.00"):
        build_schedule(
            custom((date(2025, 3, 20), "50.00"), (date(2025, 4, 20), "40.00")), Decimal(100), TODAY
        )
    with pytest.raises(InvalidPlan) as refused:
        build_schedule(
            custom((date(2025, 3, 20), "0"), (date(2025, 3, 20), "100.00")), Decimal(100), TODAY
        )
    assert {e.field for e in refused.value.errors} == {"custom[0].amount", "custom[1].due_on"}


def _states(*open_amounts: str, debtor_id: str = "debtor-1") -> list:
    flow = sent_and_reminders()
    return [planned_state(invoice(amount=a, debtor_id=debtor_id), flow) for a in open_amounts]


def _plan(states: list, terms: PlanTerms | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    return make_plan(
        "plan-1",
        states,
        [s.invoice_id for s in states],
        terms or PlanTerms(PlanKind.MONTHLY, date(2025, 3, 20), instalments=3),
        TODAY,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_plan_covers_the_open_amounts_of_one_debtor_s_open_invoices() -> None:
    states = _states("100.00", "200.00")
    plan = _plan(states)
    assert plan.status is PlanStatus.ACTIVE and plan.covered == Decimal("300.00")
    assert [i.amount for i in plan.instalments] == [Decimal("100.00")] * 3

    other = _states("50.00", debtor_id="debtor-2")
    with pytest.raises(PlanRefused, match="more than one debtor"):
        _plan(states + other)
    held = [hold_for_plan(s, plan) for s in states]
    with pytest.raises(PlanRefused, match="already in payment plan plan-1"):
        _plan(held)
    with pytest.raises(PlanRefused, match="settled"):
        _plan([replace(states[0], settled=True)])
    with pytest.raises(PlanRefused, match="in collection"):
        _plan([replace(states[0], phase=Phase.parse("in_collection"))])
    with pytest.raises(PlanRefused, match="more than one currency"):
        _plan([states[0], planned_state(invoice(currency="USD"), sent_and_reminders())])


def test_a_held_invoice_is_not_due_and_its_flow_resumes_with_one_step_from_the_end() -> None:
    flow = sent_and_reminders()
    [state] = _states("100.00")
    plan = _plan([state])
    held = hold_for_plan(state, plan)
    assert held.next_step_date is None
    assert due_steps([held], date(2025, 12, 31)) == []

    later = date(2025, 6, 2)  # every step of the flow fell due meanwhile
    released = release_from_plan(held, flow, later)
    assert released.plan_hold is None
    assert released.next_step is not None and released.next_step.planned_on == later
    assert released.next_step.step_id == state.next_step.step_id  # the one due, not a later one


def test_paid_online_counts_at_once_and_once_when_the_import_books_it() -> None:
    plan = _plan(_states("300.00"))
    paying = payment_started(plan, "pay-1")
    assert paying.in_flight == ("pay-1",)
    paid = payment_paid(paying, "pay-1", Decimal("100.00"))
    assert paid.in_flight == () and paid.paid == Decimal("100.00")
    assert [p.status for p in paid.progress()] == ["paid", "open", "open"]
    assert payment_paid(paid, "pay-1", Decimal("100.00")) == paid  # reported twice: once
    booked = open_amount_imported(paid, plan.invoice_ids[0], Decimal("200.00"))
    assert booked.paid == Decimal("100.00")  # not 200: the same money
    transfer = open_amount_imported(booked, plan.invoice_ids[0], Decimal("100.00"))
    assert transfer.paid == Decimal("200.00") and transfer.left == Decimal("100.00")


def test_an_edit_while_a_payment_is_in_flight_is_refused() -> None:
    plan = payment_started(_plan(_states("300.00")), "pay-1")
    with pytest.raises(PlanRefused, match="being made right now"):
        edit_plan(plan, PlanTerms(PlanKind.DELAYED, date(2025, 5, 1)), TODAY)
    with pytest.raises(PlanRefused, match="being made right now"):
        end_plan(plan, TODAY)


def test_the_day_reminds_before_each_instalment_notices_a_missed_one_and_expires() -> None:
    plan = _plan(_states("300.00"))  # 100 on 20 March, 20 April, 20 May
    assert next_action_on(plan, SETTINGS) == date(2025, 3, 17)
    assert plan_day(plan, date(2025, 3, 16), SETTINGS).notices == ()

    day = plan_day(plan, date(2025, 3, 17), SETTINGS)
    assert day.notices == ((PlanNotice.REMINDER, 1),)
    assert plan_day(day.plan, date(2025, 3, 17), SETTINGS).notices == ()  # same day: nothing

    paid = payment_paid(day.plan, "pay-1", Decimal("100.00"))
    assert next_action_on(paid, SETTINGS) == date(2025, 4, 17)
    day = plan_day(paid, date(2025, 4, 17), SETTINGS)
    assert day.notices == ((PlanNotice.REMINDER, 2),)
    assert next_action_on(day.plan, SETTINGS) == date(2025, 4, 23)
    day = plan_day(day.plan, date(2025, 4, 23), SETTINGS)  # 20 April + 2 grace days passed
    assert day.notices == ((PlanNotice.MISSED, 2),)
    assert [p.status for p in day.plan.progress()] == ["paid", "missed", "open"]

    day = plan_day(day.plan, date(2025, 5, 17), SETTINGS)
    assert day.notices == ((PlanNotice.REMINDER, 3),)
    day = plan_day(day.plan, date(2025, 5, 23), SETTINGS)
    assert day.expired and day.plan.status is PlanStatus.EXPIRED
    assert next_action_on(day.plan, SETTINGS) is None


def test_a_run_missed_for_weeks_sends_no_burst() -> None:
    plan = _plan(_states("300.00"))
    day = plan_day(plan, date(2025, 4, 18), SETTINGS)
    # Instalment 1 is past its date and grace: missed; instalment 2's reminder is due.
    assert day.notices == ((PlanNotice.MISSED, 1), (PlanNotice.REMINDER, 2))


def test_an_expired_plan_raises_attention_on_its_invoices_and_the_debtor() -> None:
    plan = _plan(_states("100.00", "200.00"))
    changes = expired_attention(plan, {})
    assert {(c.subject, c.reason) for c in changes} == {
        (AttentionSubject.INVOICE, AttentionReason.PAYMENT_PLAN_EXPIRED),
        (AttentionSubject.DEBTOR, AttentionReason.PAYMENT_PLAN_EXPIRED),
    }
    assert len(changes) == 3


def test_a_proposal_waits_for_approval_and_an_edit_schedules_what_is_left() -> None:
    states = _states("300.00")
    proposal = _plan(states, proposed_by=ProposedBy.DEBTOR, reason="salary on the 25th")
    assert proposal.status is PlanStatus.REQUESTED and proposal.started_on is None
    assert hold_for_plan(states[0], proposal).plan_hold.requested  # type: ignore[union-attr]
    approved = approve_plan(proposal, TODAY)
    assert approved.status is PlanStatus.ACTIVE and approved.version == 2

    paid = payment_paid(approved, "pay-1", Decimal("100.00"))
    edited = edit_plan(paid, PlanTerms(PlanKind.WEEKLY, date(2025, 4, 1), instalments=4), TODAY)
    assert edited.covered == Decimal("200.00") and edited.left == Decimal("200.00")
    assert sum(i.amount for i in edited.instalments) == Decimal("200.00")
    with pytest.raises(PlanRefused, match="not a proposal"):
        approve_plan(edited, TODAY)


def test_the_confirmation_carries_the_schedule() -> None:
    states = _states("300.00")
    plan = _plan(states)
    request = plan_message(
        plan,
        CONFIRMATION_TEMPLATE,
        administration=administration(),
        debtor=debtor(),
        states=states,
        business_date=TODAY,
    )
    assert request is not None and request.payment_plan is not None
    assert [line.amount for line in request.payment_plan.instalments] == [Decimal("100.00")] * 3
    assert request.template_key == CONFIRMATION_TEMPLATE
    nobody = plan_message(
        plan,
        CONFIRMATION_TEMPLATE,
        administration=administration(),
        debtor=debtor(emails=(), address=None),
        states=states,
        business_date=TODAY,
    )
    assert nobody is None
