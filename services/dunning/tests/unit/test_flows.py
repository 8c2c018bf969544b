from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from settle_dunning.domain import (
    DEFAULT_TEMPLATE_KEYS,
    Bundling,
    Channel,
    DebtorType,
    Flow,
    FlowDraft,
    FlowSelection,
    InvalidFlow,
    NoMatchingFlow,
    OffsetBasis,
    SendingCalendar,
    StepDraft,
    Weekday,
    build_flow,
    default_flows,
    ensure_valid_flow,
    select_flow,
    validate_flow,
)
from settle_dunning.domain.phases import FINAL_REMINDER, READY_FOR_COLLECTION, reminder

from .factories import TEMPLATES, flow, step

pytestmark = pytest.mark.unit


def fields(flow_to_check: Flow) -> dict[str, str]:
    return {e.field: e.message for e in validate_flow(flow_to_check, TEMPLATES)}


def draft(*steps: StepDraft, **changes: object) -> FlowDraft:
    base = FlowDraft(id="f1", name="Flow", steps=steps, debtor_types=("b2b",))
    return replace(base, **changes)


def reminder_draft(step_id: str = "r1", **changes: object) -> StepDraft:
    base = StepDraft(
        id=step_id,
        offset_days=7,
        channels=("email",),
        template_key="friendly_reminder",
        target_phase="reminder_1",
    )
    return replace(base, **changes)


# --- the default flows ---------------------------------------------------------------------------


def test_default_flows_are_valid() -> None:
    for default in default_flows("NL"):
        assert validate_flow(default, DEFAULT_TEMPLATE_KEYS) == []


def test_default_business_flow_reminds_at_7_21_and_35_days_then_collects() -> None:
    business, _ = default_flows()
    assert business.selection.debtor_types == {DebtorType.B2B}
    assert [s.target_phase for s in business.steps] == [
        reminder(1),
        reminder(2),
        FINAL_REMINDER,
        READY_FOR_COLLECTION,
    ]
    assert business.nominal_offsets == (7, 21, 35, 50)
    assert all(s.channels == (Channel.EMAIL,) for s in business.steps[:3])
    assert not any(s.legally_required for s in business.steps)


def test_default_consumer_flow_sends_the_14_day_letter_by_email_and_letter() -> None:
    _, consumer = default_flows()
    letter = consumer.steps[2]
    assert letter.legally_required
    assert letter.channels == (Channel.EMAIL, Channel.LETTER)
    assert letter.template_key == "fourteen_day_letter"
    # 15 days of legal term plus two days for the post.
    assert consumer.nominal_offsets[3] - consumer.nominal_offsets[2] == 17
    assert consumer.bundling == Bundling(enabled=True, min_days_between_reminders=7)
    assert consumer.calendar.sending_days == {
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
        Weekday.FRIDAY,
    }


# --- validation ----------------------------------------------------------------------------------


def test_a_flow_without_steps_is_refused() -> None:
    assert fields(flow()) == {"steps": "a flow needs at least one step"}


def test_offsets_that_go_backwards_are_refused() -> None:
    problems = fields(flow(step("a", 14, reminder(1)), step("b", 7, reminder(2))))
    assert "offset goes backwards" in problems["steps[1].offset_days"]


def test_two_steps_on_the_same_day_are_refused() -> None:
    problems = fields(flow(step("a", 7, reminder(1)), step("b", 7, reminder(2))))
    assert "steps[1].offset_days" in problems


def test_a_step_after_the_previous_needs_at_least_one_day() -> None:
    problems = fields(
        flow(step("a", 7, reminder(1)), step("b", 0, reminder(2), after_previous=True))
    )
    assert "at least 1 day" in problems["steps[1].offset_days"]


def test_the_first_step_cannot_count_from_a_previous_step() -> None:
    assert "steps[0].offset_from" in fields(flow(step("a", 7, reminder(1), after_previous=True)))


def test_a_negative_offset_before_the_due_date_is_allowed() -> None:
    from settle_dunning.domain.phases import PRE_REMINDER

    assert fields(flow(step("pre", -3, PRE_REMINDER), step("a", 7, reminder(1)))) == {}


def test_unknown_template_keys_are_refused() -> None:
    problems = fields(flow(step("a", 7, reminder(1), template="shouty_reminder")))
    assert problems == {"steps[0].template_key": "unknown template 'shouty_reminder'"}


def test_phases_may_not_move_backwards() -> None:
    problems = fields(flow(step("a", 7, reminder(2)), step("b", 14, reminder(1))))
    assert "phases only move forward" in problems["steps[1].target_phase"]


def test_the_same_phase_twice_in_a_row_is_allowed() -> None:
    email = step("a", 7, reminder(1))
    call = step("b", 9, reminder(1), channels=(Channel.CALL_TASK,), template="call")
    assert fields(flow(email, call)) == {}


def test_a_step_needs_a_channel_and_no_channel_twice() -> None:
    problems = fields(
        flow(
            step("a", 7, reminder(1), channels=()),
            step("b", 14, reminder(2), channels=(Channel.EMAIL, Channel.EMAIL)),
        )
    )
    assert problems["steps[0].channels"] == "a step needs at least one channel"
    assert problems["steps[1].channels"] == "a channel is listed twice"


def test_duplicate_step_ids_are_refused() -> None:
    problems = fields(flow(step("a", 7, reminder(1)), step("a", 14, reminder(2))))
    assert problems["steps[1].id"] == "step id 'a' is used twice"


def test_ready_for_collection_must_be_last() -> None:
    problems = fields(
        flow(
            step("collect", 7, READY_FOR_COLLECTION, channels=()),
            step("late", 14, READY_FOR_COLLECTION, channels=()),
        )
    )
    assert "must be the last step" in problems["steps[0].target_phase"]


def test_collection_case_phases_do_not_belong_in_a_flow() -> None:
    from settle_dunning.domain.phases import IN_COLLECTION

    problems = fields(flow(step("a", 7, IN_COLLECTION)))
    assert "belongs to a collection case" in problems["steps[0].target_phase"]


def test_a_flow_for_consumers_needs_the_14_day_letter_before_collection() -> None:
    no_letter = flow(
        step("a", 7, reminder(1)),
        step("collect", 30, READY_FOR_COLLECTION, channels=()),
        b2b_only=False,
    )
    assert "14-day letter" in fields(no_letter)["steps[1].target_phase"]


def test_the_step_after_the_14_day_letter_waits_the_legal_term() -> None:
    too_soon = flow(
        step("letter", 7, FINAL_REMINDER, template="fourteen_day_letter", legally_required=True),
        step("collect", 14, READY_FOR_COLLECTION, channels=(), after_previous=True),
        b2b_only=False,
    )
    assert "at least 15 days" in fields(too_soon)["steps[1].offset_days"]


def test_the_14_day_letter_must_be_written() -> None:
    by_phone = flow(
        step(
            "letter",
            7,
            FINAL_REMINDER,
            channels=(Channel.CALL_TASK,),
            template="fourteen_day_letter",
            legally_required=True,
        )
    )
    assert "in writing" in fields(by_phone)["steps[0].channels"]


def test_an_sms_step_is_refused_while_no_sms_provider_exists() -> None:
    sms = flow(step("sms", 7, reminder(1), channels=(Channel.EMAIL, Channel.SMS)))
    assert fields(sms)["steps[0].channels"] == (
        "sms cannot be sent: no SMS provider is configured; use email or letter"
    )


def test_minimum_amount_interval_and_calendar_are_checked() -> None:
    bad = Flow(
        id="f",
        name="f",
        steps=(step("a", 7, reminder(1), minimum="-1"),),
        selection=FlowSelection(debtor_types=frozenset({DebtorType.B2B})),
        calendar=SendingCalendar(sending_days=frozenset(), country="XX"),
        bundling=Bundling(min_days_between_reminders=-1),
    )
    assert set(fields(bad)) == {
        "steps[0].minimum_open_amount",
        "calendar.sending_days",
        "calendar.country",
        "bundling.min_days_between_reminders",
    }


def test_ensure_valid_flow_raises_with_every_error() -> None:
    with pytest.raises(InvalidFlow) as refused:
        ensure_valid_flow(flow(step("a", 14, reminder(2)), step("b", 7, reminder(1))), TEMPLATES)
    assert [e.field for e in refused.value.errors] == [
        "steps[1].offset_days",
        "steps[1].target_phase",
    ]
    assert "steps[1].offset_days" in str(refused.value)


# --- building from submitted values --------------------------------------------------------------


def test_build_flow_turns_a_draft_into_a_flow() -> None:
    built = build_flow(
        draft(
            reminder_draft(minimum_open_amount="10.005"),
            reminder_draft(
                "letter",
                offset_days=14,
                offset_from="previous_step",
                channels=("email", "letter"),
                target_phase="final_reminder",
                template_key="final_reminder",
            ),
            payment_conditions=("30",),
            blocked_dates=(date(2025, 12, 24),),
        ),
        TEMPLATES,
    )
    assert built.steps[0].minimum_open_amount == Decimal("10.01")
    assert built.steps[1].offset_from is OffsetBasis.PREVIOUS_STEP
    assert built.steps[1].channels == (Channel.EMAIL, Channel.LETTER)
    assert built.selection.payment_conditions == {"30"}
    assert date(2025, 12, 24) in built.calendar.blocked_dates


def test_build_flow_names_every_bad_field() -> None:
    with pytest.raises(InvalidFlow) as refused:
        build_flow(
            draft(
                reminder_draft(channels=("email", "fax"), target_phase="overdue"),
                reminder_draft("r2", offset_from="yesterday", minimum_open_amount="lots"),
                debtor_types=("government",),
                sending_days=(1, 8),
            ),
            TEMPLATES,
        )
    problems = {e.field: e.message for e in refused.value.errors}
    assert problems["steps[0].channels[1]"].startswith("unknown channel 'fax'; expected email")
    assert problems["steps[0].target_phase"] == "unknown phase 'overdue'"
    assert "steps[1].offset_from" in problems
    assert "steps[1].minimum_open_amount" in problems
    assert "selection.debtor_types[0]" in problems
    assert "calendar.sending_days[1]" in problems


def test_build_flow_runs_the_structural_checks_too() -> None:
    with pytest.raises(InvalidFlow) as refused:
        build_flow(draft(), TEMPLATES)
    assert refused.value.errors[0].field == "steps"


# --- selection -----------------------------------------------------------------------------------


def test_select_flow_prefers_payment_condition_then_debtor_type_then_fallback() -> None:
    fallback = replace(
        flow(step("a", 7, reminder(1)), flow_id="fallback"), selection=FlowSelection()
    )
    consumers = replace(
        fallback, id="consumers", selection=FlowSelection(debtor_types=frozenset({DebtorType.B2C}))
    )
    direct_debit = replace(
        fallback, id="direct-debit", selection=FlowSelection(payment_conditions=frozenset({"DD"}))
    )
    flows = [fallback, consumers, direct_debit]
    assert select_flow(flows, "DD", DebtorType.B2C).id == "direct-debit"
    assert select_flow(flows, "30", DebtorType.B2C).id == "consumers"
    assert select_flow(flows, "30", DebtorType.B2B).id == "fallback"
    assert select_flow(flows, None, DebtorType.B2B).id == "fallback"


def test_select_flow_uses_the_defaults_by_debtor_type() -> None:
    business, consumer = default_flows()
    assert select_flow([business, consumer], "30", DebtorType.B2C) is consumer
    assert select_flow([business, consumer], "30", DebtorType.B2B) is business


def test_select_flow_without_a_match_says_so() -> None:
    business, _ = default_flows()
    with pytest.raises(NoMatchingFlow, match="b2c"):
        select_flow([business], "30", DebtorType.B2C)
