"""Planning: which step of the flow comes next and on which day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

from settle_dunning.domain.errors import FlowMismatch
from settle_dunning.domain.flows import LEGAL_TERM_DAYS, Flow, OffsetBasis, Step
from settle_dunning.domain.state import DunningState, PlanBasis, PlannedStep

_ONE_DAY = timedelta(days=1)


def next_step_in(flow: Flow, state: DunningState) -> tuple[int, Step] | None:
    """The next step of `flow` for the invoice, with its index, or None when the flow is done.

    Progress is the furthest step done in the current cycle, so a step added to the flow
    before that point is not sent (a changed flow applies from the next step on).
    """
    done = state.done_step_ids
    positions = [i for i in (flow.index_of(step_id) for step_id in done) if i is not None]
    if positions:
        start = max(positions) + 1
    elif done:
        # A flow edit removed every step this invoice went through: carry on with the first
        # step that takes it past its current phase, so no level is repeated.
        start = next(
            (i for i, s in enumerate(flow.steps) if s.target_phase > state.phase),
            len(flow.steps),
        )
    else:
        start = 0
    if start >= len(flow.steps):
        return None
    return start, flow.steps[start]


def legal_term_ends_on(state: DunningState) -> date | None:
    """First day after the 14-day period of the last legally required letter of this cycle.

    None when no legally required step was executed in the current cycle.
    """
    letters = [e for e in state.current_executed if e.legally_required]
    if not letters:
        return None
    return letters[-1].executed_on + timedelta(days=LEGAL_TERM_DAYS)


def scheduled_date(flow: Flow, state: DunningState, index: int) -> date:
    """The date the flow's offsets give for step `index`, before calendar and floors.

    Offsets count from the due date, but never closer to the last executed step than the
    flow designed: when a step went out late (catch-up, pause) the following steps move with
    it, keeping their spacing from the actual execution date.
    """
    step = flow.steps[index]
    nominal = flow.nominal_offsets
    by_due_date = state.invoice.due_date + timedelta(days=nominal[index])
    anchor = state.last_executed
    if anchor is None:
        return by_due_date
    anchor_index = flow.index_of(anchor.step_id)
    if anchor_index is not None and anchor_index < index:
        gap = nominal[index] - nominal[anchor_index]
    else:
        # The anchor step is no longer before this one (flow edited): keep the step's own spacing.
        gap = nominal[index] - nominal[index - 1] if index > 0 else 1
    from_anchor = anchor.executed_on + timedelta(days=gap)
    if step.offset_from is OffsetBasis.PREVIOUS_STEP:
        return from_anchor
    return max(by_due_date, from_anchor)


def plan_next_step(
    state: DunningState, flow: Flow, *, not_before: date | None = None
) -> DunningState:
    """Recompute the next planned step of an invoice and the day it goes out.

    The date is the flow's offset (from the due date, or from the previous executed step),
    then at least the day after the last executed step (one step per invoice per day), after
    the 14-day period of a legally required letter, on or after `state.not_before` and the
    one-off `not_before` given here, and finally moved to the next allowed sending day.
    A date a user picked for the same step is kept. A settled invoice gets nothing planned.
    """
    if state.flow_id != flow.id:
        raise FlowMismatch(state.invoice_id, state.flow_id, flow.id)
    if state.settled or state.phase.belongs_to_collection:
        return replace(state, next_step=None)
    found = next_step_in(flow, state)
    if found is None:
        return replace(state, next_step=None)
    index, step = found
    current = state.next_step
    if current is not None and current.step_id == step.id:
        if current.basis is PlanBasis.RESCHEDULED:
            return state

    planned = scheduled_date(flow, state, index)
    floors = [state.not_before, not_before, legal_term_ends_on(state)]
    last_run = state.last_execution_date
    if last_run is not None:
        floors.append(last_run + _ONE_DAY)
    for floor in floors:
        if floor is not None and floor > planned:
            planned = floor
    planned = flow.calendar.next_sending_day(planned)
    return replace(state, next_step=PlannedStep(step.id, planned, PlanBasis.SCHEDULE))


def is_due(state: DunningState, as_of: date) -> bool:
    """True when the invoice's next step is planned on or before `as_of` and may run.

    Mirrors the daily run's query `next_step_date <= :as_of`.
    """
    planned = state.next_step_date
    return planned is not None and planned <= as_of


def due_steps(states: Iterable[DunningState], as_of: date) -> list[DunningState]:
    """The states whose next step is due by `as_of`, earliest planned date first."""
    due = [s for s in states if is_due(s, as_of)]
    due.sort(key=lambda s: (s.next_step_date or as_of, s.invoice_id))
    return due
