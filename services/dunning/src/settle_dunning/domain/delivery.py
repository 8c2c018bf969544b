"""What became of an executed step's message, and what a step that reached nobody means.

Messaging reports, per channel of a request, a message that could not be sent or that came
back for good (a hard bounce), and a letter it queued in place of a bounced email. A step is
delivered as long as one of its channels may still reach the debtor; once every channel has
failed, the step failed:

- it stays on the invoice's timeline, marked failed, and no longer counts as done (a 14-day
  letter that reached nobody starts no legal term);
- when it is the invoice's latest step of its cycle, the phase goes back to where it was
  before the step and the step is planned again, held back (`BlockReason.MESSAGE_FAILED`)
  with a `message_failed` attention item until a change of the debtor's email or postal
  address, or a person (perform now, skip, reset), clears it. A message that failed only for
  want of an email address the debtor has by now is planned again without waiting;
- when a later step has run since, only the timeline and the attention item say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from settle_dunning.domain import attention
from settle_dunning.domain.attention import AttentionChange
from settle_dunning.domain.execution import PhaseChanged
from settle_dunning.domain.flows import Channel, Flow
from settle_dunning.domain.parties import Debtor
from settle_dunning.domain.phases import SENT
from settle_dunning.domain.planning import plan_next_step
from settle_dunning.domain.state import BlockReason, DunningState, ExecutedStep, StepFailure

# Blocks that wait for a step's message: lifting one answers the message-failed item.
MESSAGE_BLOCKS = frozenset({BlockReason.MESSAGE_FAILED, BlockReason.CHANNEL_UNAVAILABLE})
# A failure for want of an address the debtor has by now needs nobody to clear it.
_ADDRESS_MISSING = "email_missing"


@dataclass(frozen=True)
class ChannelFailure:
    """Messaging's report that the message of a request on one channel will not reach the
    debtor; `replaced_by` is the channel of a message it queued in its place (a letter for
    a bounced email)."""

    message_request_id: str
    channel: Channel
    reason: str
    detail: str
    replaced_by: Channel | None = None


@dataclass(frozen=True)
class FailedStep:
    """A step whose message reached the debtor on none of its channels (the fact behind the
    failed entry of the timeline), with the invoice's phase after it."""

    invoice_id: str
    debtor_id: str
    flow_id: str
    step: ExecutedStep


@dataclass(frozen=True)
class DeliveryReaction:
    """The state after a channel failure, and what it causes."""

    state: DunningState
    failed: FailedStep | None = None
    phase_change: PhaseChanged | None = None
    attention: tuple[AttentionChange, ...] = ()


def channel_failed(
    state: DunningState,
    flow: Flow,
    debtor: Debtor | None,
    failure: ChannelFailure,
    business_date: date,
) -> DeliveryReaction:
    """Record that a step's message failed on one channel; when no channel is left that may
    reach the debtor, the step failed (see the module's docstring).

    A report about a request the invoice never made, or about a step already failed, changes
    nothing.
    """
    index = next(
        (
            i
            for i in range(len(state.executed) - 1, -1, -1)
            if state.executed[i].message_request_id == failure.message_request_id
        ),
        None,
    )
    if index is None or state.executed[index].failed:
        return DeliveryReaction(state)
    step = state.executed[index]
    noted = replace(
        step,
        failed_channels=_with(step.failed_channels, failure.channel),
        added_channels=_with(step.added_channels, failure.replaced_by),
    )
    if noted == step:
        return DeliveryReaction(state)
    if not noted.undelivered:
        return DeliveryReaction(_with_step(state, index, noted))
    failed = replace(noted, failure=StepFailure(failure.reason, failure.detail, business_date))
    after = _with_step(state, index, failed)
    fact = FailedStep(state.invoice_id, state.invoice.debtor_id, state.flow_id, failed)
    latest = (
        index == len(state.executed) - 1
        and step.cycle == state.cycle
        and not state.settled
        and not state.phase.belongs_to_collection
    )
    if not latest:
        if state.settled:
            return DeliveryReaction(after, fact)
        raised = attention.step_not_delivered(
            state.invoice_id, step.step_id, step.executed_on, failure.detail, planned_again=False
        )
        return DeliveryReaction(after, fact, attention=(raised,))

    # The step did not happen for the debtor: back to the phase before it, the step planned
    # again (from today at the earliest, never twice on the day it ran).
    phase = state.phase
    if phase == step.phase:
        phase = max((e.phase for e in after.current_executed), default=SENT)
    waits = not (failure.reason == _ADDRESS_MISSING and debtor is not None and debtor.has_email)
    rewound = replace(
        after,
        phase=phase,
        next_step=None,
        blocked_by=BlockReason.MESSAGE_FAILED if waits else None,
    )
    rewound = plan_next_step(rewound, flow, not_before=business_date)
    change = None
    if phase != state.phase:
        change = PhaseChanged(
            state.invoice_id, state.invoice.debtor_id, state.phase, phase, business_date
        )
    raised_items: tuple[AttentionChange, ...] = ()
    if waits:
        raised_items = (
            attention.step_not_delivered(
                state.invoice_id,
                step.step_id,
                step.executed_on,
                failure.detail,
                planned_again=True,
            ),
        )
    return DeliveryReaction(rewound, fact, change, raised_items)


def last_reminded_on(states: Iterable[DunningState]) -> date | None:
    """The last day a reminder reached the debtor of `states` (their invoices): a reminder
    whose message reached nobody does not count for the interval between two reminders."""
    days = [
        step.executed_on
        for state in states
        for step in state.executed
        if step.message_request_id is not None and step.phase.is_reminder and not step.failed
    ]
    return max(days, default=None)


def message_block_lifted(
    before: DunningState, after: DunningState, why: str
) -> tuple[AttentionChange, ...]:
    """The message-failed item answered when a change lifted a block that waited for a
    step's message (perform now, skip, reset, a changed flow or address, settling)."""
    if before.blocked_by in MESSAGE_BLOCKS and after.blocked_by is None:
        return (attention.message_failed_answered(before.invoice_id, why),)
    return ()


def channel_block_lifted(state: DunningState) -> DunningState:
    """The state with a block for a channel that cannot be sent lifted: after a flow edit,
    the next run decides the step again on the changed flow."""
    if state.blocked_by is BlockReason.CHANNEL_UNAVAILABLE:
        return replace(state, blocked_by=None)
    return state


def _with(channels: tuple[Channel, ...], channel: Channel | None) -> tuple[Channel, ...]:
    if channel is None or channel in channels:
        return channels
    return (*channels, channel)


def _with_step(state: DunningState, index: int, step: ExecutedStep) -> DunningState:
    executed = list(state.executed)
    executed[index] = step
    return replace(state, executed=tuple(executed))
