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
