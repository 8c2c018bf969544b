"""A step whose message reached the debtor on no channel: failed on the timeline, not done,
its phase back and the step planned again once the cause is cleared."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from settle_dunning.domain import (
    AttentionAction,
    AttentionReason,
    AttentionSubject,
    BlockReason,
    Channel,
    DebtorType,
    DebtorUnreachable,
    DunningState,
    Flow,
    debtor_changed,
    perform_step_now,
    skip_step,
)
from settle_dunning.domain.delivery import (
    ChannelFailure,
    DeliveryReaction,
    channel_failed,
    message_block_lifted,
)
from settle_dunning.domain.phases import FINAL_REMINDER, SENT, reminder
from settle_dunning.domain.planning import legal_term_ends_on

from .factories import (
    administration,
    business_flow,
    consumer_flow,
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
NEXT_DAY = date(2025, 3, 11)


def executed_once(on_flow: Flow, day: date = FIRST_REMINDER_DAY, **debtor_changes: object):
    """The state after the run executed the first reminder, and that reminder's request id."""
    state = planned_state(invoice(), on_flow)
    result = run([state], day, flows=[on_flow], debtors=[debtor(**debtor_changes)])
    [after] = states_after(result, [state])
    [request] = result.message_requests
    return after, request.id


def failed(request_id: str, channel: Channel = Channel.EMAIL, **changes: object) -> ChannelFailure:
    base = ChannelFailure(request_id, channel, "template_error", "TEMPLATE_SYNTAX: unclosed tag")
    return replace(base, **changes)


def react(
    state: DunningState, failure: ChannelFailure, on_flow: Flow | None = None, **debtor_changes
) -> DeliveryReaction:
    return channel_failed(
        state, on_flow or business_flow(), debtor(**debtor_changes), failure, NEXT_DAY
    )


def test_a_reminder_whose_email_failed_is_not_done_and_waits() -> None:
    state, request_id = executed_once(business_flow())
    assert state.phase == reminder(1)

    reaction = react(state, failed(request_id))

    after = reaction.state
    assert reaction.failed is not None and reaction.failed.step.step_id == "reminder-1"
    [step] = after.executed
    assert step.failed and step.failure is not None
    assert (step.failure.reason, step.failure.failed_on) == ("template_error", NEXT_DAY)
    assert after.phase == SENT  # the debtor was not reminded
    assert reaction.phase_change is not None
    assert (reaction.phase_change.previous, reaction.phase_change.phase) == (reminder(1), SENT)
    assert after.next_step is not None and after.next_step.step_id == "reminder-1"
    assert after.blocked_by is BlockReason.MESSAGE_FAILED
    assert after.next_step_date is None  # the daily run passes it by until it is cleared
    [item] = reaction.attention
    assert (item.reason, item.subject, item.subject_id) == (
        AttentionReason.MESSAGE_FAILED,
        AttentionSubject.INVOICE,
        state.invoice_id,
    )
    assert "'reminder-1' (2025-03-10) could not be sent: TEMPLATE_SYNTAX" in item.sentence
    # Nothing goes out the next days while it waits.
    later = run([after], date(2025, 3, 24), last_run=FIRST_REMINDER_DAY)
    assert later.executed == ()


def test_the_same_report_twice_changes_nothing() -> None:
    state, request_id = executed_once(business_flow())
    once = react(state, failed(request_id)).state
    again = react(once, failed(request_id))
    assert again.state == once and again.failed is None and again.attention == ()


def test_a_report_about_another_request_changes_nothing() -> None:
    state, _ = executed_once(business_flow())
    assert react(state, failed("someone-elses")).state == state


def test_the_14_day_letter_counts_while_its_letter_may_still_arrive() -> None:
    consumer = consumer_flow()
    consumer_debtor = debtor(debtor_type=DebtorType.B2C)
    states = [planned_state(invoice(), consumer)]
    last = None
    for day in (FIRST_REMINDER_DAY, date(2025, 3, 24), date(2025, 4, 7)):
        result = run(states, day, debtors=[consumer_debtor], last_run=last)
        states, last = states_after(result, states), day
    [letter_sent] = states
    [request] = result.message_requests
    assert request.channels == (Channel.EMAIL, Channel.LETTER)
    assert letter_sent.phase == FINAL_REMINDER
    assert legal_term_ends_on(letter_sent) is not None

    email_bounced = channel_failed(
        letter_sent,
        consumer,
        consumer_debtor,
        failed(request.id, reason="bounced", detail="the email came back: 550 user unknown"),
        date(2025, 4, 8),
    )
    assert email_bounced.failed is None and email_bounced.attention == ()
    assert email_bounced.state.phase == FINAL_REMINDER
    assert legal_term_ends_on(email_bounced.state) is not None

    letter_failed = channel_failed(
        email_bounced.state,
        consumer,
        consumer_debtor,
        failed(request.id, Channel.LETTER, reason="missing_postal_address", detail="no address"),
        date(2025, 4, 8),
    )
    assert letter_failed.failed is not None
    # A letter that reached nobody starts no legal term, and the invoice is back before it.
    assert legal_term_ends_on(letter_failed.state) is None
    assert letter_failed.state.phase == reminder(2)
    assert letter_failed.state.next_step is not None
    assert letter_failed.state.next_step.step_id == "fourteen-day-letter"


def test_a_letter_queued_for_a_bounced_email_keeps_the_step_delivered_until_it_fails() -> None:
    state, request_id = executed_once(business_flow())
    bounced = react(
        state,
        failed(request_id, reason="bounced", detail="550", replaced_by=Channel.LETTER),
    )
    assert bounced.failed is None and bounced.state.phase == reminder(1)
    assert bounced.state.executed[0].added_channels == (Channel.LETTER,)

    letter = react(bounced.state, failed(request_id, Channel.LETTER, detail="no address"))
    assert letter.failed is not None
    assert letter.state.phase == SENT


def test_a_message_that_only_lacked_an_address_the_debtor_has_now_goes_again() -> None:
    state, request_id = executed_once(business_flow())
    reaction = react(state, failed(request_id, reason="email_missing", detail="no address"))
    assert reaction.failed is not None
    assert reaction.state.blocked_by is None
    assert reaction.attention == ()
    assert reaction.state.next_step_date == NEXT_DAY
    [again] = run([reaction.state], NEXT_DAY, last_run=FIRST_REMINDER_DAY).executed
    assert again.step.step_id == "reminder-1"


def test_a_failure_reported_after_a_later_step_only_marks_the_timeline() -> None:
    state, request_id = executed_once(business_flow())
    result = run([state], date(2025, 3, 24), last_run=FIRST_REMINDER_DAY)
    [later] = states_after(result, [state])
    assert later.phase == reminder(2)

    reaction = react(later, failed(request_id))
    assert reaction.failed is not None
    assert reaction.state.phase == reminder(2)
    assert reaction.phase_change is None
    assert reaction.state.next_step == later.next_step
    [item] = reaction.attention
    assert "A later step has run since" in item.sentence


def test_a_changed_email_address_plans_the_failed_step_again() -> None:
    state, request_id = executed_once(business_flow())
    waiting = react(state, failed(request_id, reason="invalid_email_address")).state

    released = debtor_changed(
        debtor(emails=("bad@",)),
        debtor(emails=("ap@example.nl",)),
        [waiting],
        {"default-business": business_flow()},
        date(2025, 3, 12),
    )
    [after] = released.states
    assert after.blocked_by is None and after.next_step_date == date(2025, 3, 12)
    answered = [a for a in released.attention if a.reason is AttentionReason.MESSAGE_FAILED]
    assert [(a.action, a.subject_id) for a in answered] == [
        (AttentionAction.RESOLVE, state.invoice_id)
    ]


def test_a_person_performs_the_failed_step_again_or_skips_it() -> None:
    state, request_id = executed_once(business_flow())
    waiting = react(state, failed(request_id)).state

    performed = perform_step_now(
        waiting, business_flow(), debtor(), administration(), date(2025, 3, 12)
    )
    assert performed.message_request is not None
    assert performed.execution.state.phase == reminder(1)
    assert [step.failed for step in performed.execution.state.executed] == [True, False]
    resolved = [
        a for a in performed.execution.attention if a.reason is AttentionReason.MESSAGE_FAILED
    ]
    assert [a.action for a in resolved] == [AttentionAction.RESOLVE]

    skipped = skip_step(waiting, business_flow(), date(2025, 3, 12))
    assert skipped.blocked_by is None and skipped.next_step is not None
    assert skipped.next_step.step_id == "reminder-2"
    [answered] = message_block_lifted(waiting, skipped, "skipped")
    assert answered.action is AttentionAction.RESOLVE


def test_an_earlier_day_than_the_failed_attempt_is_never_planned() -> None:
    state, request_id = executed_once(business_flow())
    after = channel_failed(state, business_flow(), debtor(), failed(request_id), FIRST_REMINDER_DAY)
    assert after.state.next_step is not None
    assert after.state.next_step.planned_on >= FIRST_REMINDER_DAY + timedelta(days=1)


def test_performing_an_sms_only_step_now_is_refused_with_the_reason() -> None:
    sms = flow(step("sms", 7, reminder(1), channels=(Channel.SMS,)))
    with pytest.raises(DebtorUnreachable, match="no SMS provider is configured"):
        perform_step_now(
            planned_state(invoice(), sms), sms, debtor(), administration(), FIRST_REMINDER_DAY
        )
