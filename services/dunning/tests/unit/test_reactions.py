from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settle_dunning.domain import (
    AttentionAction,
    AttentionReason,
    BlockReason,
    BookkeepingErrorSuspected,
    DunningState,
    FactVersion,
    InvoiceReopened,
    InvoiceSettled,
    OpenAmountChanged,
    bookkeeping_error_suspected,
    debtor_changed,
    invoice_reopened,
    invoice_settled,
    is_newer,
    open_amount_changed,
)
from settle_dunning.domain.attention import email_delivered, email_undeliverable, unread_messages
from settle_dunning.domain.phases import reminder

from .factories import (
    business_flow,
    debtor,
    flow,
    invoice,
    planned_state,
    run,
    states_after,
    step,
    version,
)

pytestmark = pytest.mark.unit

FIRST_REMINDER_DAY = date(2025, 3, 10)


def reminded_once() -> DunningState:
    state = planned_state(invoice(amount="200.00"), business_flow())
    return states_after(run([state], FIRST_REMINDER_DAY), [state])[0]


# --- versions ------------------------------------------------------------------------------------


def test_fact_versions_order_by_source_time_then_sequence() -> None:
    assert version(5, 1) < version(5, 2) < version(6, 0)
    assert is_newer(version(5, 2), version(5, 1))
    assert not is_newer(version(5, 1), version(5, 1))
    assert is_newer(version(5, 1), None)


def test_a_fact_version_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone"):
        FactVersion(datetime(2025, 3, 5, 12, 0))


# --- settled -------------------------------------------------------------------------------------


def test_a_settled_invoice_stops_its_flow() -> None:
    state = reminded_once()
    reaction = invoice_settled(state, InvoiceSettled(state.invoice_id, version(11)))
    settled = reaction.state
    assert settled.settled and settled.next_step is None and settled.next_step_date is None
    assert settled.invoice.open_amount == Decimal("0.00")
    assert run([settled], date(2025, 5, 1)).executed == ()


def test_settling_resolves_a_below_minimum_item() -> None:
    state = replace(reminded_once(), blocked_by=BlockReason.BELOW_MINIMUM_AMOUNT)
    reaction = invoice_settled(state, InvoiceSettled(state.invoice_id, version(11)))
    [item] = reaction.attention
    assert (item.action, item.reason) == (
        AttentionAction.RESOLVE,
        AttentionReason.BELOW_MINIMUM_AMOUNT,
    )


def test_a_duplicate_or_older_fact_changes_nothing() -> None:
    state = reminded_once()
    settled = invoice_settled(state, InvoiceSettled(state.invoice_id, version(11))).state
    duplicate = invoice_settled(settled, InvoiceSettled(state.invoice_id, version(11)))
    assert not duplicate.applied and duplicate.state == settled
    # An older "open amount" fact arriving late does not bring the invoice back.
    late = open_amount_changed(
        settled,
        business_flow(),
        OpenAmountChanged(state.invoice_id, version(9), Decimal("80")),
        date(2025, 3, 12),
    )
    assert not late.applied and late.state.settled


# --- reopened ------------------------------------------------------------------------------------


def test_a_reopened_invoice_resumes_where_it_left_off_and_is_flagged() -> None:
    state = reminded_once()
    settled = invoice_settled(state, InvoiceSettled(state.invoice_id, version(11))).state
    reaction = invoice_reopened(
        settled,
        business_flow(),
        InvoiceReopened(state.invoice_id, version(20), Decimal("200.00")),
        date(2025, 4, 2),
    )
    reopened = reaction.state
    assert not reopened.settled and reopened.reopened
    assert reopened.invoice.open_amount == Decimal("200.00")
    assert reopened.next_step is not None
    # Reminder 1 is not sent again; reminder 2, overdue since 24 March, is planned from today.
    assert (reopened.next_step.step_id, reopened.next_step.planned_on) == (
        "reminder-2",
        date(2025, 4, 2),
    )
    [flag] = reaction.attention
    assert flag.reason is AttentionReason.POSSIBLE_BOOKKEEPING_ERROR
    assert "open again" in flag.sentence


def test_reopening_an_open_invoice_only_updates_the_amount() -> None:
    state = reminded_once()
    reaction = invoice_reopened(
        state,
        business_flow(),
        InvoiceReopened(state.invoice_id, version(12), Decimal("150")),
        date(2025, 3, 12),
    )
    assert reaction.attention == ()
    assert not reaction.state.reopened
    assert reaction.state.next_step == state.next_step


# --- open amount ---------------------------------------------------------------------------------


def test_a_partial_payment_keeps_the_flow_going_on_the_new_amount() -> None:
    state = reminded_once()
    reaction = open_amount_changed(
        state,
        business_flow(),
        OpenAmountChanged(state.invoice_id, version(12), Decimal("75.555")),
        date(2025, 3, 12),
    )
    changed = reaction.state
    assert changed.invoice.open_amount == Decimal("75.56")
    assert changed.next_step == state.next_step
    assert changed.phase == reminder(1)
    result = run([changed], date(2025, 3, 24))
    [executed] = result.executed
    assert executed.step.step_id == "reminder-2"
    assert result.message_requests[0].invoices[0].open_amount == Decimal("75.56")


def test_an_open_amount_of_zero_settles_the_invoice() -> None:
    state = reminded_once()
    reaction = open_amount_changed(
        state,
        business_flow(),
        OpenAmountChanged(state.invoice_id, version(12), Decimal("0")),
        date(2025, 3, 12),
    )
    assert reaction.state.settled and reaction.state.next_step is None


def test_more_open_than_the_invoice_amount_is_a_possible_bookkeeping_error() -> None:
    state = reminded_once()
    reaction = open_amount_changed(
        state,
        business_flow(),
        OpenAmountChanged(state.invoice_id, version(12), Decimal("250")),
        date(2025, 3, 12),
    )
    [flag] = reaction.attention
    assert flag.reason is AttentionReason.POSSIBLE_BOOKKEEPING_ERROR
    assert not reaction.state.settled


def test_an_amount_back_above_the_minimum_releases_the_step() -> None:
    small = flow(step("r1", 7, reminder(1), minimum="25.00"))
    state = planned_state(invoice(open_amount="10.00"), small)
    blocked = states_after(run([state], FIRST_REMINDER_DAY, flows=[small]), [state])[0]
    assert blocked.blocked_by is BlockReason.BELOW_MINIMUM_AMOUNT
    still_low = open_amount_changed(
        blocked,
        small,
        OpenAmountChanged(state.invoice_id, version(12), Decimal("20")),
        date(2025, 3, 12),
    )
    assert still_low.state.blocked_by is BlockReason.BELOW_MINIMUM_AMOUNT
    raised = open_amount_changed(
        still_low.state,
        small,
        OpenAmountChanged(state.invoice_id, version(13), Decimal("30")),
        date(2025, 3, 13),
    )
    assert raised.state.blocked_by is None
    assert raised.state.next_step_date == date(2025, 3, 13)
    [resolved] = raised.attention
    assert resolved.action is AttentionAction.RESOLVE


# --- bookkeeping errors, debtors, messaging ------------------------------------------------------


def test_a_suspected_bookkeeping_error_raises_attention_and_the_flow_goes_on() -> None:
    state = reminded_once()
    reaction = bookkeeping_error_suspected(
        state, BookkeepingErrorSuspected(state.invoice_id, version(12), "the due date changed")
    )
    [flag] = reaction.attention
    assert flag.reason is AttentionReason.POSSIBLE_BOOKKEEPING_ERROR
    assert "the due date changed" in flag.sentence
    assert reaction.state.next_step == state.next_step


def test_an_email_address_arriving_releases_the_debtors_held_invoices() -> None:
    state = planned_state(invoice(), business_flow())
    before = debtor(emails=())
    blocked = states_after(run([state], FIRST_REMINDER_DAY, debtors=[before]), [state])[0]
    assert blocked.blocked_by is BlockReason.EMAIL_MISSING
    after = debtor(emails=("new@example.nl",))
    reaction = debtor_changed(
        before, after, [blocked], {"default-business": business_flow()}, date(2025, 3, 14)
    )
    [released] = reaction.states
    assert released.blocked_by is None and released.next_step_date == date(2025, 3, 14)
    [resolved] = reaction.attention
    assert (resolved.action, resolved.reason) == (
        AttentionAction.RESOLVE,
        AttentionReason.EMAIL_MISSING,
    )


def test_a_matched_credit_note_releases_the_move_to_collection() -> None:
    state = replace(
        planned_state(invoice(), business_flow()), blocked_by=BlockReason.UNMATCHED_CREDIT_NOTE
    )
    before = debtor(has_unmatched_credit_note=True)
    unchanged = debtor_changed(
        before, before, [state], {"default-business": business_flow()}, date(2025, 5, 1)
    )
    assert unchanged.states == () and unchanged.attention == ()
    reaction = debtor_changed(
        before, debtor(), [state], {"default-business": business_flow()}, date(2025, 5, 1)
    )
    assert [s.blocked_by for s in reaction.states] == [None]
    assert [a.reason for a in reaction.attention] == [AttentionReason.UNMATCHED_CREDIT_NOTE]


def test_messaging_events_raise_and_resolve_debtor_attention() -> None:
    bounced = email_undeliverable("debtor-1", "ap@example.nl", hard=True)
    assert bounced.action is AttentionAction.RAISE and "permanently" in bounced.sentence
    assert email_delivered("debtor-1").key == bounced.key
    assert unread_messages("debtor-1", 2).action is AttentionAction.RAISE
    assert unread_messages("debtor-1", 0).action is AttentionAction.RESOLVE


def test_fact_versions_compare_across_timezones() -> None:
    from datetime import timedelta, timezone

    amsterdam = timezone(timedelta(hours=1))
    assert FactVersion(datetime(2025, 3, 5, 12, 0, tzinfo=amsterdam)) < FactVersion(
        datetime(2025, 3, 5, 11, 30, tzinfo=UTC)
    )


def test_changed_email_addresses_resolve_undeliverable_and_email_missing() -> None:
    before = debtor(emails=("old@example.nl",))
    same = debtor_changed(before, debtor(emails=("OLD@example.nl ",)), [], {}, date(2025, 5, 1))
    assert same.attention == ()
    changed = debtor_changed(before, debtor(emails=("new@example.nl",)), [], {}, date(2025, 5, 1))
    assert {a.reason for a in changed.attention} == {
        AttentionReason.EMAIL_MISSING,
        AttentionReason.EMAIL_UNDELIVERABLE,
    }
    assert all(a.action is AttentionAction.RESOLVE for a in changed.attention)
