"""The shapes of the dashboard: totals per phase, attention and aging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from settle_gateway.cases.models import CaseStepCount
from settle_gateway.control.models import PauseMode


class PhaseTotal(BaseModel):
    phase: str
    currency: str
    count: int
    total: Decimal


class AttentionCount(BaseModel):
    subject_type: str
    reason: str
    count: int


class MoneyTotal(BaseModel):
    currency: str
    count: int
    total: Decimal


class AgingBucket(BaseModel):
    bucket: Literal["not_due", "1-30", "31-60", "61-90", ">90"]
    currency: str
    count: int
    total: Decimal


class DashboardOut(BaseModel):
    administration_id: str
    business_date: date
    pause: PauseMode = Field(description="the administration's pause, as dunning announced it")
    phases: list[PhaseTotal]
    attention: list[AttentionCount]
    open: list[MoneyTotal]
    overdue: list[MoneyTotal]
    aging: list[AgingBucket]
    paid_online_not_booked: list[MoneyTotal] = Field(
        description="open invoices a paid online payment covers that bookkeeping has not "
        "booked yet (the import that settles them takes them off), per currency"
    )
    cases: list[CaseStepCount] = Field(
        default_factory=list, description="proposed and open collection cases per step"
    )


class AgingAmount(BaseModel):
    bucket: Literal["not_due", "1-30", "31-60", "61-90", ">90"]
    count: int
    total: Decimal


class MonthPoint(BaseModel):
    """One month of one currency's series."""

    month: date = Field(description="the month's first day")
    cut: date = Field(
        description="the day the open amount and aging are taken: the month's last day, or "
        "the business date in the current month"
    )
    complete: bool = Field(description="false for the current month, which is still running")
    invoiced: Decimal = Field(description="invoiced in the month (by invoice date)")
    open: Decimal | None = Field(
        description="open receivables at the cut; null for a month end before the gateway "
        "followed the administration's invoices"
    )
    open_count: int | None
    dso: Decimal | None = Field(
        description="days sales outstanding at the cut, one decimal: open / invoiced in the "
        "window x the window's days (the window: this month and the two before, up to the "
        "cut); null when nothing was invoiced in the window or the open amount is unknown"
    )
    dso_invoiced: Decimal = Field(description="invoiced in the DSO window")
    dso_days: int = Field(description="the DSO window's days")
    aging: list[AgingAmount] = Field(
        description="open receivables per aging bucket at the cut (empty when unknown)"
    )


class CurrencySeries(BaseModel):
    currency: str
    months: list[MonthPoint]


class DashboardSeriesOut(BaseModel):
    administration_id: str
    business_date: date
    months: list[date] = Field(description="the first days of the months shown, oldest first")
    series: list[CurrencySeries] = Field(
        description="one series per currency (amounts of two currencies are never added)"
    )
