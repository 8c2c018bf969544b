"""The payments' part of the read model, from the payments service's events: rm_payments and
the invoices each covers, what each invoice was paid online (rm_invoices.paid_online), and the
dashboard's "paid online, not yet booked" per currency, kept by the deltas of each batch.

An invoice counts as paid online while a paid payment covers it; a refund or a chargeback
takes it back. It stops counting as "not yet booked" when the import settles it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from settle_gateway.adapters.tables import (
    rm_paid_online_totals,
    rm_payment_invoices,
    rm_payments,
)
from settle_gateway.dashboard.projection import add_to_counters
from settle_gateway.invoices.projection import ZERO, Batch, paid_online_contribution
from settle_shared.db import aware
from settle_shared.events import payments

PAID = "paid"


def _fact(event: payments.PaymentEvent) -> tuple[str | None, datetime]:
    """The status a fact gives its payment (None: it only announces it) and when."""
    if isinstance(event, payments.PaymentStatusChanged):
        return event.status, event.changed_at
    if isinstance(event, payments.PaymentRefunded):
        return "refunded", event.refunded_at
    if isinstance(event, payments.PaymentChargedBack):
        return "charged_back", event.charged_back_at
    assert isinstance(event, payments.PaymentCreated)
    return None, event.created_at


async def payment_changed(batch: Batch, event: payments.PaymentEvent, at: datetime) -> None:
    """A payment created, a new status, a refund or a chargeback; a fact older than the
    stored status changes no status."""
    session = batch.session
    status, fact_at = _fact(event)
    fact_at = aware(fact_at) or at
    current = (
        await session.execute(
            sa.select(rm_payments).where(rm_payments.c.payment_id == event.payment_id)
        )
    ).first()
    values: dict[str, Any] = {}
    if isinstance(event, payments.PaymentCreated):
        values.update(created_at=event.created_at, psp=event.psp)
    if isinstance(event, payments.PaymentStatusChanged) and event.method:
        values["method"] = event.method
    if current is None:
        row = {
            "payment_id": event.payment_id,
            "administration_id": event.administration_id,
            "debtor_id": event.debtor_id,
            "amount": event.amount,
            "currency": event.currency,
            "status": status or "open",
            "method": None,
            "psp": None,
            "refunded_amount": _refunded(event, ZERO),
            "charged_back_amount": _charged_back(event, ZERO),
            # Until the payment's creation is seen, the first fact of it stands for it.
            "created_at": fact_at,
            "status_at": fact_at,
        }
        await session.execute(sa.insert(rm_payments).values({**row, **values}))
        await session.execute(
            sa.insert(rm_payment_invoices),
            [
                {
                    "payment_id": event.payment_id,
                    "invoice_id": covered.invoice_id,
                    "administration_id": event.administration_id,
                    "amount": covered.amount,
                }
                for covered in {c.invoice_id: c for c in event.invoices}.values()
            ],
        )
    else:
        values["refunded_amount"] = _refunded(event, Decimal(current.refunded_amount))
        values["charged_back_amount"] = _charged_back(event, Decimal(current.charged_back_amount))
        stored_at = aware(current.status_at)
        assert stored_at is not None
        if status is not None and fact_at >= stored_at:
            values.update(status=status, status_at=fact_at)
        await session.execute(
            sa.update(rm_payments)
            .where(rm_payments.c.payment_id == event.payment_id)
            .values(values)
        )
    await _paid_online(batch, event.administration_id, event.invoice_ids)


def _refunded(event: payments.PaymentEvent, stored: Decimal) -> Decimal:
    if isinstance(event, payments.PaymentRefunded):
        return max(stored, event.total_refunded)
    return stored


def _charged_back(event: payments.PaymentEvent, stored: Decimal) -> Decimal:
    if isinstance(event, payments.PaymentChargedBack):
        return max(stored, event.charged_back_amount)
    return stored


async def _paid_online(batch: Batch, administration_id: str, invoice_ids: list[str]) -> None:
    """What each invoice was paid online: the sum its paid payments cover, or None."""
    covered = rm_payment_invoices.c
    sums = dict(
        (
            await batch.session.execute(
                sa.select(covered.invoice_id, sa.func.sum(covered.amount))
                .join(rm_payments, rm_payments.c.payment_id == covered.payment_id)
                .where(
                    covered.administration_id == administration_id,
                    covered.invoice_id.in_(invoice_ids),
                    rm_payments.c.status == PAID,
                )
                .group_by(covered.invoice_id)
            )
        ).all()
    )
    for invoice_id in dict.fromkeys(invoice_ids):
        row = await batch.invoice(administration_id, invoice_id)
        paid = sums.get(invoice_id)
        row["paid_online"] = Decimal(paid) if paid is not None else None


async def apply_paid_online_totals(batch: Batch) -> None:
    """Add the batch's changes of open invoices paid online to the totals per currency: an
    online payment adds its invoices, a refund or the import that settles them takes them
    away."""
    deltas: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for key, row in batch.invoices.items():
        before, after = batch.paid_before[key], paid_online_contribution(row)
        if before == after:
            continue
        for sign, part in ((-1, before), (1, after)):
            if part is not None:
                currency, amount = part
                totals = deltas[(key[0], currency)]
                totals[0] += sign
                totals[1] += sign * amount
    for (administration_id, currency), (count, total) in deltas.items():
        if count == 0 and total == 0:
            continue
        await add_to_counters(
            batch.session,
            rm_paid_online_totals,
            {"administration_id": administration_id, "currency": currency},
            {"count": count, "total": total},
        )
