"""The collection service's internal HTTP API, for the gateway (with the shared service token):
cases under /internal/v1/administrations/{administration_id}/cases, the administration's
collection settings, the registry of partners, and the statutory rate table."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from settle_collection.application import cases as commands
from settle_collection.application.context import CollectionContext
from settle_collection.application.handoffs import forward_by_hand
from settle_collection.application.queries import (
    CaseView,
    administration_settings,
    case_view,
    rate_table,
    save_administration_settings,
    search_cases,
)
from settle_collection.domain.balances import Balance
from settle_collection.domain.cases import Case, Outcome, Status, Step
from settle_collection.domain.parties import (
    Address,
    AdministrationSettings,
    BusinessCosts,
    Creditor,
    Forwarding,
    Opening,
)
from settle_law.allocation import AllocationOrder, Part

PREFIX = "/internal/v1/administrations/{administration_id}"
MAX_PAGE = 200


def get_context(request: Request) -> CollectionContext:
    ctx: CollectionContext = request.app.state.collection
    return ctx


ContextDep = Annotated[CollectionContext, Depends(get_context)]
router = APIRouter(prefix=PREFIX, tags=["collection"])
rates_router = APIRouter(prefix="/internal/v1", tags=["collection"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case in this administration"}
}
REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"description": "the case is not in a state that allows it (the detail says why)"},
    422: {"description": "refused: more remitted than is open, an invalid case, …"},
}


# --- shapes ---------------------------------------------------------------------------------


class BalanceOut(BaseModel):
    as_of: date
    currency: str
    principal: Decimal = Field(description="the principal claimed")
    principal_open: Decimal
    costs_charged: Decimal = Field(description="with VAT")
    costs_vat_charged: Decimal
    costs_remitted: Decimal
    costs_open: Decimal = Field(description="with VAT")
    interest_claimed: bool
    interest_accrued: Decimal = Field(description="by law since it started, charged or not")
    interest_remitted: Decimal
    interest_open: Decimal
    paid: Decimal
    surplus: Decimal = Field(description="paid beyond everything owed")
    total: Decimal = Field(description="everything open: principal, costs and interest")
    rates_confirmed: bool = Field(
        description="false when a period used a rate not confirmed from an official publication"
    )


class InterestPeriodOut(BaseModel):
    start: date
    end: date = Field(description="the first day after the period")
    days: int
    year_days: int = Field(description="the length of the interest year (365 or 366)")
    rate: Decimal = Field(description="percent per year")
    base: Decimal
    amount: Decimal
    confirmed: bool
    source: str


class InvoiceOut(BaseModel):
    invoice_id: str
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    principal: Decimal
    principal_open: Decimal
    interest_from: date | None
    interest_accrued: Decimal
    interest_open: Decimal
    interest_periods: list[InterestPeriodOut]
    interest_problem: str | None
    pdf_url: str | None
    legal_letter_sent_on: date | None


class PaymentOut(BaseModel):
    payment_id: str
    on: date
    source: str
    amount: Decimal
    order: AllocationOrder
    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal
    reversed: Decimal


class TimelineOut(BaseModel):
    at: date
    kind: Literal["case", "message"]
    channel: str | None
    direction: str | None
    subject: str | None
    state: str | None
    legally_required: bool
    detail: str | None
    message_id: str | None


class LetterOut(BaseModel):
    """Proof of the consumer's 14-day letter."""

    sent_on: date
    received_on: date
    term_ends_on: date
    costs_from: date
    channels: list[str]
    message_ids: list[str]


class CostsOut(BaseModel):
    """What the case may charge in costs, and from when."""

    basis: str = Field(description="wik (the scale) or contractual")
    principal: Decimal
    amount: Decimal
    vat: Decimal
    total: Decimal
    charged: Decimal = Field(description="charged so far, without VAT")
    allowed_from: date | None = Field(description="a consumer: the day after the 14-day term")
    problem: str | None = Field(description="why no costs may be charged, when that is so")


class HandoffOut(BaseModel):
    handoff_id: str
    partner_id: str
    created_at: datetime
    email_to: str | None
    emailed_at: datetime | None
    attempts: int
    last_error: str | None


class CaseSummaryOut(BaseModel):
    case_id: str
    debtor_id: str
    status: Status
    step: Step
    step_on: date
    paused: bool
    payment_plan_id: str | None = Field(
        None, description="the payment plan pausing the case (payment plan active)"
    )
    consumer: bool
    currency: str
    invoice_ids: list[str]
    opened_on: date | None
    closed_on: date | None
    outcome: Outcome | None
    partner_id: str | None
    partner_status: str | None
    balance: BalanceOut


class CaseOut(CaseSummaryOut):
    debtor_name: str
    interest_kind: Literal["consumer", "commercial"]
    invoices: list[InvoiceOut]
    costs: CostsOut
    payments: list[PaymentOut]
    fourteen_day_letter: LetterOut | None
    timeline: list[TimelineOut]
    handoffs: list[HandoffOut]


class CasePage(BaseModel):
    items: list[CaseSummaryOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


def balance_out(balance: Balance) -> BalanceOut:
    return BalanceOut(
        as_of=balance.as_of,
        currency=balance.currency,
        principal=balance.principal,
        principal_open=balance.principal_open,
        costs_charged=balance.costs_charged,
        costs_vat_charged=balance.costs_vat_charged,
        costs_remitted=balance.costs_remitted,
        costs_open=balance.costs_open,
        interest_claimed=balance.interest_claimed,
        interest_accrued=balance.interest_accrued,
        interest_remitted=balance.interest_remitted,
        interest_open=balance.interest_open,
        paid=balance.paid,
        surplus=balance.surplus,
        total=balance.total,
        rates_confirmed=balance.rates_confirmed,
    )


def summary_out(case: Case, balance: Balance) -> CaseSummaryOut:
    return CaseSummaryOut(
        case_id=case.case_id,
        debtor_id=case.debtor_id,
        status=case.status,
        step=case.step,
        step_on=case.step_on,
        paused=case.paused,
        payment_plan_id=case.plan_id,
        consumer=case.consumer,
        currency=case.currency,
        invoice_ids=case.invoice_ids,
        opened_on=case.opened_on,
        closed_on=case.closed_on,
        outcome=case.outcome,
        partner_id=case.partner_id,
        partner_status=case.partner_status,
        balance=balance_out(balance),
    )


def case_out(view: CaseView) -> CaseOut:
    case, balance = view.case, view.balance
    by_invoice = {i.invoice_id: i for i in balance.invoices}
    return CaseOut(
        **summary_out(case, balance).model_dump(),
        debtor_name=view.debtor.name,
        interest_kind=view.interest_kind.value,
        invoices=[
            InvoiceOut(
                invoice_id=i.invoice_id,
                number=i.number,
                invoice_date=i.invoice_date,
                due_date=i.due_date,
                amount=i.amount,
                principal=i.principal,
                principal_open=by_invoice[i.invoice_id].principal_open,
                interest_from=by_invoice[i.invoice_id].interest_from,
                interest_accrued=by_invoice[i.invoice_id].interest_accrued,
                interest_open=by_invoice[i.invoice_id].interest_open,
                interest_periods=[
                    InterestPeriodOut(
                        start=p.start,
                        end=p.end,
                        days=p.days,
                        year_days=p.year_days,
                        rate=p.rate,
                        base=p.base.quantize(Decimal("0.01")),
                        amount=p.amount.quantize(Decimal("0.01")),
                        confirmed=p.confirmed,
                        source=p.source,
                    )
                    for p in by_invoice[i.invoice_id].periods
                ],
                interest_problem=by_invoice[i.invoice_id].problem,
                pdf_url=i.pdf_url,
                legal_letter_sent_on=i.legal_letter_sent_on,
            )
            for i in case.invoices
        ],
        costs=CostsOut(
            basis=view.costs.basis,
            principal=view.costs.principal,
            amount=view.costs.amount,
            vat=view.costs.vat,
            total=view.costs.total,
            charged=case.costs_charged,
            allowed_from=view.costs_allowed_from,
            problem=view.costs_problem,
        ),
        payments=[
            PaymentOut(
                payment_id=p.payment_id,
                on=p.on,
                source=p.source.value,
                amount=p.amount,
                order=p.order,
                costs=p.costs,
                interest=p.interest,
                principal=p.principal,
                surplus=p.surplus,
                reversed=p.reversed,
            )
            for p in balance.payments
        ],
        fourteen_day_letter=LetterOut(
            sent_on=view.letter.sent_on,
            received_on=view.letter.received_on,
            term_ends_on=view.letter.term_ends_on,
            costs_from=view.letter.costs_from,
            channels=list(view.letter.channels),
            message_ids=list(view.letter.message_ids),
        )
        if view.letter
        else None,
        timeline=[TimelineOut(**vars(entry)) for entry in view.timeline],
        handoffs=[
            HandoffOut(
                handoff_id=h.handoff_id,
                partner_id=h.partner_id,
                created_at=h.created_at,
                email_to=h.email_to,
                emailed_at=h.emailed_at,
                attempts=h.attempts,
                last_error=h.last_error,
            )
            for h in view.handoffs
        ],
    )


# --- requests -------------------------------------------------------------------------------


class OpenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=500, description="ready invoices of one debtor"
    )


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


class OptionalReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=1000)


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Step | None = Field(None, description="an own step after the current one; default the next")


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: Literal["costs", "interest"]
    amount: Decimal | None = Field(
        None, gt=0, max_digits=14, decimal_places=2, description="costs only: less than all"
    )
    reason: str | None = Field(None, max_length=1000)


class RemitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    part: Literal["costs", "interest"]
    amount: Decimal | None = Field(
        None,
        gt=0,
        max_digits=14,
        decimal_places=2,
        description="what to remit; none: everything open (for interest: and what would follow)",
    )
    reason: str = Field(min_length=1, max_length=1000)


class PaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=2)
    received_on: date | None = Field(None, description="default: today")
    order: AllocationOrder | None = Field(
        None, description="default: costs, interest, principal (art. 6:44 BW)"
    )
    reference: str | None = Field(None, max_length=200)


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order: AllocationOrder


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["withdrawn", "uncollectable"]
    reason: str = Field(min_length=1, max_length=1000)


class PaymentCreated(BaseModel):
    payment_id: str


class CaseCreated(BaseModel):
    case_id: str


class AddressModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[str] = Field(default_factory=list, max_length=4)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")


class CreditorModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=50)
    address: AddressModel | None = None
    iban: str | None = Field(None, max_length=50)
    chamber_of_commerce: str | None = Field(None, max_length=50)


class SettingsModel(BaseModel):
    """An administration's collection settings."""

    model_config = ConfigDict(extra="forbid")

    opening: Opening = Field(
        Opening.APPROVAL, description="automatic: a case opens when invoices are ready"
    )
    costs_vat: bool = Field(
        False, description="the administration cannot deduct VAT: VAT is charged on the costs"
    )
    business_costs: BusinessCosts = Field(
        BusinessCosts.WIK, description="what businesses are charged: the WIK scale or contractual"
    )
    contractual_rate: Decimal | None = Field(
        None, gt=0, le=1, description="contractual costs: a fraction of the principal (0.15)"
    )
    contractual_minimum: Decimal = Field(Decimal("0.00"), ge=0)
    close_when_principal_paid: bool = Field(
        False, description="close a case when its principal is paid, remitting the rest"
    )
    partner_id: str | None = Field(
        None, description="a partner of the registry (GET …/collection/partners), or own_partner"
    )
    partner_email: str | None = Field(
        None, max_length=320, description="own partner: where the dossier goes"
    )
    forwarding: Forwarding = Field(
        Forwarding.APPROVAL, description="automatic: a case at ready for bailiff goes by itself"
    )
    step_days: int = Field(14, ge=1, le=365, description="days between a case's own steps")
    letter_delivery_days: int = Field(
        2, ge=0, le=14, description="days after sending a 14-day letter counts as received"
    )
    creditor: CreditorModel = Field(default_factory=CreditorModel)


def settings_model(settings: AdministrationSettings) -> SettingsModel:
    creditor = settings.creditor
    return SettingsModel(
        opening=settings.opening,
        costs_vat=settings.costs_vat,
        business_costs=settings.business_costs,
        contractual_rate=settings.contractual_rate,
        contractual_minimum=settings.contractual_minimum,
        close_when_principal_paid=settings.close_when_principal_paid,
        partner_id=settings.partner_id,
        partner_email=settings.partner_email,
        forwarding=settings.forwarding,
        step_days=settings.step_days,
        letter_delivery_days=settings.letter_delivery_days,
        creditor=CreditorModel(
            name=creditor.name,
            email=creditor.email,
            phone=creditor.phone,
            address=AddressModel(
                lines=list(creditor.address.lines),
                postal_code=creditor.address.postal_code,
                city=creditor.address.city,
                country=creditor.address.country,
            )
            if creditor.address
            else None,
            iban=creditor.iban,
            chamber_of_commerce=creditor.chamber_of_commerce,
        ),
    )


def settings_of(model: SettingsModel) -> AdministrationSettings:
    creditor = model.creditor
    return AdministrationSettings(
        opening=model.opening,
        costs_vat=model.costs_vat,
        business_costs=model.business_costs,
        contractual_rate=model.contractual_rate,
        contractual_minimum=model.contractual_minimum,
        close_when_principal_paid=model.close_when_principal_paid,
        partner_id=model.partner_id,
        partner_email=model.partner_email,
        forwarding=model.forwarding,
        step_days=model.step_days,
        letter_delivery_days=model.letter_delivery_days,
        creditor=Creditor(
            name=creditor.name,
            email=creditor.email,
            phone=creditor.phone,
            address=Address(
                tuple(creditor.address.lines),
                creditor.address.postal_code,
                creditor.address.city,
                creditor.address.country,
            )
            if creditor.address
            else None,
            iban=creditor.iban,
            chamber_of_commerce=creditor.chamber_of_commerce,
        ),
    )


class PartnerOut(BaseModel):
    partner_id: str
    name: str
    website: str
    logo_url: str
    description: str
    accepts_business: bool
    accepts_consumer: bool
    countries: list[str]
    minimum_principal: Decimal


class RateOut(BaseModel):
    kind: Literal["consumer", "commercial"]
    valid_from: date
    valid_until: date | None
    rate_percent: Decimal
    confirmed: bool
    source: str


# --- routes ---------------------------------------------------------------------------------


async def _case(ctx: CollectionContext, administration_id: str, case_id: str) -> CaseOut:
    return case_out(await case_view(ctx, administration_id, case_id))


@router.get("/cases", response_model=CasePage)
async def list_cases(
    administration_id: str,
    ctx: ContextDep,
    status: Status | None = None,
    step: Step | None = None,
    debtor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    cursor: str | None = None,
) -> CasePage:
    """Cases by id, with their balance today (keyset-paged)."""
    found = await search_cases(
        ctx,
        administration_id,
        status=status,
        step=step,
        debtor_id=debtor_id,
        after=cursor,
        limit=limit,
    )
    return CasePage(
        items=[summary_out(case, balance) for case, balance in found],
        next_cursor=found[-1][0].case_id if len(found) == limit else None,
    )


@router.post("/cases", status_code=201, response_model=CaseCreated, responses=REFUSED)
async def open_case(administration_id: str, body: OpenIn, ctx: ContextDep) -> CaseCreated:
    """Open a case by hand for ready invoices of one debtor."""
    return CaseCreated(case_id=await commands.open_case(ctx, administration_id, body.invoice_ids))


@router.get("/cases/{case_id}", response_model=CaseOut, responses=NOT_FOUND)
async def one_case(
    administration_id: str, case_id: str, ctx: ContextDep, as_of: date | None = None
) -> CaseOut:
    """A case with its balances as of a date (default: today's business date), each
    invoice's interest periods, each payment's allocation, the 14-day letter and the timeline."""
    return case_out(await case_view(ctx, administration_id, case_id, as_of))


@router.post("/cases/{case_id}/approve", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def approve(administration_id: str, case_id: str, ctx: ContextDep) -> CaseOut:
    """Open a proposed case."""
    await commands.approve_case(ctx, administration_id, case_id)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/decline", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def decline(administration_id: str, case_id: str, body: ReasonIn, ctx: ContextDep) -> CaseOut:
    """Decline a proposed case: its invoices stay with dunning."""
    await commands.decline_case(ctx, administration_id, case_id, body.reason)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/pause", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def pause(
    administration_id: str, case_id: str, body: OptionalReasonIn, ctx: ContextDep
) -> CaseOut:
    """Pause a case: no step is taken until it is resumed."""
    await commands.pause_case(ctx, administration_id, case_id, body.reason)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/resume", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def resume(administration_id: str, case_id: str, ctx: ContextDep) -> CaseOut:
    """Resume a paused case; its step counts its days again from today."""
    await commands.resume_case(ctx, administration_id, case_id)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/step", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def step(administration_id: str, case_id: str, body: StepIn, ctx: ContextDep) -> CaseOut:
    """Take the case's next step now (or a later own step), with its message."""
    await commands.step_case(ctx, administration_id, case_id, body.to)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/charges", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def charge(administration_id: str, case_id: str, body: ChargeIn, ctx: ContextDep) -> CaseOut:
    """Charge collection costs (all the case may, or `amount`) or claim statutory interest."""
    await commands.charge(
        ctx, administration_id, case_id, Part(body.part), body.amount, body.reason
    )
    return await _case(ctx, administration_id, case_id)


@router.post(
    "/cases/{case_id}/remissions", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED}
)
async def remit(administration_id: str, case_id: str, body: RemitIn, ctx: ContextDep) -> CaseOut:
    """Remit costs or interest, wholly or in part, with a reason on the timeline."""
    await commands.remit(ctx, administration_id, case_id, Part(body.part), body.amount, body.reason)
    return await _case(ctx, administration_id, case_id)


@router.post(
    "/cases/{case_id}/payments",
    status_code=201,
    response_model=PaymentCreated,
    responses={**NOT_FOUND, **REFUSED},
)
async def register_payment(
    administration_id: str, case_id: str, body: PaymentIn, ctx: ContextDep
) -> PaymentCreated:
    """Register money received outside bookkeeping; allocated by art. 6:44 BW unless an
    order is given. The import that books it later is recognised as the same money."""
    payment_id = await commands.register_payment(
        ctx, administration_id, case_id, body.amount, body.received_on, body.order, body.reference
    )
    return PaymentCreated(payment_id=payment_id)


@router.put(
    "/cases/{case_id}/payments/{payment_id}/allocation",
    response_model=CaseOut,
    responses={**NOT_FOUND, **REFUSED},
)
async def allocate_otherwise(
    administration_id: str, case_id: str, payment_id: str, body: AllocationIn, ctx: ContextDep
) -> CaseOut:
    """Allocate one payment in another order (the balances are replayed)."""
    await commands.change_allocation(ctx, administration_id, case_id, payment_id, body.order)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/forward", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def forward(administration_id: str, case_id: str, ctx: ContextDep) -> CaseOut:
    """Forward the case to the administration's judicial collection partner."""
    await forward_by_hand(ctx, administration_id, case_id)
    return await _case(ctx, administration_id, case_id)


@router.post("/cases/{case_id}/close", response_model=CaseOut, responses={**NOT_FOUND, **REFUSED})
async def close(administration_id: str, case_id: str, body: CloseIn, ctx: ContextDep) -> CaseOut:
    """Withdraw a case (its invoices go back to dunning) or write it off as uncollectable."""
    await commands.close_case(ctx, administration_id, case_id, Outcome(body.outcome), body.reason)
    return await _case(ctx, administration_id, case_id)


@router.get("/collection/settings", response_model=SettingsModel)
async def get_settings(administration_id: str, ctx: ContextDep) -> SettingsModel:
    """The administration's collection settings (the defaults until saved)."""
    return settings_model(await administration_settings(ctx, administration_id))


@router.put(
    "/collection/settings",
    response_model=SettingsModel,
    responses={422: {"description": "invalid settings"}},
)
async def put_settings(
    administration_id: str, body: SettingsModel, ctx: ContextDep
) -> SettingsModel:
    """Save the administration's collection settings."""
    return settings_model(
        await save_administration_settings(ctx, administration_id, settings_of(body))
    )


@router.get("/collection/partners", response_model=list[PartnerOut])
async def partners(administration_id: str, ctx: ContextDep) -> list[PartnerOut]:
    """The registry of judicial collection partners with a direct integration."""
    return [
        PartnerOut(
            partner_id=p.partner_id,
            name=p.name,
            website=p.website,
            logo_url=p.logo_url,
            description=p.description,
            accepts_business=p.accepts_business,
            accepts_consumer=p.accepts_consumer,
            countries=list(p.countries),
            minimum_principal=p.minimum_principal,
        )
        for p in ctx.partners.values()
    ]


@rates_router.get("/interest-rates", response_model=list[RateOut])
async def interest_rates(ctx: ContextDep) -> list[RateOut]:
    """The statutory interest rate table, each period with its source."""
    table = await rate_table(ctx)
    return [
        RateOut(
            kind=p.kind.value,
            valid_from=p.valid_from,
            valid_until=p.valid_until,
            rate_percent=p.rate,
            confirmed=p.confirmed,
            source=p.source,
        )
        for p in table.all_periods()
    ]


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(rates_router)
