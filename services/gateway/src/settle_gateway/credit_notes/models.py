"""The shape of a credit note: a document with a negative amount, never reminded of."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class CreditNoteOut(BaseModel):
    credit_note_id: str
    number: str
    debtor_id: str
    invoice_date: date
    amount: Decimal = Field(description="negative")
    open_amount: Decimal = Field(description="negative: what is not matched yet; 0 when settled")
    currency: str
    status: str = Field(description="open, or settled (matched in bookkeeping)")
    corrects_invoice_id: str | None = Field(description="the invoice it corrects, if it says")
    corrects_invoice_number: str | None


class CreditNotePage(BaseModel):
    items: list[CreditNoteOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")
