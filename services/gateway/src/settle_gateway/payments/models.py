"""The shapes of online payments."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from settle_shared.db import aware


class CoveredInvoiceOut(BaseModel):
    invoice_id: str
    amount: Decimal = Field(description="the open amount the payment was asked for")


class PaymentOut(BaseModel):
    payment_id: str
    debtor_id: str
    amount: Decimal
    currency: str
    status: str = Field(
        description="open, pending, authorized, paid, failed, canceled, expired, refunded "
        "(partly or fully) or charged_back, as the payments service last reported it"
    )
    method: str | None = Field(description="ideal, creditcard, bancontact, … once known")
    refunded_amount: Decimal
    charged_back_amount: Decimal
    invoices: list[CoveredInvoiceOut]
    created_at: datetime
    status_at: datetime = Field(description="when the payment reached its status")


class PaymentPage(BaseModel):
    items: list[PaymentOut]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page")


def payment_out(row: Any, invoices: list[CoveredInvoiceOut]) -> PaymentOut:
    """The payment of a read-model row, with the invoices it covers."""
    return PaymentOut(
        payment_id=row.payment_id,
        debtor_id=row.debtor_id,
        amount=row.amount,
        currency=row.currency,
        status=row.status,
        method=row.method,
        refunded_amount=row.refunded_amount,
        charged_back_amount=row.charged_back_amount,
        invoices=invoices,
        created_at=aware(row.created_at),
        status_at=aware(row.status_at),
    )
