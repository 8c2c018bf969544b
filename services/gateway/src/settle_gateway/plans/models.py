"""The schemas of payment plans as the gateway's API answers and takes them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

PlanStatus = Literal["requested", "active", "expired", "completed", "ended", "rejected"]
PlanKind = Literal[
    "delayed", "weekly", "monthly", "fixed_amount_weekly", "fixed_amount_monthly", "custom"
]


class CustomInstalmentIn(BaseModel):
    due_on: date
    amount: Decimal


class PlanTermsIn(BaseModel):
    """How the schedule is made; dunning checks it (422 lists every problem by field)."""

    kind: PlanKind
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


class PlanIn(PlanTermsIn):
    """A plan for one debtor's open invoices and/or collection cases: it starts at once. A
    case counts for its balance today (principal, costs and interest, as collection computes
    it); collection pauses it while the plan runs."""

    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    case_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=50, description="open collection cases of the debtor"
    )


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
    """A payment plan as dunning last published it."""

    plan_id: str
    version: int
    debtor_id: str
    invoice_ids: list[str] = Field(description="the invoices it covers itself")
    cases: list[PlanCaseOut] = Field(
        default_factory=list, description="the collection cases it covers"
    )
    status: PlanStatus
    kind: str
    proposed_by: Literal["user", "debtor"]
    reason: str | None = None
    currency: str
    covered_amount: Decimal
    paid_amount: Decimal
    left_amount: Decimal
    instalments: list[InstalmentOut]
    created_on: date
    started_on: date | None = None
    ended_on: date | None = None


class PlanList(BaseModel):
    items: list[PlanOut] = Field(description="newest first")


class PlanOfferModel(BaseModel):
    """Up to `max_instalments` monthly instalments, the first within
    `first_payment_within_days` days, for a debtor whose open amount is in the range: the
    portal shows it and a proposal within it starts without approval."""

    min_open_amount: Decimal = Field(description="the range's lowest open amount (included)")
    max_open_amount: Decimal = Field(description="the range's highest open amount (included)")
    max_instalments: int = Field(description="1 to 24 monthly instalments")
    first_payment_within_days: int = Field(
        30, description="how many days ahead the first instalment may fall at most (0 to 365)"
    )


class PlanOffers(BaseModel):
    """An administration's plan offers, ordered by their ranges (which may not overlap)."""

    offers: list[PlanOfferModel] = Field(max_length=100)
