from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from settle_dunning.domain import (
    AdministrationPause,
    AttentionAction,
    AttentionChange,
    AttentionReason,
    AttentionSubject,
    BlockReason,
    Bundling,
    BusinessDateBeforeLastRun,
    Channel,
    Debtor,
    DebtorPause,
    DebtorReminded,
    DebtorType,
    DunningState,
    ExecutionReason,
    Flow,
    PlanBasis,
    StepExecuted,
    Tone,
    Verdict,
    decide_step,
)
from settle_dunning.domain.phases import (
    FINAL_REMINDER,
    READY_FOR_COLLECTION,
    SENT,
    reminder,
)

from .factories import (
    DUE,
    administration,
    business_flow,
    consumer_flow,
    credit_note,
    debtor,
    flow,
    invoice,
    planned_state,
    run,
    sent_and_reminders,
    states_after,
    step,
)

pytestmark = pytest.mark.unit

FIRST_REMINDER_DAY = date(2025, 3, 10)


def reasons(
    result_attention: tuple[AttentionChange, ...], action: AttentionAction = AttentionAction.RAISE
) -> list[str]:
    return [a.reason.value for a in result_attention if a.action is action]


# --- a normal day --------------------------------------------------------------------------------


def test_a_due_reminder_is_executed_and_requested_from_messaging() -> None:
    inv = invoice(amount="121.00", open_amount="100.50")
    state = planned_state(inv, business_flow())
    result = run([state], FIRST_REMINDER_DAY, admin=administration(tone=Tone.INFORMAL))

    [executed] = result.executed
    assert executed.invoice_id == inv.id
    assert executed.step.step_id == "reminder-1"
    assert executed.step.reason is ExecutionReason.SCHEDULED
    assert executed.step.channels == (Channel.EMAIL,)

    [request] = result.message_requests
    assert executed.step.message_request_id == request.id
    assert request.recipient.debtor_id == "debtor-1"
    assert request.recipient.emails == ("ap@example.nl",)
    assert request.template_key == "friendly_reminder"
    assert request.channels == (Channel.EMAIL,)
    assert request.language == "nl" and request.fallback_language == "en"
    assert request.tone is Tone.INFORMAL
    assert request.phase == reminder(1)
    [line] = request.invoices
    assert (line.number, line.due_date, line.amount, line.open_amount, line.currency) == (
        inv.number,
        DUE,
        Decimal("121.00"),
        Decimal("100.50"),
        "EUR",
    )
    assert request.total_open_amount == Decimal("100.50")

    [change] = result.phase_changes
    assert (change.previous, change.phase) == (SENT, reminder(1))
    assert [(d.debtor_id, d.on) for d in result.debtors_reminded] == [
        ("debtor-1", FIRST_REMINDER_DAY)
    ]

    [after] = result.states
    assert after.phase == reminder(1)
    assert after.next_step is not None
    assert (after.next_step.step_id, after.next_step.planned_on) == (
        "reminder-2",
        date(2025, 3, 24),
    )


def test_an_invoice_not_yet_due_is_left_alone() -> None:
    state = planned_state(invoice(), business_flow())
    result = run([state], FIRST_REMINDER_DAY - timedelta(days=1))
    assert result.executed == () and result.states == ()


def test_the_debtor_language_falls_back_to_the_administration_default() -> None:
    state = planned_state(invoice(), business_flow())
    result = run(
        [state],
        FIRST_REMINDER_DAY,
        debtors=[debtor(language=None)],
        admin=administration(default_language="de"),
    )
    assert result.message_requests[0].language == "de"


# --- idempotency and the run date ----------------------------------------------------------------


def test_running_the_same_date_twice_executes_nothing_twice() -> None:
    states = [planned_state(invoice(), business_flow()) for _ in range(3)]
    first = run(states, FIRST_REMINDER_DAY)
    assert len(first.executed) == 3
    again = run(states_after(first, states), FIRST_REMINDER_DAY, last_run=FIRST_REMINDER_DAY)
    assert again.executed == () and again.message_requests == () and again.states == ()


def test_the_same_run_yields_the_same_message_request_ids() -> None:
    states = [planned_state(invoice(invoice_id="a"), business_flow())]
    first = run(states, FIRST_REMINDER_DAY)
    second = run(states, FIRST_REMINDER_DAY)
    assert first.message_requests[0].id == second.message_requests[0].id


def test_a_business_date_before_the_last_run_is_refused() -> None:
    with pytest.raises(BusinessDateBeforeLastRun, match="before the last run") as refused:
        run([], date(2025, 3, 9), last_run=FIRST_REMINDER_DAY)
    # The refusal says what to do instead.
    assert f"run {FIRST_REMINDER_DAY.isoformat()} again or a later date" in str(refused.value)
    assert "move the business clock forward" in str(refused.value)


def test_nothing_goes_out_on_a_day_that_is_not_a_sending_day() -> None:
    state = planned_state(invoice(), business_flow())
    assert run([state], date(2025, 3, 15)).executed == ()  # Saturday
    assert run([state], date(2025, 4, 21)).executed == ()  # Easter Monday


# --- catch-up ------------------------------------------------------------------------------------


def test_after_missed_days_only_the_next_step_runs_and_the_rest_follows_from_today() -> None:
    state = planned_state(invoice(), business_flow())
    # Nothing ran for seven weeks: three steps are overdue.
    today = date(2025, 4, 23)
    result = run([state], today)
    [executed] = result.executed
    assert executed.step.step_id == "reminder-1"
    assert executed.step.reason is ExecutionReason.CATCH_UP
    [after] = result.states
    assert after.next_step is not None
    assert after.next_step.planned_on == today + timedelta(days=14)


def run_every_day(
    state_list: list[DunningState], start: date, end: date, debtors: list[Debtor] | None = None
) -> list[StepExecuted]:
    """Run each day from start to end; return every executed step in order."""
    executed: list[StepExecuted] = []
    states = state_list
    last: date | None = None
    day = start
    while day <= end:
        result = run(states, day, last_run=last, debtors=debtors)
        executed.extend(result.executed)
        states = states_after(result, states)
        last = day
        day += timedelta(days=1)
    return executed


def test_catch_up_never_skips_a_step_and_never_sends_two_on_one_day() -> None:
    state = planned_state(invoice(), business_flow())
    # The service was down until 2 May; from then on it runs every day.
    executed = run_every_day([state], date(2025, 5, 2), date(2025, 8, 1))
    assert [e.step.step_id for e in executed] == [
        "reminder-1",
        "reminder-2",
        "final-reminder",
        "ready-for-collection",
    ]
    days = [e.step.executed_on for e in executed]
    assert days[0] == date(2025, 5, 2)
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(gap >= designed for gap, designed in zip(gaps, [14, 14, 15], strict=True))


def test_catch_up_keeps_the_14_day_letter_and_its_term_for_consumers() -> None:
    consumer = debtor(debtor_type=DebtorType.B2C)
    state = planned_state(invoice(), consumer_flow())
    executed = run_every_day([state], date(2025, 6, 2), date(2025, 9, 30), debtors=[consumer])
    ids = [e.step.step_id for e in executed]
    assert ids == ["reminder-1", "reminder-2", "fourteen-day-letter", "ready-for-collection"]
    letter, collect = executed[2].step, executed[3].step
    assert letter.legally_required
    assert letter.channels == (Channel.EMAIL, Channel.LETTER)
    assert (collect.executed_on - letter.executed_on).days >= 17


# --- minimum amount ------------------------------------------------------------------------------


def test_below_the_minimum_amount_the_step_is_not_executed_and_attention_is_raised() -> None:
    small = flow(step("r1", 7, reminder(1), minimum="25.00"))
    state = planned_state(invoice(amount="121.00", open_amount="24.99"), small)
    result = run([state], FIRST_REMINDER_DAY, flows=[small])
    assert result.executed == () and result.message_requests == ()
    [item] = result.attention
    assert item.reason is AttentionReason.BELOW_MINIMUM_AMOUNT
    assert item.subject is AttentionSubject.INVOICE and item.subject_id == state.invoice_id
    assert "EUR 24.99" in item.sentence and "EUR 25.00" in item.sentence
    [after] = result.states
    assert after.blocked_by is BlockReason.BELOW_MINIMUM_AMOUNT
    assert after.next_step_date is None  # no longer picked up every day
    assert run(states_after(result, [state]), date(2025, 3, 11), flows=[small]).attention == ()


def test_at_the_minimum_amount_the_step_is_executed() -> None:
    small = flow(step("r1", 7, reminder(1), minimum="25.00"))
    state = planned_state(invoice(open_amount="25.00"), small)
    assert len(run([state], FIRST_REMINDER_DAY, flows=[small]).executed) == 1


# --- bundling ------------------------------------------------------------------------------------


def test_due_invoices_of_one_debtor_go_out_in_one_reminder() -> None:
    a = planned_state(invoice(open_amount="100.00"), business_flow())
    b = planned_state(invoice(open_amount="50.25"), business_flow())
    other = planned_state(invoice(debtor_id="debtor-2"), business_flow())
    result = run([a, b, other], FIRST_REMINDER_DAY, debtors=[debtor(), debtor("debtor-2")])
    assert len(result.executed) == 3
    by_debtor = {r.recipient.debtor_id: r for r in result.message_requests}
    assert set(by_debtor) == {"debtor-1", "debtor-2"}
    bundle = by_debtor["debtor-1"]
    assert {line.invoice_id for line in bundle.invoices} == {a.invoice_id, b.invoice_id}
    assert bundle.total_open_amount == Decimal("150.25")
    ids = {e.invoice_id: e.step.message_request_id for e in result.executed}
    assert ids[a.invoice_id] == ids[b.invoice_id] == bundle.id


def test_a_bundle_uses_the_template_of_its_most_advanced_step() -> None:
    fresh = planned_state(invoice(), business_flow())
    older = planned_state(invoice(due=date(2025, 2, 3)), business_flow())
    first = run([older], date(2025, 2, 10), last_run=None)
    older = states_after(first, [older])[0]
    # On 24 February the older invoice is due for reminder 2; on 10 March both are due.
    result = run(
        [fresh, older], FIRST_REMINDER_DAY, debtors=[debtor(last_reminded_on=date(2025, 2, 10))]
    )
    [request] = result.message_requests
    assert request.template_key == "second_reminder"
    assert request.phase == reminder(2)
    assert {line.phase for line in request.invoices} == {reminder(1), reminder(2)}


def test_a_reminder_waits_for_the_minimum_interval_since_the_last_one() -> None:
    state = planned_state(invoice(), business_flow())
    reminded = debtor(last_reminded_on=date(2025, 3, 6))
    result = run([state], FIRST_REMINDER_DAY, debtors=[reminded])
    assert result.executed == () and result.message_requests == ()
    [after] = result.states
    assert after.next_step is not None
    assert after.next_step.basis is PlanBasis.DEFERRED_FOR_INTERVAL
    assert after.next_step.planned_on == date(2025, 3, 13)
    later = run([after], date(2025, 3, 13), debtors=[reminded])
    assert len(later.executed) == 1


def test_without_bundling_each_invoice_gets_its_own_message_and_no_interval() -> None:
    single = replace(business_flow(), bundling=Bundling(enabled=False))
    states = [planned_state(invoice(), single) for _ in range(2)]
    result = run(
        states,
        FIRST_REMINDER_DAY,
        flows=[single],
        debtors=[debtor(last_reminded_on=date(2025, 3, 7))],
    )
    assert len(result.message_requests) == 2
    assert all(len(r.invoices) == 1 for r in result.message_requests)


def test_invoices_in_two_currencies_get_one_reminder_per_currency_on_the_same_day() -> None:
    eur = planned_state(invoice(currency="EUR", amount="121.00"), business_flow())
    gbp = planned_state(invoice(currency="GBP", amount="80.00"), business_flow())
    result = run([eur, gbp], FIRST_REMINDER_DAY)
    # Amounts of two currencies are never added: two messages, neither waiting for the other.
    by_currency = {r.currency: r for r in result.message_requests}
    assert set(by_currency) == {"EUR", "GBP"}
    assert [i.invoice_id for i in by_currency["GBP"].invoices] == [gbp.invoice_id]
    assert (by_currency["EUR"].total_open_amount, by_currency["GBP"].total_open_amount) == (
        Decimal("121.00"),
        Decimal("80.00"),
    )
    assert len(result.executed) == 2
    assert result.debtors_reminded == (DebtorReminded("debtor-1", FIRST_REMINDER_DAY),)


def test_the_interval_still_holds_within_one_currency() -> None:
    eur = planned_state(invoice(currency="EUR"), business_flow())
    gbp = planned_state(invoice(currency="GBP"), business_flow())
    recently = debtor(last_reminded_on=FIRST_REMINDER_DAY - timedelta(days=2))
    result = run([eur, gbp], FIRST_REMINDER_DAY, debtors=[recently])
    assert result.message_requests == ()
    assert {s.next_step.basis for s in result.states if s.next_step} == {
        PlanBasis.DEFERRED_FOR_INTERVAL
    }


# --- credit notes --------------------------------------------------------------------------------


def test_a_reminder_states_the_open_credit_notes_and_the_amount_that_remains() -> None:
    state = planned_state(invoice(amount="500.00"), business_flow())
    notes = [
        credit_note("-120.00", number="CN-7", corrects="2024-0099"),
        credit_note("-300.00", open_amount="-30.00", number="CN-8"),
        credit_note("-50.00", currency="GBP", number="CN-9"),  # another currency: left out
        credit_note("-80.00", open_amount="0.00", number="CN-10"),  # matched already
    ]
    [request] = run([state], FIRST_REMINDER_DAY, credit_notes=notes).message_requests

    assert [(c.number, c.open_amount) for c in request.credit_notes] == [
        ("CN-7", Decimal("-120.00")),
        ("CN-8", Decimal("-30.00")),
    ]
    assert request.credit_notes[0].corrects_invoice_number == "2024-0099"
    assert request.total_open_amount == Decimal("500.00")
    assert request.amount_due == Decimal("350.00")


def test_credit_notes_that_cover_the_open_amount_hold_the_reminder_back() -> None:
    state = planned_state(invoice(amount="100.00"), business_flow())
    result = run([state], FIRST_REMINDER_DAY, credit_notes=[credit_note("-150.00")])

    assert result.message_requests == () and result.executed == ()
    [held] = result.states
    assert held.blocked_by is BlockReason.UNMATCHED_CREDIT_NOTE
    [item] = result.attention
    assert item.reason is AttentionReason.UNMATCHED_CREDIT_NOTE
    assert "cover" in item.sentence and item.invoice_ids == (state.invoice_id,)


def test_a_reminder_without_credit_notes_asks_for_the_open_amount() -> None:
    state = planned_state(invoice(amount="100.00"), business_flow())
    [request] = run([state], FIRST_REMINDER_DAY).message_requests
    assert request.credit_notes == ()
    assert request.amount_due == request.total_open_amount == Decimal("100.00")


# --- channels and attention ----------------------------------------------------------------------


def test_an_email_step_for_a_debtor_without_email_is_held_with_attention() -> None:
    state = planned_state(invoice(), business_flow())
    result = run([state], FIRST_REMINDER_DAY, debtors=[debtor(emails=())])
    assert result.executed == ()
    [item] = result.attention
    assert item.reason is AttentionReason.EMAIL_MISSING
    assert item.subject is AttentionSubject.DEBTOR
    assert result.states[0].blocked_by is BlockReason.EMAIL_MISSING


def test_email_and_letter_without_email_goes_by_letter_and_raises_attention() -> None:
    both = flow(
        step("r1", 7, reminder(1), channels=(Channel.EMAIL, Channel.LETTER)),
    )
    state = planned_state(invoice(), both)
    result = run([state], FIRST_REMINDER_DAY, flows=[both], debtors=[debtor(emails=(" ",))])
    [request] = result.message_requests
    assert request.channels == (Channel.LETTER,)
    assert reasons(result.attention) == ["email_missing"]


def test_a_call_task_asks_for_a_call_and_sends_nothing() -> None:
    call = flow(step("call", 7, reminder(1), channels=(Channel.CALL_TASK,), template="call"))
    result = run([planned_state(invoice(), call)], FIRST_REMINDER_DAY, flows=[call])
    assert result.message_requests == ()
    assert len(result.executed) == 1
    assert reasons(result.attention) == ["needs_call"]
    assert result.debtors_reminded == ()


def test_a_stored_sms_only_step_is_held_back_not_recorded_as_done() -> None:
    # Flows with SMS are refused now; one stored before must not pretend the SMS went out.
    sms = flow(step("sms", 7, reminder(1), channels=(Channel.SMS,)))
    state = planned_state(invoice(), sms)
    result = run([state], FIRST_REMINDER_DAY, flows=[sms], debtors=[debtor(phone="0612345678")])
    assert result.executed == ()
    assert result.message_requests == ()
    [item] = result.attention
    assert (item.reason, item.subject, item.subject_id) == (
        AttentionReason.MESSAGE_FAILED,
        AttentionSubject.INVOICE,
        state.invoice_id,
    )
    assert "no SMS provider is configured" in item.sentence
    [held] = states_after(result, [state])
    assert held.blocked_by is BlockReason.CHANNEL_UNAVAILABLE
    assert held.phase == SENT


def test_a_stored_step_by_email_and_sms_goes_by_email_only() -> None:
    both = flow(step("both", 7, reminder(1), channels=(Channel.EMAIL, Channel.SMS)))
    result = run([planned_state(invoice(), both)], FIRST_REMINDER_DAY, flows=[both])
    [request] = result.message_requests
    assert request.channels == (Channel.EMAIL,)
    [executed] = result.executed
    assert executed.step.channels == (Channel.EMAIL,)


# --- the end of the flow -------------------------------------------------------------------------


def test_the_last_step_marks_the_invoice_ready_for_collection() -> None:
    state = planned_state(invoice(), business_flow())
    states = [state]
    last = None
    result = None
    for offset in range(0, 60):
        day = date(2025, 3, 10) + timedelta(days=offset)
        result = run(states, day, last_run=last)
        states = states_after(result, states)
        last = day
        if result.ready_for_collection:
            break
    assert result is not None
    [ready] = result.ready_for_collection
    assert ready.invoice_id == state.invoice_id
    assert ready.on == date(2025, 4, 22)  # 7 April + 15 = Easter Monday, so Tuesday
    assert ready.legal_letter_sent_on is None
    assert result.message_requests == ()
    assert reasons(result.attention) == ["ready_for_collection"]
    assert states[0].phase == READY_FOR_COLLECTION
    assert states[0].next_step is None


def almost_ready(debtor_type: DebtorType = DebtorType.B2B) -> tuple[DunningState, Flow]:
    """An invoice whose final reminder went out on 7 April."""
    used = business_flow() if debtor_type is DebtorType.B2B else consumer_flow()
    who = debtor(debtor_type=debtor_type)
    states = [planned_state(invoice(), used)]
    last = None
    for offset in range(0, 29):
        day = date(2025, 3, 10) + timedelta(days=offset)
        states = states_after(run(states, day, last_run=last, debtors=[who], flows=[used]), states)
        last = day
    assert states[0].phase == FINAL_REMINDER
    return states[0], used


def test_an_unmatched_credit_note_blocks_the_move_to_collection() -> None:
    state, used = almost_ready()
    result = run(
        [state], date(2025, 4, 22), flows=[used], debtors=[debtor(has_unmatched_credit_note=True)]
    )
    assert result.ready_for_collection == () and result.executed == ()
    assert reasons(result.attention) == ["unmatched_credit_note"]
    assert result.states[0].blocked_by is BlockReason.UNMATCHED_CREDIT_NOTE


def test_a_consumer_reaches_collection_only_after_the_14_day_letter() -> None:
    state, used = almost_ready(DebtorType.B2C)
    assert state.executed[-1].legally_required
    consumer = debtor(debtor_type=DebtorType.B2C)
    result = run([state], date(2025, 4, 24), flows=[used], debtors=[consumer])
    [ready] = result.ready_for_collection
    assert ready.legal_letter_sent_on == date(2025, 4, 7)


def test_a_consumer_on_a_flow_without_the_letter_is_not_moved_to_collection() -> None:
    state, used = almost_ready(DebtorType.B2B)
    consumer = debtor(debtor_type=DebtorType.B2C)
    result = run([state], date(2025, 4, 22), flows=[used], debtors=[consumer])
    assert result.ready_for_collection == ()
    assert reasons(result.attention) == ["legal_letter_missing"]


# --- pauses in the run ---------------------------------------------------------------------------


def test_a_fully_paused_administration_runs_nothing() -> None:
    state = planned_state(invoice(), business_flow())
    paused = administration(pause=AdministrationPause.FULLY_PAUSED)
    result = run([state], FIRST_REMINDER_DAY, admin=paused)
    assert result.executed == () and result.states == ()


def test_with_reminders_paused_new_invoices_are_still_sent() -> None:
    sent_flow = sent_and_reminders()
    new = planned_state(invoice(due=date(2025, 3, 24)), sent_flow)  # invoice step on 10 March
    overdue = planned_state(invoice(due=date(2025, 3, 3)), sent_flow)
    overdue = states_after(run([overdue], date(2025, 2, 17), flows=[sent_flow]), [overdue])[0]
    assert overdue.phase == SENT
    paused = administration(pause=AdministrationPause.REMINDERS_PAUSED)
    result = run([new, overdue], FIRST_REMINDER_DAY, flows=[sent_flow], admin=paused)
    assert [e.invoice_id for e in result.executed] == [new.invoice_id]
    assert result.executed[0].step.step_id == "invoice"
    assert result.paused_invoice_ids == (overdue.invoice_id,)
    assert result.debtors_reminded == ()  # sending the invoice is not a reminder


@pytest.mark.parametrize(
    ("pause", "sent_ids"),
    [(DebtorPause.FULLY_PAUSED, set()), (DebtorPause.REMINDERS_PAUSED, {"invoice"})],
)
def test_a_paused_debtor_gets_no_reminders(pause: DebtorPause, sent_ids: set[str]) -> None:
    sent_flow = sent_and_reminders()
    new = planned_state(invoice(due=date(2025, 3, 24)), sent_flow)
    reminder_due = planned_state(invoice(due=date(2025, 3, 3)), sent_flow)
    reminder_due = states_after(
        run([reminder_due], date(2025, 2, 17), flows=[sent_flow]), [reminder_due]
    )[0]
    result = run(
        [new, reminder_due], FIRST_REMINDER_DAY, flows=[sent_flow], debtors=[debtor(pause=pause)]
    )
    assert {e.step.step_id for e in result.executed} == sent_ids


def test_an_invoice_on_hold_is_not_touched() -> None:
    state = replace(planned_state(invoice(), business_flow()), on_hold=True)
    decision = decide_step(state, business_flow(), debtor(), administration(), FIRST_REMINDER_DAY)
    assert decision.verdict is Verdict.PAUSED


# --- flow edits ----------------------------------------------------------------------------------


def test_a_step_removed_from_the_flow_is_replanned_in_the_run() -> None:
    state = planned_state(invoice(), business_flow())
    edited = replace(business_flow(), steps=business_flow().steps[1:])
    result = run([state], date(2025, 3, 24), flows=[edited])
    [executed] = result.executed
    assert executed.step.step_id == "reminder-2"


def test_a_bundle_with_the_14_day_letter_goes_by_email_and_letter() -> None:
    consumer = debtor(debtor_type=DebtorType.B2C)
    letter_due, _ = almost_ready_for_letter(consumer)
    fresh = planned_state(invoice(due=date(2025, 3, 31)), consumer_flow())
    result = run([letter_due, fresh], date(2025, 4, 7), debtors=[consumer])
    [request] = result.message_requests
    assert request.template_key == "fourteen_day_letter"
    assert request.legally_required
    assert request.channels == (Channel.EMAIL, Channel.LETTER)
    lines = {line.invoice_id: line for line in request.invoices}
    assert lines[letter_due.invoice_id].legally_required
    assert not lines[fresh.invoice_id].legally_required
    executed = {e.invoice_id: e.step for e in result.executed}
    assert executed[letter_due.invoice_id].legally_required
    assert not executed[fresh.invoice_id].legally_required
    assert executed[fresh.invoice_id].phase == reminder(1)


def almost_ready_for_letter(who: Debtor) -> tuple[DunningState, Flow]:
    """A consumer invoice whose second reminder went out on 24 March."""
    used = consumer_flow()
    states = [planned_state(invoice(), used)]
    last = None
    for day in (date(2025, 3, 10), date(2025, 3, 24)):
        states = states_after(run(states, day, last_run=last, debtors=[who]), states)
        last = day
    assert states[0].phase == reminder(2)
    return states[0], used
