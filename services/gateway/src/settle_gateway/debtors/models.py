"""The shapes of debtor lists and a debtor's detail."""

from __future__ import annotations

from pydantic import BaseModel, Field

from settle_gateway.attention.models import AttentionOut
from settle_gateway.control.models import PauseMode
from settle_gateway.credit_notes.models import CreditNoteOut
from settle_gateway.dashboard.models import MoneyTotal
from settle_gateway.invoices.models import InvoiceSummary
from settle_gateway.messages.models import MessageOut
from settle_gateway.payments.models import PaymentOut
from settle_gateway.plans.models import PlanOut


class DebtorSummary(BaseModel):
    debtor_id: str
    number: str
    name: str
    kind: str
    open_invoices: int
    open_totals: list[MoneyTotal] = Field(
        description="open invoices per currency: amounts of two currencies are never added"
    )
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
    language: str | None = Field(
        description="the language to write to the debtor in: chosen by a user, else "
        "bookkeeping's; null: their country's where the administration has templates in it, "
        "else the administration's"
    )
    language_chosen: bool = Field(description="a user chose it; no import changes it")
    attention_items: list[AttentionOut]
    invoices: list[InvoiceSummary] = Field(description="open invoices, by due date")
    credit_notes: list[CreditNoteOut] = Field(
        description="open credit notes, stated in the debtor's reminders in their currency"
    )
    messages: list[MessageOut] = Field(description="the debtor's messages, newest first")
    payments: list[PaymentOut] = Field(description="the debtor's online payments, newest first")
    payment_plans: list[PlanOut] = Field(
        default_factory=list,
        description="the debtor's payment plans, newest first, with their instalments",
    )


class DebtorLanguageIn(BaseModel):
    language: str | None = Field(
        description="ISO 639-1 code; null gives the say back to bookkeeping",
        pattern=r"^[a-z]{2}$",
    )
