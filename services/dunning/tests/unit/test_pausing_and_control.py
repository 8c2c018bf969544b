from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from settle_dunning.domain import (
    AdministrationPause,
    AttentionAction,
    AttentionReason,
    BlockReason,
    CreditNotesCoverReminder,
    DebtorPause,
    DebtorType,
    DebtorUnreachable,
    ExecutionReason,
    InvoiceAlreadySettled,
    InvoiceInCollection,
    InvoicePaused,
    LegalTermNotExpired,
    NoStepPlanned,
    PlanBasis,
    RescheduleInPast,
    StepAlreadyExecutedToday,
    StepCannotBeSkipped,
    perform_step_now,
    put_on_hold,
    release_hold,
    reschedule_step,
    reset_flow,
    resume_planning,
    skip_step,
)
from settle_dunning.domain.phases import IN_COLLECTION, SENT, reminder

from .factories import (
    administration,
    business_flow,
    consumer_flow,
    credit_note,
    debtor,
    flow,
    invoice,
    planned_state,
    run,
    states_after,
    step,
)

pytestmark = pytest.mark.unit

FIRST_REMINDER_DAY = date(2025, 3, 10)


# --- pausing -------------------------------------------------------------------------------------


def test_on_resume_steps_that_fell_due_are_planned_from_the_resume_date() -> None:
    business = business_flow()
    states = [
        planned_state(invoice(due=date(2025, 3, 3) + timedelta(days=i)), business) for i in range(5)
    ]
    paused = administration(pause=AdministrationPause.FULLY_PAUSED)
    day, last = date(2025, 3, 5), None
    while day < date(2025, 5, 7):
        result = run(states, day, admin=paused, last_run=last)
        assert result.executed == ()
        day, last = day + timedelta(days=1), day

    resumed_on = date(2025, 5, 7)
    states = [resume_planning(s, business, resumed_on) for s in states]
    assert {s.next_step_date for s in states} == {resumed_on}
    assert all(s.next_step and s.next_step.step_id == "reminder-1" for s in states)

    result = run(states, resumed_on, last_run=last)
    # Each invoice gets one step, its first reminder, in one bundled message.
    assert [e.step.step_id for e in result.executed] == ["reminder-1"] * 5
    assert len(result.message_requests) == 1
    assert {s.next_step_date for s in result.states} == {date(2025, 5, 21)}


def test_resume_leaves_steps_planned_after_the_resume_date_alone() -> None:
    state = planned_state(invoice(due=date(2025, 6, 9)), business_flow())
    resumed = resume_planning(state, business_flow(), date(2025, 5, 7))
    assert resumed.next_step_date == date(2025, 6, 16)


def test_a_debtor_pause_is_resumed_the_same_way() -> None:
    state = planned_state(invoice(), business_flow())
    on_pause = debtor(pause=DebtorPause.FULLY_PAUSED)
    assert run([state], FIRST_REMINDER_DAY, debtors=[on_pause]).executed == ()
    resumed = resume_planning(state, business_flow(), date(2025, 3, 20))
    assert resumed.next_step_date == date(2025, 3, 20)


def test_an_invoice_on_hold_is_released_from_today() -> None:
    held = put_on_hold(planned_state(invoice(), business_flow()))
    assert held.on_hold and held.next_step_date is None
    released = release_hold(held, business_flow(), date(2025, 4, 1))
    assert not released.on_hold
    assert released.next_step_date == date(2025, 4, 1)


def test_a_settled_invoice_cannot_be_put_on_hold() -> None:
    settled = replace(planned_state(invoice(), business_flow()), settled=True)
    with pytest.raises(InvoiceAlreadySettled, match="settled; cannot put it on hold"):
        put_on_hold(settled)


def test_resume_does_nothing_for_a_settled_invoice() -> None:
    settled = replace(planned_state(invoice(), business_flow()), settled=True, next_step=None)
    assert resume_planning(settled, business_flow(), date(2025, 4, 1)) == settled


# --- skip ----------------------------------------------------------------------------------------


def test_skip_passes_over_the_next_step_and_plans_the_one_after() -> None:
    state = planned_state(invoice(), business_flow())
    skipped = skip_step(state, business_flow(), date(2025, 3, 5))
    assert [s.step_id for s in skipped.skipped] == ["reminder-1"]
    assert skipped.next_step is not None
    assert skipped.next_step.step_id == "reminder-2"
    assert skipped.next_step.planned_on == date(2025, 3, 24)
    assert skipped.phase == SENT


def test_the_14_day_letter_cannot_be_skipped() -> None:
    consumer = consumer_flow()
    state = planned_state(invoice(), consumer)
    state = skip_step(state, consumer, date(2025, 3, 5))
    state = skip_step(state, consumer, date(2025, 3, 5))
    assert state.next_step is not None and state.next_step.step_id == "fourteen-day-letter"
    with pytest.raises(StepCannotBeSkipped, match="legally required"):
        skip_step(state, consumer, date(2025, 3, 5))


def test_skip_without_a_planned_step_is_refused() -> None:
    state = replace(planned_state(invoice(), business_flow()), next_step=None)
    with pytest.raises(NoStepPlanned):
        skip_step(state, business_flow(), date(2025, 3, 5))


# --- reschedule ----------------------------------------------------------------------------------


def test_reschedule_moves_the_step_and_keeps_the_date_on_replanning() -> None:
    business = business_flow()
    state = reschedule_step(
        planned_state(invoice(), business), business, date(2025, 3, 22), date(2025, 3, 5)
    )
    assert state.next_step is not None
    assert state.next_step.planned_on == date(2025, 3, 24)  # Saturday moves to Monday
    assert state.next_step.basis is PlanBasis.RESCHEDULED
    from settle_dunning.domain import plan_next_step

    assert plan_next_step(state, business).next_step == state.next_step
    assert run([state], FIRST_REMINDER_DAY).executed == ()
    assert len(run([state], date(2025, 3, 24)).executed) == 1


def test_reschedule_can_bring_a_step_forward() -> None:
    business = business_flow()
    state = reschedule_step(
        planned_state(invoice(), business), business, date(2025, 3, 4), date(2025, 3, 4)
    )
    assert state.next_step_date == date(2025, 3, 4)


def test_reschedule_into_the_past_is_refused() -> None:
    business = business_flow()
    with pytest.raises(RescheduleInPast):
        reschedule_step(
            planned_state(invoice(), business), business, date(2025, 3, 3), date(2025, 3, 4)
        )


# --- perform now ---------------------------------------------------------------------------------


def test_perform_now_executes_the_next_step_today() -> None:
    business = business_flow()
    state = planned_state(invoice(), business)
    performed = perform_step_now(state, business, debtor(), administration(), date(2025, 3, 4))
    executed = performed.execution.executed.step
    assert executed.step_id == "reminder-1"
    assert executed.reason is ExecutionReason.PERFORMED_NOW
    assert performed.message_request is not None
    assert performed.message_request.template_key == "friendly_reminder"
    assert performed.debtor_reminded
    after = performed.execution.state
    assert after.phase == reminder(1)
    assert after.next_step_date == date(2025, 3, 18)  # previous-step offset counts from today


def test_perform_now_states_credit_notes_and_is_refused_when_they_cover_everything() -> None:
    business = business_flow()
    state = planned_state(invoice(amount="100.00"), business)
    some = perform_step_now(
        state, business, debtor(), administration(), date(2025, 3, 4), [credit_note("-40.00")]
    )
    assert some.message_request is not None
    assert some.message_request.amount_due == Decimal("60.00")
    with pytest.raises(CreditNotesCoverReminder, match="cover"):
        perform_step_now(
            state, business, debtor(), administration(), date(2025, 3, 4), [credit_note("-100")]
        )


def test_perform_now_twice_on_one_day_is_refused() -> None:
    business = business_flow()
    performed = perform_step_now(
        planned_state(invoice(), business), business, debtor(), administration(), date(2025, 3, 4)
    )
    with pytest.raises(StepAlreadyExecutedToday):
        perform_step_now(
            performed.execution.state, business, debtor(), administration(), date(2025, 3, 4)
        )


def test_perform_now_is_refused_while_paused() -> None:
    business = business_flow()
    state = planned_state(invoice(), business)
    with pytest.raises(InvoicePaused, match="debtor"):
        perform_step_now(
            state,
            business,
            debtor(pause=DebtorPause.REMINDERS_PAUSED),
            administration(),
            date(2025, 3, 4),
        )
    with pytest.raises(InvoicePaused, match="invoice"):
        perform_step_now(put_on_hold(state), business, debtor(), administration(), date(2025, 3, 4))


def test_perform_now_overrides_the_minimum_amount_and_resolves_its_attention() -> None:
    small = flow(step("r1", 7, reminder(1), minimum="50"), step("r2", 21, reminder(2)))
    state = replace(
        planned_state(invoice(open_amount="10.00"), small),
        blocked_by=BlockReason.BELOW_MINIMUM_AMOUNT,
    )
    performed = perform_step_now(state, small, debtor(), administration(), date(2025, 3, 12))
    assert performed.execution.state.blocked_by is None
    [resolved] = performed.execution.attention
    assert resolved.action is AttentionAction.RESOLVE
    assert resolved.reason is AttentionReason.BELOW_MINIMUM_AMOUNT


def test_perform_now_cannot_shorten_the_consumers_legal_term() -> None:
    consumer = consumer_flow()
    who = debtor(debtor_type=DebtorType.B2C)
    state = planned_state(invoice(), consumer)
    day = date(2025, 3, 3)
    for _ in range(3):
        day += timedelta(days=1)
        state = perform_step_now(state, consumer, who, administration(), day).execution.state
    assert state.executed[-1].legally_required  # the letter went out on 6 March
    with pytest.raises(LegalTermNotExpired, match="runs until 2025-03-21"):
        perform_step_now(state, consumer, who, administration(), date(2025, 3, 20))
    done = perform_step_now(state, consumer, who, administration(), date(2025, 3, 21))
    assert done.execution.ready_for_collection is not None
    assert done.message_request is None


def test_perform_now_without_a_reachable_channel_is_refused() -> None:
    business = business_flow()
    with pytest.raises(DebtorUnreachable):
        perform_step_now(
            planned_state(invoice(), business),
            business,
            debtor(emails=()),
            administration(),
            date(2025, 3, 4),
        )


# --- reset ---------------------------------------------------------------------------------------


def test_reset_starts_the_flow_again_from_today() -> None:
    business = business_flow()
    state = planned_state(invoice(), business)
    state = states_after(run([state], FIRST_REMINDER_DAY), [state])[0]
    reset = reset_flow(state, business, date(2025, 3, 12))
    assert reset.phase == SENT
    assert reset.cycle == 2
    assert reset.done_step_ids == frozenset()
    assert len(reset.executed) == 1  # the timeline keeps what was sent
    assert reset.next_step is not None
    assert (reset.next_step.step_id, reset.next_step.planned_on) == (
        "reminder-1",
        date(2025, 3, 12),
    )


def test_reset_is_refused_for_settled_and_collected_invoices() -> None:
    business = business_flow()
    state = planned_state(invoice(), business)
    with pytest.raises(InvoiceAlreadySettled):
        reset_flow(replace(state, settled=True), business, date(2025, 3, 12))
    with pytest.raises(InvoiceInCollection):
        reset_flow(replace(state, phase=IN_COLLECTION), business, date(2025, 3, 12))


def test_manual_actions_on_a_settled_invoice_are_refused() -> None:
    business = business_flow()
    settled = replace(planned_state(invoice(), business), settled=True)
    for action in (
        lambda: skip_step(settled, business, date(2025, 3, 5)),
        lambda: reschedule_step(settled, business, date(2025, 3, 6), date(2025, 3, 5)),
        lambda: perform_step_now(settled, business, debtor(), administration(), date(2025, 3, 5)),
    ):
        with pytest.raises(InvoiceAlreadySettled):
            action()


def test_amounts_in_requests_are_in_cents() -> None:
    business = business_flow()
    state = planned_state(invoice(amount="10.005", open_amount="3.333"), business)
    performed = perform_step_now(state, business, debtor(), administration(), date(2025, 3, 4))
    assert performed.message_request is not None
    [line] = performed.message_request.invoices
    assert (line.amount, line.open_amount) == (Decimal("10.01"), Decimal("3.33"))
