"""The shapes of cases in the gateway's API (the detail is the collection service's own)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

CaseStatus = Literal["proposed", "open", "closed", "declined"]
CaseStep = Literal[
    "new",
    "reminder",
    "second_reminder",
    "notice_of_default",
    "ready_for_bailiff",
    "pre_court",
    "with_bailiff",
]


class CaseRow(BaseModel):
    """A case in the list, with its balance as of its last change."""

    case_id: str
    debtor_id: str
    debtor_name: str | None
    status: CaseStatus
    step: CaseStep
    paused: bool
    invoice_ids: list[str]
    principal: Decimal = Field(description="principal open")
    costs: Decimal = Field(description="costs open, VAT included")
    interest: Decimal = Field(description="interest open on `balance_as_of`")
    total: Decimal
    currency: str
    balance_as_of: date
    opened_on: date | None
    closed_on: date | None
    outcome: str | None
    partner_id: str | None
    last_event: str = Field(description="what happened last, e.g. payment_allocated")
    changed_on: date


class CasePage(BaseModel):
    items: list[CaseRow]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class CaseStepCount(BaseModel):
    """Active cases at one step."""

    status: Literal["proposed", "open"]
    step: CaseStep
    count: int
