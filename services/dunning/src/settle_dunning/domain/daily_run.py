"""The daily run: for one administration and one business date, execute every due step.

The run is given only the invoices whose `next_step_date` is on or before the business date
(the service selects them through an index), plus the flows and the debtors involved. It
returns plain results; the service stores the changed states and publishes the rest.

Guarantees:
- idempotent: a step executed today moves the invoice's next step to a later day, so running
  the same date again executes nothing twice;
- catch-up: after missed days each invoice executes at most one step (its next, never a
  later one), and the following steps are planned from today;
- bundling: one debtor's due reminders of one flow and currency go out as one message, and
  no sooner than the flow's minimum interval after the debtor's previous reminder; amounts of
  two currencies are never added, so a debtor owing in two currencies gets one message per
  currency (on the same day, the interval counts per currency);
- credit notes: a reminder states the debtor's open credit notes in its currency and the
  amount that remains; when they cover the whole open amount, the reminder is held back
  (blocked, with an attention item) until bookkeeping matches them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from settle_dunning.domain import attention
from settle_dunning.domain.attention import AttentionChange
from settle_dunning.domain.errors import BusinessDateBeforeLastRun
from settle_dunning.domain.execution import (
    PhaseChanged,
    ReadyForCollection,
    StepDecision,
    StepExecuted,
    StepExecution,
    Verdict,
    decide_step,
    execute_step,
)
from settle_dunning.domain.flows import CHANNEL_ORDER, Flow, Step
from settle_dunning.domain.messages import (
    MessageRequest,
    build_message_request,
    invoice_line,
)
from settle_dunning.domain.parties import (
    Administration,
    AdministrationPause,
    CreditNote,
    Debtor,
)
from settle_dunning.domain.planning import plan_next_step
from settle_dunning.domain.state import BlockReason, DunningState, PlanBasis, PlannedStep


@dataclass(frozen=True)
class DebtorReminded:
    """A reminder went to the debtor today: store it as the debtor's `last_reminded_on`
    (None: no reminder reached the debtor after all, domain/delivery.py)."""

    debtor_id: str
    on: date | None


@dataclass(frozen=True)
class DailyRunResult:
    """What a daily run decided. `states` holds every changed state, to be stored."""

    business_date: date
    states: tuple[DunningState, ...] = ()
    executed: tuple[StepExecuted, ...] = ()
    message_requests: tuple[MessageRequest, ...] = ()
    phase_changes: tuple[PhaseChanged, ...] = ()
    ready_for_collection: tuple[ReadyForCollection, ...] = ()
    attention: tuple[AttentionChange, ...] = ()
    debtors_reminded: tuple[DebtorReminded, ...] = ()
    paused_invoice_ids: tuple[str, ...] = ()


def check_business_date(business_date: date, last_run_date: date | None) -> None:
    """Refuse a business date before the last run; the same date again is allowed."""
    if last_run_date is not None and business_date < last_run_date:
        raise BusinessDateBeforeLastRun(business_date, last_run_date)


def next_sending_day_when_closed(flows: Iterable[Flow], day: date) -> date | None:
    """When `day` is a sending day for none of the flows, the first day on which one of them
    sends again; None when some flow sends on `day` (or there are no flows)."""
    calendars = [flow.calendar for flow in flows]
    if not calendars or any(c.is_sending_day(day) for c in calendars):
        return None
    return min(c.next_sending_day(day) for c in calendars)


@dataclass
class _Run:
    business_date: date
    administration: Administration
    credit_notes: Mapping[str, Sequence[CreditNote]] = field(default_factory=dict)
    states: dict[str, DunningState] = field(default_factory=dict)
    executed: list[StepExecuted] = field(default_factory=list)
    messages: list[MessageRequest] = field(default_factory=list)
    phase_changes: list[PhaseChanged] = field(default_factory=list)
    ready: list[ReadyForCollection] = field(default_factory=list)
    attention: list[AttentionChange] = field(default_factory=list)
    reminded: dict[str, date] = field(default_factory=dict)
    # The currencies each debtor was reminded in today: a reminder in another currency is no
    # reminder of the same debt, so it does not wait for the interval.
    reminded_in: dict[str, set[str]] = field(default_factory=dict)
    paused: list[str] = field(default_factory=list)

    def remind(self, debtor_id: str, currency: str) -> None:
        self.reminded[debtor_id] = self.business_date
        self.reminded_in.setdefault(debtor_id, set()).add(currency)

    def last_reminded(self, debtor: Debtor, currency: str) -> date | None:
        today = self.reminded_in.get(debtor.id)
        if today is not None and currency not in today:
            return debtor.last_reminded_on  # reminded today, but of another currency
        return self.reminded.get(debtor.id, debtor.last_reminded_on)

    def keep(self, execution: StepExecution) -> None:
        self.states[execution.state.invoice_id] = execution.state
        self.executed.append(execution.executed)
        if execution.phase_change is not None:
            self.phase_changes.append(execution.phase_change)
        if execution.ready_for_collection is not None:
            self.ready.append(execution.ready_for_collection)
        self.attention.extend(execution.attention)

    def result(self) -> DailyRunResult:
        return DailyRunResult(
            business_date=self.business_date,
            states=tuple(self.states.values()),
            executed=tuple(self.executed),
            message_requests=tuple(self.messages),
            phase_changes=tuple(self.phase_changes),
            ready_for_collection=tuple(self.ready),
            attention=tuple(self.attention),
            debtors_reminded=tuple(DebtorReminded(d, on) for d, on in self.reminded.items()),
            paused_invoice_ids=tuple(self.paused),
        )


_Due = tuple[DunningState, StepDecision]


def run_daily(
    business_date: date,
    *,
    last_run_date: date | None,
    administration: Administration,
    flows: Mapping[str, Flow],
    debtors: Mapping[str, Debtor],
    states: Iterable[DunningState],
    credit_notes: Mapping[str, Sequence[CreditNote]] | None = None,
) -> DailyRunResult:
    """Execute the steps due on `business_date` for one administration.

    `states` are the invoices due by that date (others are passed over untouched);
    `flows` and `debtors` must hold every flow and debtor they refer to, `credit_notes` the
    open credit notes of those debtors (by debtor id). Raises BusinessDateBeforeLastRun when
    the date lies before `last_run_date`.
    """
    check_business_date(business_date, last_run_date)
    run = _Run(business_date, administration, credit_notes or {})
    if administration.pause is AdministrationPause.FULLY_PAUSED:
        return run.result()

    bundles: dict[tuple[str, str, str], list[_Due]] = {}
    for state in states:
        flow = flows[state.flow_id]
        debtor = debtors[state.invoice.debtor_id]
        if state.next_step is not None and flow.index_of(state.next_step.step_id) is None:
            # The flow was edited and the planned step is gone: plan against the new flow.
            state = plan_next_step(state, flow)
            run.states[state.invoice_id] = state
        decision = decide_step(state, flow, debtor, administration, business_date)
        run.attention.extend(decision.attention)
        step = decision.step
        if decision.verdict is Verdict.EXECUTE and step is not None:
            if _bundles(step, decision, flow):
                key = (debtor.id, flow.id, state.invoice.currency)
                bundles.setdefault(key, []).append((state, decision))
            else:
                _execute_alone(run, state, decision, step, flow, debtor)
        elif decision.verdict is Verdict.BLOCKED and state.blocked_by is None:
            run.states[state.invoice_id] = replace(state, blocked_by=decision.block)
        elif decision.verdict is Verdict.DEFERRED and step is not None and decision.defer_to:
            run.states[state.invoice_id] = replace(
                state, next_step=PlannedStep(step.id, decision.defer_to, PlanBasis.SCHEDULE)
            )
        elif decision.verdict is Verdict.PAUSED:
            run.paused.append(state.invoice_id)

    for (debtor_id, flow_id, _currency), members in sorted(bundles.items()):
        _send_bundle(run, flows[flow_id], debtors[debtor_id], members)
    return run.result()


def _bundles(step: Step, decision: StepDecision, flow: Flow) -> bool:
    # Only reminders that reach the debtor are bundled; the invoice itself, call tasks and
    # the move to collection go on their own.
    return (
        flow.bundling.enabled
        and step.is_reminder
        and any(c.reaches_debtor for c in decision.channels)
    )


def _execute_alone(
    run: _Run, state: DunningState, decision: StepDecision, step: Step, flow: Flow, debtor: Debtor
) -> None:
    assert decision.reason is not None
    request_id = None
    if any(c.reaches_debtor for c in decision.channels):
        request = build_message_request(
            administration=run.administration,
            debtor=debtor,
            flow_id=flow.id,
            business_date=run.business_date,
            lines=[invoice_line(state.invoice, step)],
            channels=decision.channels,
            template_key=step.template_key,
            credit_notes=run.credit_notes.get(debtor.id, ()) if step.is_reminder else (),
        )
        if step.is_reminder and _covered(run, request, [(state, decision)]):
            return
        run.messages.append(request)
        request_id = request.id
        if step.is_reminder:
            run.remind(debtor.id, request.currency)
    run.keep(
        execute_step(
            state,
            flow,
            step,
            channels=decision.channels,
            reason=decision.reason,
            business_date=run.business_date,
            message_request_id=request_id,
        )
    )


def _send_bundle(run: _Run, flow: Flow, debtor: Debtor, members: list[_Due]) -> None:
    last = run.last_reminded(debtor, members[0][0].invoice.currency)
    interval = flow.bundling.min_days_between_reminders
    if last is not None and interval > 0:
        earliest = last + timedelta(days=interval)
        if run.business_date < earliest:
            defer_to = flow.calendar.next_sending_day(earliest)
            for state, decision in members:
                assert decision.step is not None
                run.states[state.invoice_id] = replace(
                    state,
                    next_step=PlannedStep(
                        decision.step.id, defer_to, PlanBasis.DEFERRED_FOR_INTERVAL
                    ),
                )
            return

    steps = [d.step for _, d in members if d.step is not None]
    lead = max(steps, key=lambda s: (s.target_phase, s.legally_required))
    wanted = {c for _, d in members for c in d.channels}
    request = build_message_request(
        administration=run.administration,
        debtor=debtor,
        flow_id=flow.id,
        business_date=run.business_date,
        lines=[invoice_line(s.invoice, d.step) for s, d in members if d.step is not None],
        channels=[c for c in CHANNEL_ORDER if c in wanted],
        template_key=lead.template_key,
        credit_notes=run.credit_notes.get(debtor.id, ()),
    )
    if _covered(run, request, members):
        return
    run.messages.append(request)
    run.remind(debtor.id, request.currency)
    for state, decision in members:
        assert decision.step is not None and decision.reason is not None
        # The invoice went out by every channel of the bundle, plus its own call task if any.
        channels = request.channels + tuple(c for c in decision.channels if not c.reaches_debtor)
        run.keep(
            execute_step(
                state,
                flow,
                decision.step,
                channels=channels,
                reason=decision.reason,
                business_date=run.business_date,
                message_request_id=request.id,
            )
        )


def _covered(run: _Run, request: MessageRequest, members: list[_Due]) -> bool:
    """Hold a reminder back when the debtor's open credit notes cover all it would ask for:
    its invoices wait, blocked, until bookkeeping matches the credit notes (which releases
    them, see `debtor_changed`)."""
    if not request.credit_notes or request.amount_due > 0:
        return False
    credit = sum((c.open_amount for c in request.credit_notes), Decimal(0))
    run.attention.append(
        attention.credit_notes_cover_reminder(
            request.recipient.debtor_id,
            tuple(state.invoice_id for state, _ in members),
            request.currency,
            request.total_open_amount,
            credit,
        )
    )
    for state, _ in members:
        run.states[state.invoice_id] = replace(state, blocked_by=BlockReason.UNMATCHED_CREDIT_NOTE)
    return True
