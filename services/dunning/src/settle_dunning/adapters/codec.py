"""Mapping domain values to the JSON stored in rows and back.

Hand-written rather than generic: the daily run decodes and encodes one state per due
invoice, and this is the hot path of the run.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from settle_dunning.domain import (
    KIND_TO_TYPE,
    Administration,
    AdministrationPause,
    BlockReason,
    Bundling,
    Channel,
    Debtor,
    DebtorPause,
    DebtorType,
    DunningState,
    ExecutedStep,
    ExecutionReason,
    Flow,
    FlowSelection,
    Invoice,
    OffsetBasis,
    Phase,
    PlanBasis,
    PlanHold,
    PlannedStep,
    PostalAddress,
    SendingCalendar,
    SkippedStep,
    SkipReason,
    Step,
    StepFailure,
    Tone,
    Weekday,
    fact_version,
)

Json = dict[str, Any]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- dunning state ------------------------------------------------------------------------


def state_to_json(state: DunningState) -> Json:
    """The whole state as a JSON object (the `state` column)."""
    invoice = state.invoice
    planned = state.next_step
    return {
        "invoice": {
            "id": invoice.id,
            "number": invoice.number,
            "debtor_id": invoice.debtor_id,
            "invoice_date": invoice.invoice_date.isoformat(),
            "due_date": invoice.due_date.isoformat(),
            "amount": str(invoice.amount),
            "open_amount": str(invoice.open_amount),
            "currency": invoice.currency,
            "payment_condition": invoice.payment_condition,
        },
        "flow_id": state.flow_id,
        "phase": state.phase.code,
        "executed": [_executed_to_json(e) for e in state.executed],
        "skipped": [
            {
                "step_id": s.step_id,
                "on": s.skipped_on.isoformat(),
                "reason": s.reason.value,
                "cycle": s.cycle,
            }
            for s in state.skipped
        ],
        "next_step": None
        if planned is None
        else {
            "step_id": planned.step_id,
            "on": planned.planned_on.isoformat(),
            "basis": planned.basis.value,
        },
        "cycle": state.cycle,
        "not_before": _iso(state.not_before),
        "on_hold": state.on_hold,
        "settled": state.settled,
        "reopened": state.reopened,
        "blocked_by": state.blocked_by.value if state.blocked_by else None,
        "fact": state.last_fact.sequence if state.last_fact else None,
        "plan_hold": None
        if state.plan_hold is None
        else {"plan_id": state.plan_hold.plan_id, "requested": state.plan_hold.requested},
    }


def _executed_to_json(e: ExecutedStep) -> Json:
    data: Json = {
        "step_id": e.step_id,
        "on": e.executed_on.isoformat(),
        "reason": e.reason.value,
        "channels": [c.value for c in e.channels],
        "phase": e.phase.code,
        "cycle": e.cycle,
        "legal": e.legally_required,
        "request": e.message_request_id,
    }
    # What messaging reported, only when it reported something: most steps never fail.
    if e.failed_channels:
        data["failed_channels"] = [c.value for c in e.failed_channels]
    if e.added_channels:
        data["added_channels"] = [c.value for c in e.added_channels]
    if e.failure is not None:
        data["failure"] = {
            "reason": e.failure.reason,
            "detail": e.failure.detail,
            "on": e.failure.failed_on.isoformat(),
        }
    return data


def _executed_from_json(e: Json) -> ExecutedStep:
    failure = e.get("failure")
    return ExecutedStep(
        step_id=e["step_id"],
        executed_on=date.fromisoformat(e["on"]),
        reason=ExecutionReason(e["reason"]),
        channels=tuple(Channel(c) for c in e["channels"]),
        phase=phase_of(e["phase"]),
        cycle=e["cycle"],
        legally_required=e["legal"],
        message_request_id=e["request"],
        failed_channels=tuple(Channel(c) for c in e.get("failed_channels", ())),
        added_channels=tuple(Channel(c) for c in e.get("added_channels", ())),
        failure=None
        if failure is None
        else StepFailure(failure["reason"], failure["detail"], date.fromisoformat(failure["on"])),
    )


_PHASES: dict[str, Phase] = {}


def phase_of(code: str) -> Phase:
    """The phase of a stored code."""
    # Phases are few; parsing each code once saves a regex per step on the hot path.
    phase = _PHASES.get(code)
    if phase is None:
        phase = _PHASES[code] = Phase.parse(code)
    return phase


def state_from_json(data: Json) -> DunningState:
    """The state stored by `state_to_json`."""
    stored = data["invoice"]
    planned = data["next_step"]
    fact = data["fact"]
    return DunningState(
        invoice=Invoice(
            id=stored["id"],
            number=stored["number"],
            debtor_id=stored["debtor_id"],
            invoice_date=date.fromisoformat(stored["invoice_date"]),
            due_date=date.fromisoformat(stored["due_date"]),
            amount=Decimal(stored["amount"]),
            open_amount=Decimal(stored["open_amount"]),
            currency=stored["currency"],
            payment_condition=stored["payment_condition"],
        ),
        flow_id=data["flow_id"],
        phase=phase_of(data["phase"]),
        executed=tuple(_executed_from_json(e) for e in data["executed"]),
        skipped=tuple(
            SkippedStep(
                s["step_id"], date.fromisoformat(s["on"]), SkipReason(s["reason"]), s["cycle"]
            )
            for s in data["skipped"]
        ),
        next_step=None
        if planned is None
        else PlannedStep(
            planned["step_id"], date.fromisoformat(planned["on"]), PlanBasis(planned["basis"])
        ),
        cycle=data["cycle"],
        not_before=_day(data["not_before"]),
        on_hold=data["on_hold"],
        settled=data["settled"],
        reopened=data["reopened"],
        blocked_by=BlockReason(data["blocked_by"]) if data["blocked_by"] else None,
        last_fact=fact_version(fact) if fact is not None else None,
        # Absent from states stored before payment plans existed.
        plan_hold=PlanHold(hold["plan_id"], hold["requested"])
        if (hold := data.get("plan_hold"))
        else None,
    )


def state_columns(state: DunningState) -> Json:
    """The queried columns of a state row (everything but the keys and timestamps)."""
    return {
        "debtor_id": state.invoice.debtor_id,
        "flow_id": state.flow_id,
        "phase": state.phase.code,
        "next_step_date": state.next_step_date,
        "open_amount": state.invoice.open_amount,
        "currency": state.invoice.currency,
        "settled": state.settled,
        "on_hold": state.on_hold,
        "blocked_by": state.blocked_by.value if state.blocked_by else None,
        "fact_version": state.last_fact.sequence if state.last_fact else 0,
        "state": state_to_json(state),
    }


# --- flows --------------------------------------------------------------------------------


def step_to_json(step: Step) -> Json:
    """One step as the API shows it and the `flows` table stores it."""
    return {
        "id": step.id,
        "offset_days": step.offset_days,
        "offset_from": step.offset_from.value,
        "channels": [c.value for c in step.channels],
        "template_key": step.template_key,
        "target_phase": step.target_phase.code,
        "minimum_open_amount": str(step.minimum_open_amount),
        "legally_required": step.legally_required,
    }


def flow_to_json(flow: Flow) -> Json:
    """A flow as the API shows it and the `flows` table stores it."""
    return {
        "id": flow.id,
        "name": flow.name,
        "steps": [step_to_json(s) for s in flow.steps],
        "selection": {
            "payment_conditions": sorted(flow.selection.payment_conditions),
            "debtor_types": sorted(t.value for t in flow.selection.debtor_types),
        },
        "calendar": {
            "sending_days": sorted(int(d) for d in flow.calendar.sending_days),
            "country": flow.calendar.country,
            "blocked_dates": sorted(d.isoformat() for d in flow.calendar.blocked_dates),
        },
        "bundling": {
            "enabled": flow.bundling.enabled,
            "min_days_between_reminders": flow.bundling.min_days_between_reminders,
        },
    }


def flow_from_json(data: Json) -> Flow:
    """A stored flow (validated when it was saved, so not validated again)."""
    selection, calendar, bundling = data["selection"], data["calendar"], data["bundling"]
    return Flow(
        id=data["id"],
        name=data["name"],
        steps=tuple(
            Step(
                id=s["id"],
                offset_days=s["offset_days"],
                offset_from=OffsetBasis(s["offset_from"]),
                channels=tuple(Channel(c) for c in s["channels"]),
                template_key=s["template_key"],
                target_phase=phase_of(s["target_phase"]),
                minimum_open_amount=Decimal(s["minimum_open_amount"]),
                legally_required=s["legally_required"],
            )
            for s in data["steps"]
        ),
        selection=FlowSelection(
            payment_conditions=frozenset(selection["payment_conditions"]),
            debtor_types=frozenset(DebtorType(t) for t in selection["debtor_types"]),
        ),
        calendar=SendingCalendar(
            sending_days=frozenset(Weekday(d) for d in calendar["sending_days"]),
            country=calendar["country"],
            blocked_dates=frozenset(date.fromisoformat(d) for d in calendar["blocked_dates"]),
        ),
        bundling=Bundling(
            enabled=bundling["enabled"],
            min_days_between_reminders=bundling["min_days_between_reminders"],
        ),
    )


# --- administrations and debtors --------------------------------------------------------


def administration_from_row(row: Any) -> Administration:
    """An `administrations` row as the domain sees it."""
    return Administration(
        id=row.id,
        default_language=row.default_language,
        fallback_language=row.fallback_language,
        tone=Tone(row.tone),
        pause=AdministrationPause(row.pause),
        paused_on=row.paused_on,
        last_run_date=row.last_run_date,
    )


def address_to_json(address: PostalAddress | None) -> Json | None:
    """A postal address as stored in the `debtors.address` column."""
    if address is None:
        return None
    return {
        "street": address.street,
        "postal_code": address.postal_code,
        "city": address.city,
        "country": address.country,
    }


def debtor_from_row(row: Any, *, has_unmatched_credit_note: bool) -> Debtor:
    """A `debtors` row as the domain sees it."""
    address = row.address
    return Debtor(
        id=row.id,
        number=row.number,
        name=row.name,
        debtor_type=KIND_TO_TYPE[row.kind],
        emails=tuple(row.emails),
        phone=row.phone,
        language=row.language,
        address=PostalAddress(**address) if address else None,
        pause=DebtorPause(row.pause),
        last_reminded_on=row.last_reminded_on,
        has_unmatched_credit_note=has_unmatched_credit_note,
        chosen_language=row.chosen_language,
        country=row.country,
    )
