"""The shapes of the UI API (/api/v1): what the OpenAPI document shows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=500)


class TokensOut(BaseModel):
    access_token: str = Field(description="send as `Authorization: Bearer <token>`")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = Field(description="seconds the access token stays valid")
    refresh_token: str = Field(description="spend once at /api/v1/auth/refresh for new tokens")


class AdministrationOut(BaseModel):
    id: str
    name: str
    role: str


class MeOut(BaseModel):
    subject: str
    kind: str = Field(description="password, oidc or api_token")
    name: str
    administrations: list[AdministrationOut]


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Literal["administrator", "standard", "communication", "restricted"] = "restricted"


class ApiTokenOut(BaseModel):
    token: str = Field(description="shown once; Settle keeps only its hash")


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


PauseMode = Literal["active", "reminders_paused", "fully_paused"]


class DashboardOut(BaseModel):
    administration_id: str
    business_date: date
    pause: PauseMode = Field(description="the administration's pause, as dunning announced it")
    phases: list[PhaseTotal]
    attention: list[AttentionCount]
    open: list[MoneyTotal]
    overdue: list[MoneyTotal]
    aging: list[AgingBucket]


class InvoiceSummary(BaseModel):
    invoice_id: str
    number: str
    debtor_id: str | None
    debtor_name: str | None
    invoice_date: date | None
    due_date: date | None
    amount: Decimal | None
    open_amount: Decimal | None
    currency: str | None
    status: str = Field(description="open or settled")
    phase: str
    on_hold: bool = Field(description="the invoice itself is paused")
    paused: bool = Field(description="on hold, or its debtor or administration is paused")
    paused_by: Literal["invoice", "debtor", "administration"] | None = Field(
        description="the most specific pause that holds the invoice, if any"
    )
    overdue: bool
    next_step_id: str | None
    next_step_on: date | None


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class AttentionOut(BaseModel):
    subject_type: str
    subject_id: str
    reason: str
    sentence: str
    since: datetime


class AttentionPage(BaseModel):
    items: list[AttentionOut]
    next_cursor: str | None = None


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    active: bool


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["administrator", "standard", "communication", "restricted"]


class PlannedStepOut(BaseModel):
    step_id: str | None
    planned_on: date | None
    on_hold: bool
    blocked_by: str | None


class TimelineEntry(BaseModel):
    kind: Literal["step", "message"]
    at: datetime
    step_id: str | None = None
    executed_on: date | None = None
    phase: str | None = None
    channels: list[str] = Field(default_factory=list)
    reason: str | None = None
    legally_required: bool | None = None
    message_id: str | None = None
    direction: str | None = None
    state: str | None = None
    subject: str | None = None
    detail: str | None = None
    read: bool | None = None


class InvoiceDetail(InvoiceSummary):
    pdf_url: str | None
    attention: list[AttentionOut]
    planned: PlannedStepOut
    timeline: list[TimelineEntry] = Field(description="executed steps and messages, newest first")


class DebtorSummary(BaseModel):
    debtor_id: str
    number: str
    name: str
    kind: str
    open_invoices: int
    open_amount: Decimal
    attention: list[str] = Field(description="open attention reasons of the debtor")


class DebtorPage(BaseModel):
    items: list[DebtorSummary]
    next_cursor: str | None = None


class MessageOut(BaseModel):
    message_id: str
    debtor_id: str
    debtor_name: str | None = None
    thread_id: str
    direction: str
    state: str
    channel: str | None
    subject: str | None
    detail: str | None
    invoice_ids: list[str]
    read: bool
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None = None


class DebtorDetail(DebtorSummary):
    pause: PauseMode = Field(description="the debtor's own pause, as dunning announced it")
    emails: list[str]
    phone: str | None
    address_lines: list[str]
    postal_code: str | None
    city: str | None
    country: str | None
    language: str | None
    attention_items: list[AttentionOut]
    invoices: list[InvoiceSummary] = Field(description="open invoices, by due date")
    messages: list[MessageOut] = Field(description="the debtor's messages, newest first")


class SendMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    debtor_id: str = Field(min_length=1, max_length=100)
    subject: str = Field(min_length=1, max_length=250)
    body: str = Field(min_length=1, max_length=20_000)
    invoice_ids: list[str] = Field(default_factory=list, max_length=500)
    thread_id: str | None = Field(None, max_length=100)
    language: str | None = Field(None, pattern=r"^[a-z]{2}$", description="default: the debtor's")
    tone: Literal["formal", "informal"] = "formal"


class ImportRunOut(BaseModel):
    run_id: str
    source: str
    status: str
    error: str | None
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime
    duration_ms: int


class ImportRunPage(BaseModel):
    items: list[ImportRunOut]
    next_cursor: str | None = None


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["reminders_paused", "fully_paused"]


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: date


ServiceAnswer = dict[str, Any]
