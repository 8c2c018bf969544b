"""The shapes of debtor lists and a debtor's detail."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from settle_gateway.attention.models import AttentionOut
from settle_gateway.control.models import PauseMode
from settle_gateway.invoices.models import InvoiceSummary
from settle_gateway.messages.models import MessageOut
from settle_gateway.payments.models import PaymentOut


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
    payments: list[PaymentOut] = Field(description="the debtor's online payments, newest first")
