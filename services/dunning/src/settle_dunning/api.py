"""The internal HTTP API the gateway calls: flows, pausing, step control, an invoice's
steps, attention items and the daily run. Every path is scoped by administration id."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from settle_dunning.adapters.codec import flow_to_json
from settle_dunning.application import control, plans
from settle_dunning.application.context import DunningContext
from settle_dunning.application.daily_run import run_day
from settle_dunning.domain import (
    WORKDAYS,
    Administration,
    AdministrationPause,
    DebtorPause,
    DunningState,
    Flow,
    FlowDraft,
    StepDraft,
    validate_flow,
)
from settle_dunning.domain.attention import AttentionItem, AttentionReason, AttentionSubject
from settle_dunning.domain.errors import FieldError, InvalidPlan
from settle_dunning.domain.flows import DEFAULT_MIN_DAYS_BETWEEN_REMINDERS
from settle_dunning.domain.plan_offers import MAX_OFFER_INSTALMENTS, PlanOffer
from settle_dunning.domain.plans import (
    CaseToCover,
    CustomInstalment,
    PaymentPlan,
    PlanKind,
    PlanStatus,
    PlanTerms,
    ProposedBy,
)
from settle_dunning.errors import field_location


def get_context(request: Request) -> DunningContext:
    """The service's use-case context, set up by the wiring."""
    context: DunningContext = request.app.state.dunning
    return context


Ctx = Annotated[DunningContext, Depends(get_context)]

PlanStatusName = Literal["requested", "active", "expired", "completed", "ended", "rejected"]

router = APIRouter(prefix="/internal/v1/administrations/{administration_id}", tags=["dunning"])


# --- models -----------------------------------------------------------------------------


class StepModel(BaseModel):
    """One step of a flow."""

    id: str
    offset_days: int = Field(
        description="days from the due date (negative: before it) or from the previous step"
    )
    offset_from: Literal["due_date", "previous_step"] | str = "due_date"
    channels: list[str] = Field(default_factory=list, description="email, letter, sms, call_task")
    template_key: str = ""
    target_phase: str = Field(description="e.g. reminder_1, final_reminder, ready_for_collection")
    minimum_open_amount: Decimal = Decimal("0.00")
    legally_required: bool = Field(False, description="the consumer's 14-day letter")


class SelectionModel(BaseModel):
    """Which invoices a flow applies to (empty: any)."""

    payment_conditions: list[str] = Field(default_factory=list)
    debtor_types: list[str] = Field(default_factory=list, description="b2b, b2c")


class CalendarModel(BaseModel):
    """On which days steps go out."""

    sending_days: list[int] = Field(
        default_factory=lambda: sorted(int(d) for d in WORKDAYS),
        description="ISO weekdays, 1 = Monday",
    )
    country: str | None = Field("NL", description="whose national holidays are skipped")
    blocked_dates: list[date] = Field(default_factory=list)


class BundlingModel(BaseModel):
    """Whether one debtor's due reminders go out together, and how often at most."""

    enabled: bool = True
    min_days_between_reminders: int = DEFAULT_MIN_DAYS_BETWEEN_REMINDERS


class FlowModel(BaseModel):
    """A dunning flow."""

    id: str
    name: str
    steps: list[StepModel]
    selection: SelectionModel = Field(default_factory=SelectionModel)
    calendar: CalendarModel = Field(default_factory=CalendarModel)
    bundling: BundlingModel = Field(default_factory=BundlingModel)

    def draft(self) -> FlowDraft:
        """The flow as submitted, for the domain to check."""
        return FlowDraft(
            id=self.id,
            name=self.name,
            steps=[
                StepDraft(
                    id=s.id,
                    offset_days=s.offset_days,
                    channels=s.channels,
                    template_key=s.template_key,
                    target_phase=s.target_phase,
                    offset_from=s.offset_from,
                    minimum_open_amount=s.minimum_open_amount,
                    legally_required=s.legally_required,
                )
                for s in self.steps
            ],
            payment_conditions=self.selection.payment_conditions,
            debtor_types=self.selection.debtor_types,
            sending_days=self.calendar.sending_days,
            country=self.calendar.country,
            blocked_dates=self.calendar.blocked_dates,
            bundling_enabled=self.bundling.enabled,
            min_days_between_reminders=self.bundling.min_days_between_reminders,
        )

    @classmethod
    def of(cls, flow: Flow) -> FlowModel:
        """The API form of a flow."""
        return cls.model_validate(flow_to_json(flow))


class FlowProblem(BaseModel):
    """What is wrong with a stored flow, addressed like a refusal of it (a 422)."""

    loc: list[str | int]
    msg: str


class FlowOut(FlowModel):
    """A dunning flow as stored, with what is wrong with it now."""

    problems: list[FlowProblem] = Field(
        default_factory=list,
        description="why the flow would be refused if it were submitted today, e.g. an SMS "
        "step stored before SMS was refused: no SMS provider is configured, so such a step is "
        "held back with an attention item when it falls due. Empty for a sound flow.",
    )

    @classmethod
    def checked(cls, flow: Flow, template_keys: Collection[str]) -> FlowOut:
        """The API form of a stored flow, with its problems."""
        return cls.model_validate(
            {
                **flow_to_json(flow),
                "problems": [
                    {"loc": field_location(error.field), "msg": error.message}
                    for error in validate_flow(flow, template_keys)
                ],
            }
        )


class AdministrationPauseIn(BaseModel):
    mode: Literal["reminders_paused", "fully_paused"]


class DebtorPauseIn(BaseModel):
    mode: Literal["reminders_paused", "fully_paused"]


class RescheduleIn(BaseModel):
    to: date = Field(description="the new date (moved to the next sending day)")


class RunIn(BaseModel):
    business_date: date | None = Field(None, description="default: today's business date")


class RunOut(BaseModel):
    administration_id: str
    business_date: date
    invoices_due: int
    steps_executed: int
    messages_requested: int
    events_published: int
    next_sending_day: date | None = Field(
        None,
        description="set when steps were due but the date is not a sending day: the next one",
    )


class AdministrationOut(BaseModel):
    id: str
    pause: str
    paused_on: date | None
    last_run_date: date | None


class PlannedStepOut(BaseModel):
    step_id: str
    planned_on: date
    basis: str = Field(
        description="schedule, rescheduled, deferred_for_interval, or estimated "
        "for steps after the next one"
    )


class ExecutedStepOut(BaseModel):
    step_id: str
    executed_on: date
    reason: str
    channels: list[str]
    phase: str
    cycle: int
    legally_required: bool
    message_request_id: str | None
    status: Literal["executed", "failed"] = Field(
        description="failed: its message reached the debtor on no channel, so the step does "
        "not count as done"
    )
    failed_on: date | None = Field(None, description="when dunning learnt of the failure")
    failure_reason: str | None = Field(None, description="messaging's reason code")
    failure_detail: str | None = Field(None, description="what went wrong, for a person")


class SkippedStepOut(BaseModel):
    step_id: str
    skipped_on: date
    reason: str
    cycle: int


class InvoiceOut(BaseModel):
    """An invoice's dunning: where it stands, what was done and what comes next."""

    invoice_id: str
    number: str
    debtor_id: str
    flow_id: str
    phase: str
    open_amount: Decimal
    currency: str
    due_date: date
    settled: bool
    on_hold: bool
    blocked_by: str | None = Field(
        description="why the next step waits for more than its date: e.g. email_missing, "
        "online_payment_registered, payment_plan_active, payment_plan_requested"
    )
    payment_plan_id: str | None = Field(None, description="the payment plan holding it")
    cycle: int
    planned: list[PlannedStepOut] = Field(description="the next step first, then the rest")
    executed: list[ExecutedStepOut]
    skipped: list[SkippedStepOut]


class AttentionItemOut(BaseModel):
    id: int
    subject: str
    subject_id: str
    reason: str
    sentence: str
    invoice_ids: list[str]
    raised_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class AttentionPageOut(BaseModel):
    items: list[AttentionItemOut]
    next_after: int | None = Field(description="pass as `after` for the next page")


class ResolveIn(BaseModel):
    subject: AttentionSubject
    subject_id: str = Field(max_length=64)
    reason: AttentionReason = Field(description="the open item's reason, e.g. due_date_assumed")
    note: str | None = Field(None, max_length=1000, description="why, for the item's history")


class DebtorLanguageIn(BaseModel):
    language: str | None = Field(
        description="ISO 639-1 code to write to the debtor in, whatever bookkeeping says; "
        "null gives the say back to bookkeeping (and without a language there, to the "
        "debtor's country)",
        pattern=r"^[a-z]{2}$",
    )


def install(app: FastAPI) -> None:
    """Add the routes to the service's app."""
    app.include_router(router)


# --- administration and runs --------------------------------------------------------------


def _administration_out(administration: Administration) -> AdministrationOut:
    return AdministrationOut(
        id=administration.id,
        pause=administration.pause.value,
        paused_on=administration.paused_on,
        last_run_date=administration.last_run_date,
    )


@router.get("", response_model=AdministrationOut)
async def get_administration(administration_id: str, ctx: Ctx) -> AdministrationOut:
    """The administration's pause state and the date of its last run."""
    return _administration_out(await control.administration_view(ctx, administration_id))


@router.post("/runs", response_model=RunOut)
async def trigger_run(administration_id: str, body: RunIn, ctx: Ctx) -> RunOut:
    """Run the day (idempotent: the same date again executes nothing twice)."""
    business_date = body.business_date or ctx.business_date()
    summary = await run_day(ctx, administration_id, business_date)
    return RunOut(**vars(summary))


@router.post("/pause", status_code=204)
async def pause_administration(
    administration_id: str, body: AdministrationPauseIn, ctx: Ctx
) -> None:
    """Pause the administration's reminders, or everything."""
    await control.pause_administration(ctx, administration_id, AdministrationPause(body.mode))


@router.post("/resume", status_code=204)
async def resume_administration(administration_id: str, ctx: Ctx) -> None:
    """Resume; steps that fell due during the pause are planned from today."""
    await control.resume_administration(ctx, administration_id)


# --- flows --------------------------------------------------------------------------------


@router.get("/flows", response_model=list[FlowOut])
async def list_flows(administration_id: str, ctx: Ctx) -> list[FlowOut]:
    """The administration's flows, in selection order, each with its problems."""
    return [
        FlowOut.checked(f, ctx.template_keys)
        for f in await control.list_flows(ctx, administration_id)
    ]


@router.get("/flows/{flow_id}", response_model=FlowOut)
async def get_flow(administration_id: str, flow_id: str, ctx: Ctx) -> FlowOut:
    """One flow, with its problems."""
    flow = await control.get_flow(ctx, administration_id, flow_id)
    return FlowOut.checked(flow, ctx.template_keys)


@router.post("/flows", response_model=FlowModel, status_code=201)
async def create_flow(administration_id: str, body: FlowModel, ctx: Ctx) -> FlowModel:
    """Add a flow (422 with every problem when it is invalid)."""
    return FlowModel.of(await control.create_flow(ctx, administration_id, body.draft()))


@router.put("/flows/{flow_id}", response_model=FlowModel)
async def replace_flow(
    administration_id: str, flow_id: str, body: FlowModel, ctx: Ctx
) -> FlowModel:
    """Change a flow; open invoices on it follow the new flow from their next step on."""
    if body.id != flow_id:
        return JSONResponse(  # type: ignore[return-value]
            {
                "detail": [
                    {
                        "loc": ["body", "id"],
                        "msg": "must equal the flow id in the path",
                        "type": "invalid_flow",
                    }
                ]
            },
            status_code=422,
        )
    return FlowModel.of(await control.replace_flow(ctx, administration_id, body.draft()))


@router.delete("/flows/{flow_id}", status_code=204)
async def delete_flow(administration_id: str, flow_id: str, ctx: Ctx) -> None:
    """Remove a flow no open invoice runs on."""
    await control.delete_flow(ctx, administration_id, flow_id)


# --- debtors ------------------------------------------------------------------------------


@router.post("/debtors/{debtor_id}/pause", status_code=204)
async def pause_debtor(
    administration_id: str, debtor_id: str, body: DebtorPauseIn, ctx: Ctx
) -> None:
    """Pause one debtor fully or only their reminders."""
    await control.pause_debtor(ctx, administration_id, debtor_id, DebtorPause(body.mode))


@router.post("/debtors/{debtor_id}/resume", status_code=204)
async def resume_debtor(administration_id: str, debtor_id: str, ctx: Ctx) -> None:
    """Lift a debtor's pause."""
    await control.resume_debtor(ctx, administration_id, debtor_id)


@router.put("/debtors/{debtor_id}/language", status_code=204)
async def choose_debtor_language(
    administration_id: str, debtor_id: str, body: DebtorLanguageIn, ctx: Ctx
) -> None:
    """Write to a debtor in a language of the user's choice; no import changes it."""
    await control.choose_debtor_language(ctx, administration_id, debtor_id, body.language)


# --- invoices -----------------------------------------------------------------------------


def _planned(state: DunningState, flow: Flow) -> list[PlannedStepOut]:
    planned = state.next_step
    if planned is None:
        return []
    out = [
        PlannedStepOut(
            step_id=planned.step_id, planned_on=planned.planned_on, basis=planned.basis.value
        )
    ]
    index = flow.index_of(planned.step_id)
    if index is None:
        return out
    day = planned.planned_on
    nominal = flow.nominal_offsets
    for i in range(index + 1, len(flow.steps)):
        day = flow.calendar.next_sending_day(day + timedelta(days=nominal[i] - nominal[i - 1]))
        out.append(PlannedStepOut(step_id=flow.steps[i].id, planned_on=day, basis="estimated"))
    return out


async def _invoice_out(ctx: DunningContext, administration_id: str, invoice_id: str) -> InvoiceOut:
    view = await control.invoice_view(ctx, administration_id, invoice_id)
    state, invoice = view.state, view.state.invoice
    return InvoiceOut(
        invoice_id=invoice.id,
        number=invoice.number,
        debtor_id=invoice.debtor_id,
        flow_id=state.flow_id,
        phase=state.phase.code,
        open_amount=invoice.open_amount,
        currency=invoice.currency,
        due_date=invoice.due_date,
        settled=state.settled,
        on_hold=state.on_hold,
        blocked_by=state.waits_for,
        payment_plan_id=state.plan_hold.plan_id if state.plan_hold else None,
        cycle=state.cycle,
        planned=_planned(state, view.flow),
        executed=[
            ExecutedStepOut(
                step_id=step.step_id,
                executed_on=step.executed_on,
                reason=step.reason.value,
                channels=[c.value for c in step.channels],
                phase=step.phase.code,
                cycle=step.cycle,
                legally_required=step.legally_required,
                message_request_id=step.message_request_id,
                status="failed" if step.failure else "executed",
                failed_on=step.failure.failed_on if step.failure else None,
                failure_reason=step.failure.reason if step.failure else None,
                failure_detail=step.failure.detail if step.failure else None,
            )
            for step in view.executed
        ],
        skipped=[
            SkippedStepOut(
                step_id=s.step_id, skipped_on=s.skipped_on, reason=s.reason.value, cycle=s.cycle
            )
            for s in state.skipped
        ],
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut)
async def get_invoice(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """An invoice's phase, planned steps and executed steps."""
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/pause", response_model=InvoiceOut)
async def pause_invoice(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """Put the invoice on hold (409 when it is settled)."""
    await control.pause_invoice(ctx, administration_id, invoice_id)
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/resume", response_model=InvoiceOut)
async def resume_invoice(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """Take the invoice off hold; its next step is planned from today at the earliest."""
    await control.resume_invoice(ctx, administration_id, invoice_id)
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/steps/skip", response_model=InvoiceOut)
async def skip_step(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """Pass over the next step (never the consumer's 14-day letter)."""
    await control.skip_invoice_step(ctx, administration_id, invoice_id)
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/steps/reschedule", response_model=InvoiceOut)
async def reschedule_step(
    administration_id: str, invoice_id: str, body: RescheduleIn, ctx: Ctx
) -> InvoiceOut:
    """Move the next step to a date (not in the past)."""
    await control.reschedule_invoice_step(ctx, administration_id, invoice_id, body.to)
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/steps/perform-now", response_model=InvoiceOut)
async def perform_step_now(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """Execute the next step today."""
    await control.perform_invoice_step_now(ctx, administration_id, invoice_id)
    return await _invoice_out(ctx, administration_id, invoice_id)


@router.post("/invoices/{invoice_id}/flow/reset", response_model=InvoiceOut)
async def reset_flow(administration_id: str, invoice_id: str, ctx: Ctx) -> InvoiceOut:
    """Start the flow again from its first step, no earlier than today."""
    await control.reset_invoice_flow(ctx, administration_id, invoice_id)
    return await _invoice_out(ctx, administration_id, invoice_id)


# --- attention ----------------------------------------------------------------------------


@router.get("/attention", response_model=AttentionPageOut)
async def list_attention(
    administration_id: str,
    ctx: Ctx,
    status: Annotated[Literal["open", "all"], Query()] = "open",
    after: Annotated[int | None, Query(description="id of the last item seen")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AttentionPageOut:
    """Attention items, newest first, a keyset page at a time."""
    found = await control.attention_page(
        ctx, administration_id, open_only=status == "open", after=after, limit=limit
    )
    items = [_attention_out(item) for item in found]
    return AttentionPageOut(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.post("/attention/resolve", response_model=AttentionItemOut)
async def resolve_attention(administration_id: str, body: ResolveIn, ctx: Ctx) -> AttentionItemOut:
    """Resolve the open item of a subject and reason that waits for a person (an assumed due
    date, a possible bookkeeping error, a call to make); the others resolve when their cause
    goes (409); 404 when no such item is open."""
    item = await control.resolve_attention(
        ctx, administration_id, body.subject, body.subject_id, body.reason, body.note
    )
    return _attention_out(item)


def _attention_out(item: AttentionItem) -> AttentionItemOut:
    assert item.id is not None
    return AttentionItemOut(
        id=item.id,
        subject=item.subject.value,
        subject_id=item.subject_id,
        reason=item.reason.value,
        sentence=item.sentence,
        invoice_ids=list(item.invoice_ids),
        raised_at=item.raised_at,
        resolved_at=item.resolved_at,
        resolution=item.resolution,
    )


# --- payment plans ------------------------------------------------------------------------


class CustomInstalmentIn(BaseModel):
    due_on: date
    amount: Decimal


class PlanTermsIn(BaseModel):
    """How the schedule is made (see docs/dunning.md, "Payment plans")."""

    kind: Literal[
        "delayed",
        "weekly",
        "monthly",
        "fixed_amount_weekly",
        "fixed_amount_monthly",
        "custom",
    ]
    first_date: date | None = Field(
        None, description="the first instalment's date (delayed: the one date); not for custom"
    )
    instalments: int | None = Field(None, description="weekly and monthly: how many")
    instalment_amount: Decimal | None = Field(
        None, description="fixed-amount kinds: the amount of each instalment but the last"
    )
    payment_day: int | None = Field(
        None, description="monthly kinds: the day of the month of the instalments after the first"
    )
    custom: list[CustomInstalmentIn] = Field(
        default_factory=list, description="custom: each instalment's date and amount"
    )

    def terms(self) -> PlanTerms:
        kind = PlanKind(self.kind)
        first = self.first_date
        if kind is PlanKind.CUSTOM:
            first = self.custom[0].due_on if self.custom else None
        if first is None:
            raise InvalidPlan([FieldError("first_date", "the first instalment's date is needed")])
        return PlanTerms(
            kind=kind,
            first_date=first,
            instalments=self.instalments,
            instalment_amount=self.instalment_amount,
            payment_day=self.payment_day,
            custom=tuple(CustomInstalment(c.due_on, c.amount) for c in self.custom),
        )


class CaseToCoverIn(BaseModel):
    """A collection case as collection reports it today (the gateway reads it from collection
    when a person names the case in a plan)."""

    case_id: str = Field(max_length=64)
    debtor_id: str = Field(max_length=64)
    currency: str = Field(min_length=3, max_length=3)
    status: str = Field(description="proposed, open, closed or declined")
    step: str = Field(description="the case's step (pre_court, with_bailiff: the partner has it)")
    invoice_ids: list[str] = Field(max_length=500)
    balance: Decimal = Field(description="principal, costs and interest open today")

    def case(self) -> CaseToCover:
        return CaseToCover(
            case_id=self.case_id,
            debtor_id=self.debtor_id,
            currency=self.currency,
            status=self.status,
            step=self.step,
            invoice_ids=tuple(self.invoice_ids),
            balance=self.balance,
        )


class PlanIn(PlanTermsIn):
    """A plan a person creates: it starts at once. At least one invoice or case."""

    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    cases: list[CaseToCoverIn] = Field(
        default_factory=list, max_length=50, description="collection cases the plan covers"
    )


class ProposalIn(PlanTermsIn):
    """A plan a debtor proposes in the portal: it waits for a person, unless it is within the
    administration's offer for its amount (then it starts at once)."""

    debtor_id: str = Field(description="the debtor the portal link was signed for")
    invoice_ids: list[str] = Field(min_length=1, max_length=500)
    reason: str | None = Field(None, max_length=1000)


class ApproveIn(BaseModel):
    terms: PlanTermsIn | None = Field(None, description="other terms than proposed (a change)")


class InstalmentOut(BaseModel):
    number: int
    due_on: date
    amount: Decimal
    paid_amount: Decimal
    status: Literal["open", "paid", "missed"]


class PlanCaseOut(BaseModel):
    case_id: str
    invoice_ids: list[str]
    covered_amount: Decimal = Field(description="the case's balance when the plan was made")
    open_amount: Decimal = Field(description="what of it collection reports still open")


class PlanOut(BaseModel):
    """A payment plan as it stands."""

    plan_id: str
    version: int
    debtor_id: str
    invoice_ids: list[str]
    cases: list[PlanCaseOut] = Field(description="the collection cases the plan covers")
    status: str = Field(description="requested, active, expired, completed, ended or rejected")
    kind: str
    proposed_by: str
    reason: str | None
    currency: str
    covered_amount: Decimal
    paid_amount: Decimal
    left_amount: Decimal
    instalments: list[InstalmentOut]
    payment_in_flight: bool = Field(description="a payment of an instalment is being made")
    created_on: date
    started_on: date | None
    ended_on: date | None

    @classmethod
    def of(cls, plan: PaymentPlan) -> PlanOut:
        return cls(
            plan_id=plan.id,
            version=plan.version,
            debtor_id=plan.debtor_id,
            invoice_ids=list(plan.invoice_ids),
            cases=[
                PlanCaseOut(
                    case_id=c.case_id,
                    invoice_ids=list(c.invoice_ids),
                    covered_amount=c.covered,
                    open_amount=c.open,
                )
                for c in plan.cases
            ],
            status=plan.status.value,
            kind=plan.terms.kind.value,
            proposed_by=plan.proposed_by.value,
            reason=plan.reason,
            currency=plan.currency,
            covered_amount=plan.covered,
            paid_amount=plan.paid_toward_schedule,
            left_amount=plan.left,
            instalments=[
                InstalmentOut(
                    number=p.instalment.number,
                    due_on=p.instalment.due_on,
                    amount=p.instalment.amount,
                    paid_amount=p.paid_amount,
                    status=p.status,
                )
                for p in plan.progress()
            ],
            payment_in_flight=bool(plan.in_flight),
            created_on=plan.created_on,
            started_on=plan.started_on,
            ended_on=plan.ended_on,
        )


class PlanListOut(BaseModel):
    items: list[PlanOut] = Field(description="newest first, at most 100")


PLAN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "an unknown administration, invoice or plan"},
    409: {
        "description": "the plan cannot do this now, or cannot cover these invoices or cases "
        "(another debtor's, settled, in collection, a case not open or with the partner, "
        "already in a plan, a payment in flight); `detail` says why"
    },
    422: {"description": "the terms break a rule; `detail` lists every problem by field"},
}


@router.post("/plans", response_model=PlanOut, status_code=201, responses=PLAN_ERRORS)
async def create_plan(administration_id: str, body: PlanIn, ctx: Ctx) -> PlanOut:
    """Start a payment plan: the invoices' reminders wait and the debtor gets the schedule."""
    request = plans.PlanRequest(
        invoice_ids=tuple(body.invoice_ids),
        terms=body.terms(),
        cases=tuple(c.case() for c in body.cases),
    )
    return PlanOut.of(await plans.create_plan(ctx, administration_id, request))


@router.post("/plans/proposals", response_model=PlanOut, status_code=201, responses=PLAN_ERRORS)
async def propose_plan(administration_id: str, body: ProposalIn, ctx: Ctx) -> PlanOut:
    """Register a debtor's proposal: the invoices wait, with "payment plan requested"."""
    request = plans.PlanRequest(
        invoice_ids=tuple(body.invoice_ids),
        terms=body.terms(),
        proposed_by=ProposedBy.DEBTOR,
        reason=body.reason,
        debtor_id=body.debtor_id,
    )
    return PlanOut.of(await plans.create_plan(ctx, administration_id, request))


@router.get("/plans", response_model=PlanListOut)
async def list_plans(
    administration_id: str,
    ctx: Ctx,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
    status: Annotated[list[PlanStatusName] | None, Query()] = None,
) -> PlanListOut:
    """Plans of a debtor and/or an invoice and/or in the given statuses, newest first."""
    found = await plans.list_plans(
        ctx,
        administration_id,
        debtor_id=debtor_id,
        invoice_id=invoice_id,
        statuses=[PlanStatus(s) for s in status or []],
    )
    return PlanListOut(items=[PlanOut.of(p) for p in found])


@router.get("/plans/{plan_id}", response_model=PlanOut, responses=PLAN_ERRORS)
async def get_plan(administration_id: str, plan_id: str, ctx: Ctx) -> PlanOut:
    """One plan with its instalments and what of each is paid."""
    return PlanOut.of(await plans.get_plan(ctx, administration_id, plan_id))


@router.put("/plans/{plan_id}", response_model=PlanOut, responses=PLAN_ERRORS)
async def edit_plan(administration_id: str, plan_id: str, body: PlanTermsIn, ctx: Ctx) -> PlanOut:
    """A new schedule for what is left of the same invoices (an active or expired plan)."""
    return PlanOut.of(await plans.edit(ctx, administration_id, plan_id, body.terms()))


@router.post("/plans/{plan_id}/approve", response_model=PlanOut, responses=PLAN_ERRORS)
async def approve_plan(
    administration_id: str, plan_id: str, ctx: Ctx, body: ApproveIn | None = None
) -> PlanOut:
    """Approve a debtor's proposal, as proposed or with other terms: the plan starts."""
    terms = body.terms.terms() if body is not None and body.terms is not None else None
    return PlanOut.of(await plans.approve(ctx, administration_id, plan_id, terms))


@router.post("/plans/{plan_id}/reject", response_model=PlanOut, responses=PLAN_ERRORS)
async def reject_plan(administration_id: str, plan_id: str, ctx: Ctx) -> PlanOut:
    """Decline a debtor's proposal: reminders resume from today and the debtor is told."""
    return PlanOut.of(await plans.reject(ctx, administration_id, plan_id))


@router.post("/plans/{plan_id}/end", response_model=PlanOut, responses=PLAN_ERRORS)
async def end_plan(administration_id: str, plan_id: str, ctx: Ctx) -> PlanOut:
    """End a plan: each invoice's flow resumes from today, one step at a time."""
    return PlanOut.of(await plans.end(ctx, administration_id, plan_id))


# --- plan offers --------------------------------------------------------------------------


class PlanOfferModel(BaseModel):
    """Up to `max_instalments` monthly instalments, the first within
    `first_payment_within_days` days, for a debtor whose open amount is in the range."""

    min_open_amount: Decimal = Field(description="the range's lowest open amount (included)")
    max_open_amount: Decimal = Field(description="the range's highest open amount (included)")
    max_instalments: int = Field(description=f"1 to {MAX_OFFER_INSTALMENTS} monthly instalments")
    first_payment_within_days: int = Field(
        30, description="how many days ahead the first instalment may fall at most"
    )

    def offer(self) -> PlanOffer:
        return PlanOffer(
            min_open_amount=self.min_open_amount,
            max_open_amount=self.max_open_amount,
            max_instalments=self.max_instalments,
            first_payment_within_days=self.first_payment_within_days,
        )

    @classmethod
    def of(cls, offer: PlanOffer) -> PlanOfferModel:
        return cls(
            min_open_amount=offer.min_open_amount,
            max_open_amount=offer.max_open_amount,
            max_instalments=offer.max_instalments,
            first_payment_within_days=offer.first_payment_within_days,
        )


class PlanOffersModel(BaseModel):
    """The plan offers of an administration; a debtor's proposal within the offer for its
    amount starts without approval."""

    offers: list[PlanOfferModel] = Field(max_length=100, description="ranges may not overlap")


OFFER_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "an unknown administration"},
    422: {"description": "the offers break a rule; `detail` lists every problem by field"},
}


@router.get("/plan-offers", response_model=PlanOffersModel, responses=OFFER_ERRORS)
async def plan_offers(administration_id: str, ctx: Ctx) -> PlanOffersModel:
    """The administration's plan offers, ordered by their ranges."""
    offers = await plans.get_offers(ctx, administration_id)
    return PlanOffersModel(offers=[PlanOfferModel.of(o) for o in offers])


@router.put("/plan-offers", response_model=PlanOffersModel, responses=OFFER_ERRORS)
async def replace_plan_offers(
    administration_id: str, body: PlanOffersModel, ctx: Ctx
) -> PlanOffersModel:
    """Replace the administration's plan offers (an empty list: none)."""
    offers = await plans.replace_offers(ctx, administration_id, [o.offer() for o in body.offers])
    return PlanOffersModel(offers=[PlanOfferModel.of(o) for o in offers])
