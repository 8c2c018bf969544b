"""Deciding whether an invoice's next step runs today, and carrying it out.

Both functions look at one invoice and a handful of small values, so the daily run costs a
constant amount per due invoice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from settle_dunning.domain import attention
from settle_dunning.domain.attention import AttentionChange
from settle_dunning.domain.flows import UNAVAILABLE_CHANNELS, Channel, Flow, Step
from settle_dunning.domain.parties import (
    Administration,
    AdministrationPause,
    Debtor,
    DebtorPause,
    DebtorType,
)
from settle_dunning.domain.phases import READY_FOR_COLLECTION, Phase
from settle_dunning.domain.planning import legal_term_ends_on, plan_next_step
from settle_dunning.domain.state import (
    BlockReason,
    DunningState,
    ExecutedStep,
    ExecutionReason,
)


class Verdict(StrEnum):
    """What the daily run does with one invoice today."""

    EXECUTE = "execute"
    NOT_DUE = "not_due"
    PAUSED = "paused"
    BLOCKED = "blocked"
    DEFERRED = "deferred"
    NOTHING_PLANNED = "nothing_planned"


class PauseLevel(StrEnum):
    """Where the pause that holds a step back was set."""

    INVOICE = "invoice"
    DEBTOR = "debtor"
    ADMINISTRATION = "administration"


@dataclass(frozen=True)
class StepDecision:
    """The verdict for one invoice, with what is needed to act on it."""

    verdict: Verdict
    step: Step | None = None
    channels: tuple[Channel, ...] = ()
    reason: ExecutionReason | None = None
    block: BlockReason | None = None
    defer_to: date | None = None
    pause_level: PauseLevel | None = None
    attention: tuple[AttentionChange, ...] = ()


@dataclass(frozen=True)
class StepExecuted:
    """A step was executed for an invoice (the fact behind the timeline entry)."""

    invoice_id: str
    debtor_id: str
    flow_id: str
    step: ExecutedStep


@dataclass(frozen=True)
class PhaseChanged:
    """An invoice moved into another phase: a later one, or back when its step failed."""

    invoice_id: str
    debtor_id: str
    previous: Phase
    phase: Phase
    on: date


@dataclass(frozen=True)
class ReadyForCollection:
    """An invoice finished its flow; the collection service may open a case."""

    invoice_id: str
    debtor_id: str
    flow_id: str
    open_amount: Decimal
    currency: str
    on: date
    legal_letter_sent_on: date | None


@dataclass(frozen=True)
class StepExecution:
    """Everything that follows from executing one step of one invoice."""

    state: DunningState
    executed: StepExecuted
    phase_change: PhaseChanged | None
    ready_for_collection: ReadyForCollection | None
    attention: tuple[AttentionChange, ...]


def pause_level(
    state: DunningState, step: Step, administration: Administration, debtor: Debtor
) -> PauseLevel | None:
    """The level whose pause holds `step` back, or None when it may run.

    "Reminders paused" lets the step that sends the invoice itself through.
    """
    if state.on_hold:
        return PauseLevel.INVOICE
    if administration.pause is AdministrationPause.FULLY_PAUSED or (
        administration.pause is AdministrationPause.REMINDERS_PAUSED and step.is_reminder
    ):
        return PauseLevel.ADMINISTRATION
    if debtor.pause is DebtorPause.FULLY_PAUSED or (
        debtor.pause is DebtorPause.REMINDERS_PAUSED and step.is_reminder
    ):
        return PauseLevel.DEBTOR
    return None


def reachable_channels(
    step: Step, debtor: Debtor, invoice_id: str
) -> tuple[tuple[Channel, ...], tuple[AttentionChange, ...], BlockReason | None]:
    """The step's channels that can reach this debtor, the attention for the others, and the
    block reason when none is left.

    A channel Settle cannot send (SMS) is left out; a step it alone would carry is blocked
    with an attention item rather than recorded as done. A missing address weighs more than
    that: its block lifts by itself when the address arrives.
    """
    channels: list[Channel] = []
    raised: list[AttentionChange] = []
    missing: BlockReason | None = None
    unavailable: list[str] = []
    for channel in step.channels:
        if not channel.available:
            unavailable.append(f"{channel}: {UNAVAILABLE_CHANNELS[channel]}")
        elif channel is Channel.EMAIL and not debtor.has_email:
            raised.append(attention.email_missing(debtor.id, invoice_id, step.id))
            missing = missing or BlockReason.EMAIL_MISSING
        elif channel is Channel.SMS and not debtor.phone:
            raised.append(attention.phone_missing(debtor.id, invoice_id, step.id))
            missing = missing or BlockReason.PHONE_MISSING
        else:
            channels.append(channel)
    block = None
    if step.channels and not channels:
        block = missing
        if block is None:
            raised.append(attention.channel_unavailable(invoice_id, step.id, unavailable))
            block = BlockReason.CHANNEL_UNAVAILABLE
    return tuple(channels), tuple(raised), block


def decide_step(
    state: DunningState,
    flow: Flow,
    debtor: Debtor,
    administration: Administration,
    business_date: date,
) -> StepDecision:
    """Decide what happens today with the invoice's next step.

    Executes at most one step per invoice per day and only on a sending day. A step below its
    minimum amount, without a reachable channel, or moving a consumer to collection without
    the 14-day letter is blocked with an attention item; an unmatched credit note of the
    debtor blocks the automatic move to ready-for-collection.
    """
    planned = state.next_step
    if state.settled or planned is None or state.phase.belongs_to_collection:
        return StepDecision(Verdict.NOTHING_PLANNED)
    if state.blocked_by is not None:
        return StepDecision(Verdict.BLOCKED, block=state.blocked_by)
    last_run = state.last_execution_date
    if planned.planned_on > business_date or (last_run is not None and last_run >= business_date):
        return StepDecision(Verdict.NOT_DUE)
    if not flow.calendar.is_sending_day(business_date):
        return StepDecision(Verdict.NOT_DUE)

    step = flow.step(planned.step_id)
    level = pause_level(state, step, administration, debtor)
    if level is not None:
        return StepDecision(Verdict.PAUSED, step=step, pause_level=level)

    invoice = state.invoice
    if invoice.open_amount <= 0 or invoice.open_amount < step.minimum_open_amount:
        return StepDecision(
            Verdict.BLOCKED,
            step=step,
            block=BlockReason.BELOW_MINIMUM_AMOUNT,
            attention=(
                attention.below_minimum_amount(
                    invoice.id,
                    step.id,
                    invoice.open_amount,
                    step.minimum_open_amount,
                    invoice.currency,
                ),
            ),
        )

    if step.target_phase >= READY_FOR_COLLECTION:
        if debtor.has_unmatched_credit_note:
            return StepDecision(
                Verdict.BLOCKED,
                step=step,
                block=BlockReason.UNMATCHED_CREDIT_NOTE,
                attention=(attention.unmatched_credit_note(debtor.id, invoice.id),),
            )
        if debtor.debtor_type is DebtorType.B2C:
            term_ends_on = legal_term_ends_on(state)
            if term_ends_on is None:
                return StepDecision(
                    Verdict.BLOCKED,
                    step=step,
                    block=BlockReason.LEGAL_LETTER_MISSING,
                    attention=(attention.legal_letter_missing(debtor.id, invoice.id),),
                )
            if term_ends_on > business_date:
                return StepDecision(
                    Verdict.DEFERRED,
                    step=step,
                    defer_to=flow.calendar.next_sending_day(term_ends_on),
                )

    channels, raised, block = reachable_channels(step, debtor, invoice.id)
    if block is not None:
        return StepDecision(Verdict.BLOCKED, step=step, block=block, attention=raised)
    reason = (
        ExecutionReason.SCHEDULED
        if planned.planned_on == business_date
        else ExecutionReason.CATCH_UP
    )
    return StepDecision(
        Verdict.EXECUTE, step=step, channels=channels, reason=reason, attention=raised
    )


def execute_step(
    state: DunningState,
    flow: Flow,
    step: Step,
    *,
    channels: tuple[Channel, ...],
    reason: ExecutionReason,
    business_date: date,
    message_request_id: str | None = None,
) -> StepExecution:
    """Record `step` as executed today, move the phase forward and plan the following step.

    The following step is planned from today, the actual execution date, so a late step
    pushes the rest of the flow along with it.
    """
    invoice = state.invoice
    executed = ExecutedStep(
        step_id=step.id,
        executed_on=business_date,
        reason=reason,
        channels=channels,
        phase=step.target_phase,
        cycle=state.cycle,
        legally_required=step.legally_required,
        message_request_id=message_request_id,
    )
    previous_phase = state.phase
    # Phases only move forward: a flow edited to an earlier phase does not pull it back.
    phase = max(previous_phase, step.target_phase)
    advanced = replace(
        state,
        executed=(*state.executed, executed),
        phase=phase,
        next_step=None,
        blocked_by=None,
    )
    advanced = plan_next_step(advanced, flow)

    raised: list[AttentionChange] = []
    if Channel.CALL_TASK in channels:
        raised.append(attention.needs_call(invoice.debtor_id, invoice.id, step.id))
    phase_change = None
    if phase != previous_phase:
        phase_change = PhaseChanged(
            invoice.id, invoice.debtor_id, previous_phase, phase, business_date
        )
    ready = None
    if phase == READY_FOR_COLLECTION and previous_phase != READY_FOR_COLLECTION:
        letters = [e for e in advanced.current_executed if e.legally_required]
        ready = ReadyForCollection(
            invoice_id=invoice.id,
            debtor_id=invoice.debtor_id,
            flow_id=flow.id,
            open_amount=invoice.open_amount,
            currency=invoice.currency,
            on=business_date,
            legal_letter_sent_on=letters[-1].executed_on if letters else None,
        )
        raised.append(attention.ready_for_collection(invoice.debtor_id, invoice.id, business_date))
    return StepExecution(
        state=advanced,
        executed=StepExecuted(invoice.id, invoice.debtor_id, flow.id, executed),
        phase_change=phase_change,
        ready_for_collection=ready,
        attention=tuple(raised),
    )
