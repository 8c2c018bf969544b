"""Pausing and manual control of one invoice's flow.

Administration and debtor pauses are settings on `Administration` and `Debtor`; the daily
run holds their steps back. What changes an invoice's own state lives here: putting it on
hold, resuming after any pause, and a user's skip / reschedule / perform now / reset.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from settle_dunning.domain import attention
from settle_dunning.domain.attention import AttentionReason, AttentionSubject
from settle_dunning.domain.delivery import message_block_lifted
from settle_dunning.domain.errors import (
    CreditNotesCoverReminder,
    DebtorUnreachable,
    InvoiceAlreadySettled,
    InvoiceInCollection,
    InvoiceInPaymentPlan,
    InvoicePaused,
    LegalTermNotExpired,
    NoStepPlanned,
    RescheduleInPast,
    StepAlreadyExecutedToday,
    StepCannotBeSkipped,
)
from settle_dunning.domain.execution import (
    StepExecution,
    execute_step,
    pause_level,
    reachable_channels,
)
from settle_dunning.domain.flows import Flow, Step
from settle_dunning.domain.messages import (
    MessageRequest,
    build_message_request,
    invoice_line,
)
from settle_dunning.domain.parties import Administration, CreditNote, Debtor, DebtorType
from settle_dunning.domain.phases import READY_FOR_COLLECTION, SENT
from settle_dunning.domain.planning import legal_term_ends_on, plan_next_step
from settle_dunning.domain.state import (
    BlockReason,
    DunningState,
    ExecutionReason,
    PlanBasis,
    PlannedStep,
    SkippedStep,
    SkipReason,
)


def _require_open(state: DunningState, action: str) -> None:
    if state.plan_hold is not None:
        raise InvoiceInPaymentPlan(state.invoice_id, state.plan_hold.plan_id, action)
    if state.settled:
        raise InvoiceAlreadySettled(state.invoice_id, action)
    if state.phase.belongs_to_collection:
        raise InvoiceInCollection(state.invoice_id, action)


def _require_planned(state: DunningState, flow: Flow, action: str) -> tuple[PlannedStep, Step]:
    _require_open(state, action)
    planned = state.next_step
    if planned is None or flow.index_of(planned.step_id) is None:
        raise NoStepPlanned(state.invoice_id, action)
    return planned, flow.step(planned.step_id)


def put_on_hold(state: DunningState) -> DunningState:
    """Put one invoice on hold: no step goes out until it is released.

    Refused for a settled invoice: there is nothing left to pause.
    """
    _require_open(state, "put it on hold")
    return replace(state, on_hold=True)


def release_hold(state: DunningState, flow: Flow, business_date: date) -> DunningState:
    """Take an invoice off hold; steps that fell due meanwhile are planned from today."""
    return resume_planning(replace(state, on_hold=False), flow, business_date)


def resume_planning(state: DunningState, flow: Flow, resumed_on: date) -> DunningState:
    """Re-plan after any pause (administration, debtor or invoice) ended on `resumed_on`.

    A step that fell due during the pause is planned on the resume date (the next sending
    day), and the steps after it follow from its actual execution, so nothing fires all at
    once. Steps planned after the resume date keep their date.
    """
    if state.settled:
        return state
    floor = resumed_on if state.not_before is None else max(state.not_before, resumed_on)
    return plan_next_step(replace(state, not_before=floor), flow)


def skip_step(state: DunningState, flow: Flow, business_date: date) -> DunningState:
    """Pass over the invoice's next step and plan the one after it.

    The 14-day letter of a consumer flow is never skipped.
    """
    _, step = _require_planned(state, flow, "skip a step")
    if step.legally_required:
        raise StepCannotBeSkipped(state.invoice_id, step.id)
    skipped = SkippedStep(step.id, business_date, SkipReason.MANUAL, state.cycle)
    moved = replace(state, skipped=(*state.skipped, skipped), next_step=None, blocked_by=None)
    return plan_next_step(moved, flow, not_before=business_date)


def reschedule_step(state: DunningState, flow: Flow, to: date, business_date: date) -> DunningState:
    """Move the invoice's next step to `to` (or the first sending day after it).

    The date is kept when the invoice is re-planned later, until the step runs.
    """
    planned, _ = _require_planned(state, flow, "reschedule a step")
    if to < business_date:
        raise RescheduleInPast(to, business_date)
    day = flow.calendar.next_sending_day(to)
    return replace(state, next_step=PlannedStep(planned.step_id, day, PlanBasis.RESCHEDULED))


def reset_flow(state: DunningState, flow: Flow, business_date: date) -> DunningState:
    """Start the flow again from its first step, planned no earlier than today.

    Earlier steps stay on the timeline (previous cycle); the phase goes back to `sent`.
    """
    _require_open(state, "reset the flow")
    restarted = replace(
        state,
        cycle=state.cycle + 1,
        phase=SENT,
        next_step=None,
        blocked_by=None,
        not_before=business_date,
    )
    return plan_next_step(restarted, flow)


@dataclass(frozen=True)
class PerformedStep:
    """The outcome of perform-now: the execution and the message it sends, if any.

    When `debtor_reminded` is true, store the business date as the debtor's
    `last_reminded_on`.
    """

    execution: StepExecution
    message_request: MessageRequest | None
    debtor_reminded: bool


def perform_step_now(
    state: DunningState,
    flow: Flow,
    debtor: Debtor,
    administration: Administration,
    business_date: date,
    credit_notes: Sequence[CreditNote] = (),
) -> PerformedStep:
    """Execute the invoice's next step today because a user asked for it; a reminder states
    the debtor's open `credit_notes` in its currency, and is refused when they cover all it
    would ask for.

    A user's decision overrides the planned date, the minimum amount, bundling and the
    interval between reminders. It does not override a pause, the one-step-per-day rule or
    a consumer's 14-day period before collection.
    """
    _, step = _require_planned(state, flow, "perform a step now")
    level = pause_level(state, step, administration, debtor)
    if level is not None:
        raise InvoicePaused(state.invoice_id, level.value)
    last_run = state.last_execution_date
    if last_run is not None and last_run >= business_date:
        raise StepAlreadyExecutedToday(state.invoice_id, business_date)
    if step.target_phase >= READY_FOR_COLLECTION and debtor.debtor_type is DebtorType.B2C:
        term_ends_on = legal_term_ends_on(state)
        if term_ends_on is None or term_ends_on > business_date:
            raise LegalTermNotExpired(state.invoice_id, term_ends_on)

    channels, _, block = reachable_channels(step, debtor, state.invoice_id)
    if block is BlockReason.CHANNEL_UNAVAILABLE:
        raise DebtorUnreachable(
            state.invoice_id,
            step.id,
            "its channels cannot be sent (SMS: no SMS provider is configured); change the step "
            "in the flow to email or letter, or skip it",
        )
    if block is not None:
        raise DebtorUnreachable(state.invoice_id, step.id)
    request = None
    if any(c.reaches_debtor for c in channels):
        request = build_message_request(
            administration=administration,
            debtor=debtor,
            flow_id=flow.id,
            business_date=business_date,
            lines=[invoice_line(state.invoice, step)],
            channels=channels,
            template_key=step.template_key,
            credit_notes=credit_notes if step.is_reminder else (),
        )
        if request.credit_notes and request.amount_due <= 0:
            raise CreditNotesCoverReminder(state.invoice_id, request.currency, request.amount_due)
    execution = execute_step(
        state,
        flow,
        step,
        channels=channels,
        reason=ExecutionReason.PERFORMED_NOW,
        business_date=business_date,
        message_request_id=request.id if request else None,
    )
    if state.blocked_by is BlockReason.BELOW_MINIMUM_AMOUNT:
        # The user sent it anyway: the item asking them to decide is answered.
        resolved = attention.resolve(
            AttentionReason.BELOW_MINIMUM_AMOUNT,
            AttentionSubject.INVOICE,
            state.invoice_id,
            "The step was sent on request despite the minimum amount.",
        )
        execution = replace(execution, attention=(*execution.attention, resolved))
    answered = message_block_lifted(
        state, execution.state, "The step was performed again on request."
    )
    execution = replace(execution, attention=(*execution.attention, *answered))
    return PerformedStep(
        execution=execution,
        message_request=request,
        debtor_reminded=request is not None and step.is_reminder,
    )
