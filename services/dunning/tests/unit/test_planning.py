from dataclasses import replace
from datetime import date

import pytest

from settle_dunning.domain import (
    ExecutedStep,
    ExecutionReason,
    FlowMismatch,
    PlanBasis,
    SendingCalendar,
    due_steps,
    is_due,
    new_dunning_state,
    plan_next_step,
)
from settle_dunning.domain.phases import FINAL_REMINDER, PRE_REMINDER, reminder

from .factories import DUE, business_flow, consumer_flow, flow, invoice, planned_state, step

pytestmark = pytest.mark.unit


def executed(step_id: str, on: date, *, legally_required: bool = False) -> ExecutedStep:
    return ExecutedStep(
        step_id=step_id,
        executed_on=on,
        reason=ExecutionReason.SCHEDULED,
        channels=(),
        phase=reminder(1),
        cycle=1,
        legally_required=legally_required,
    )


def test_the_first_step_is_planned_from_the_due_date() -> None:
    state = planned_state(invoice(), business_flow())
    assert state.next_step is not None
    assert state.next_step.step_id == "reminder-1"
    assert state.next_step.planned_on == date(2025, 3, 10)
    assert state.next_step.basis is PlanBasis.SCHEDULE
    assert state.next_step_date == date(2025, 3, 10)


def test_a_negative_offset_plans_before_the_due_date() -> None:
    pre = flow(step("pre", -3, PRE_REMINDER), step("r1", 7, reminder(1)))
    # 28 February 2025 is a Friday.
    assert planned_state(invoice(), pre).next_step_date == date(2025, 2, 28)


def test_a_date_on_a_weekend_or_holiday_moves_to_the_next_sending_day() -> None:
    # Due on Saturday 12 April: +7 is Saturday 19 April, then Easter Sunday and Monday.
    state = planned_state(invoice(due=date(2025, 4, 12)), business_flow())
    assert state.next_step_date == date(2025, 4, 22)


def test_blocked_dates_move_the_step() -> None:
    blocked = SendingCalendar(blocked_dates=frozenset({date(2025, 3, 10), date(2025, 3, 11)}))
    custom = flow(step("r1", 7, reminder(1)), calendar=blocked)
    assert planned_state(invoice(), custom).next_step_date == date(2025, 3, 12)


def test_following_steps_are_planned_from_the_actual_execution_date() -> None:
    state = planned_state(invoice(), business_flow())
    # Reminder 1 was due on 10 March but went out on 17 March (caught up after an outage).
    late = replace(state, executed=(executed("reminder-1", date(2025, 3, 17)),))
    replanned = plan_next_step(late, business_flow())
    assert replanned.next_step is not None
    assert replanned.next_step.step_id == "reminder-2"
    assert replanned.next_step.planned_on == date(2025, 3, 31)


def test_due_date_offsets_keep_their_spacing_after_a_late_step() -> None:
    due_based = flow(step("r1", 7, reminder(1)), step("r2", 21, reminder(2)))
    state = planned_state(invoice(), due_based)
    late = replace(state, executed=(executed("r1", date(2025, 3, 17)),))
    # Nominally due + 21 = 24 March, but never closer than 14 days to reminder 1.
    assert plan_next_step(late, due_based).next_step_date == date(2025, 3, 31)


def test_due_date_offsets_are_not_pulled_forward_by_an_early_step() -> None:
    due_based = flow(step("r1", 7, reminder(1)), step("r2", 21, reminder(2)))
    early = replace(
        planned_state(invoice(), due_based), executed=(executed("r1", date(2025, 3, 4)),)
    )
    assert plan_next_step(early, due_based).next_step_date == date(2025, 3, 24)


def test_after_the_14_day_letter_the_next_step_waits_the_legal_term() -> None:
    consumer = consumer_flow()
    state = planned_state(invoice(), consumer)
    done = replace(
        state,
        executed=(
            executed("reminder-1", date(2025, 3, 10)),
            executed("reminder-2", date(2025, 3, 24)),
            executed("fourteen-day-letter", date(2025, 4, 7), legally_required=True),
        ),
        phase=FINAL_REMINDER,
    )
    # 7 April + 17 days = 24 April (Thursday).
    assert plan_next_step(done, consumer).next_step_date == date(2025, 4, 24)


def test_the_legal_term_is_a_floor_even_if_the_flow_is_edited_shorter() -> None:
    consumer = consumer_flow()
    shorter = replace(
        consumer, steps=(*consumer.steps[:3], replace(consumer.steps[3], offset_days=1))
    )
    done = replace(
        planned_state(invoice(), shorter),
        executed=(executed("fourteen-day-letter", date(2025, 4, 7), legally_required=True),),
    )
    assert plan_next_step(done, shorter).next_step_date == date(2025, 4, 22)


def test_never_two_steps_of_one_invoice_on_one_day() -> None:
    tight = flow(step("r1", 7, reminder(1)), step("r2", 8, reminder(2)))
    state = replace(planned_state(invoice(), tight), executed=(executed("r1", date(2025, 3, 11)),))
    assert plan_next_step(state, tight).next_step_date == date(2025, 3, 12)


def test_a_one_off_floor_moves_the_date_but_is_not_stored() -> None:
    state = plan_next_step(
        new_dunning_state(invoice(), "default-business"),
        business_flow(),
        not_before=DUE.replace(day=20),
    )
    assert state.next_step_date == date(2025, 3, 20)
    assert state.not_before is None


def test_nothing_is_planned_after_the_last_step() -> None:
    short = flow(step("r1", 7, reminder(1)))
    state = replace(planned_state(invoice(), short), executed=(executed("r1", date(2025, 3, 10)),))
    assert plan_next_step(state, short).next_step is None


def test_a_changed_flow_applies_from_the_next_step_on() -> None:
    original = flow(step("r1", 7, reminder(1)), step("r2", 21, reminder(2)))
    state = replace(
        planned_state(invoice(), original), executed=(executed("r1", date(2025, 3, 10)),)
    )
    # A step inserted before reminder 1 is not sent to invoices already past it.
    edited = flow(
        step("pre", -3, PRE_REMINDER),
        step("r1", 7, reminder(1)),
        step("r1b", 10, reminder(1)),
        step("r2", 21, reminder(2)),
    )
    replanned = plan_next_step(state, edited)
    assert replanned.next_step is not None
    assert replanned.next_step.step_id == "r1b"


def test_when_the_flow_lost_every_done_step_the_next_phase_is_picked() -> None:
    original = flow(step("old-1", 7, reminder(1)), step("old-2", 21, reminder(2)))
    state = replace(
        planned_state(invoice(), original),
        executed=(executed("old-1", date(2025, 3, 10)),),
        phase=reminder(1),
    )
    rewritten = flow(step("new-1", 7, reminder(1)), step("new-2", 21, reminder(2)))
    replanned = plan_next_step(state, rewritten)
    assert replanned.next_step is not None
    assert replanned.next_step.step_id == "new-2"


def test_a_settled_invoice_has_nothing_planned() -> None:
    state = replace(planned_state(invoice(), business_flow()), settled=True)
    assert plan_next_step(state, business_flow()).next_step is None
    assert state.next_step_date is None


def test_planning_against_another_flow_is_refused() -> None:
    with pytest.raises(FlowMismatch):
        plan_next_step(planned_state(invoice(), business_flow()), consumer_flow())


def test_due_steps_selects_what_is_due_by_the_date() -> None:
    early = planned_state(invoice(due=date(2025, 3, 3)), business_flow())
    late = planned_state(invoice(due=date(2025, 3, 17)), business_flow())
    held = replace(planned_state(invoice(due=date(2025, 3, 1)), business_flow()), on_hold=True)
    assert is_due(early, date(2025, 3, 10))
    assert not is_due(late, date(2025, 3, 10))
    assert not is_due(held, date(2025, 3, 10))
    assert due_steps([late, held, early], date(2025, 3, 31)) == [early, late]
