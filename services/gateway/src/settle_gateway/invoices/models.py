"""The shapes of invoice lists and an invoice's detail."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from settle_gateway.attention.models import AttentionOut
from settle_gateway.credit_notes.models import CreditNoteOut
from settle_gateway.plans.models import PlanOut


class InvoiceSummary(BaseModel):
    kind: Literal["invoice", "credit_note"] = Field(
        "invoice",
        description="a credit note is listed beside the invoices: its amounts are negative, its "
        "phase is credit_note, it has no due date and is never reminded of or paused",
    )
    invoice_id: str = Field(description="the document's id (a credit note's, for a credit note)")
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
    due_date_source: Literal["document", "payment_terms", "default_term"] | None = Field(
        description="where the due date came from: the document, its payment terms, or "
        "(default_term) the connection's default term, because the document said neither"
    )
    paid_online: Decimal | None = Field(
        description="what the debtor paid online for it (paid payments; a refund or "
        "chargeback takes it back); bookkeeping books it on a later import"
    )
    corrects_invoice_id: str | None = Field(
        None, description="a credit note: the invoice it corrects, when it says"
    )
    corrects_invoice_number: str | None = None


class InvoicePage(BaseModel):
    items: list[InvoiceSummary]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


class PlannedStepOut(BaseModel):
    step_id: str | None
    planned_on: date | None
    on_hold: bool
    blocked_by: str | None


class TimelineEntry(BaseModel):
    kind: Literal["step", "message", "payment"]
    at: datetime
    step_id: str | None = None
    executed_on: date | None = None
    phase: str | None = None
    channels: list[str] = Field(default_factory=list)
    reason: str | None = None
    legally_required: bool | None = None
    message_id: str | None = None
    direction: str | None = None
    state: str | None = Field(
        None,
        description="a step: executed, or failed when its message reached the debtor on no "
        "channel (it does not count as done); a message: queued, sent, failed, bounced, "
        "awaiting_posting, received",
    )
    subject: str | None = Field(None, description="a message's subject as the debtor saw it")
    detail: str | None = Field(None, description="why a step or message failed or bounced")
    read: bool | None = None
    payment_id: str | None = None
    amount: Decimal | None = Field(None, description="a payment: what it paid of this invoice")
    currency: str | None = None
    method: str | None = None


class InvoiceDetail(InvoiceSummary):
    pdf_url: str | None
    attention: list[AttentionOut]
    credit_notes: list[CreditNoteOut] = Field(description="credit notes that correct it")
    planned: PlannedStepOut
    timeline: list[TimelineEntry] = Field(
        description="executed steps, messages and online payments (with their current state), "
        "newest first"
    )
    payment_plans: list[PlanOut] = Field(
        default_factory=list,
        description="the payment plans that cover it, newest first, with their instalments",
    )
