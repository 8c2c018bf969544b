"""Queries of online payments: a page of an administration's payments, those of a debtor or
an invoice (their timelines), and what was paid online and not yet booked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_time_cursor, encode_cursor
from settle_gateway.adapters.tables import (
    rm_paid_online_totals,
    rm_payment_invoices,
    rm_payments,
)
from settle_gateway.payments.models import CoveredInvoiceOut, PaymentOut, PaymentPage, payment_out

_PAID_ONLINE = (
    sa.select(rm_paid_online_totals)
    .where(
        rm_paid_online_totals.c.administration_id == sa.bindparam("administration_id"),
        rm_paid_online_totals.c.count > 0,
    )
    .order_by(rm_paid_online_totals.c.currency)
)


async def paid_online_not_booked(
    session: AsyncSession, administration_id: str
) -> list[tuple[str, int, Decimal]]:
    """(currency, count, total) of the open invoices paid online that bookkeeping has not
    booked yet (a maintained aggregate: no invoice is read)."""
    rows = await session.execute(_PAID_ONLINE, {"administration_id": administration_id})
    return [(r.currency, int(r._mapping["count"]), Decimal(r.total)) for r in rows]


async def _with_invoices(
    session: AsyncSession, administration_id: str, rows: Sequence[Any]
) -> list[PaymentOut]:
    if not rows:
        return []
    covered: dict[str, list[CoveredInvoiceOut]] = defaultdict(list)
    lines = await session.execute(
        sa.select(rm_payment_invoices)
        .where(
            rm_payment_invoices.c.administration_id == administration_id,
            rm_payment_invoices.c.payment_id.in_([r.payment_id for r in rows]),
        )
        .order_by(rm_payment_invoices.c.invoice_id)
    )
    for line in lines:
        covered[line.payment_id].append(
            CoveredInvoiceOut(invoice_id=line.invoice_id, amount=line.amount)
        )
    return [payment_out(row, covered[row.payment_id]) for row in rows]


async def payment_page(
    session: AsyncSession,
    administration_id: str,
    *,
    debtor_id: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> PaymentPage:
    """The administration's payments, newest first, a page at a time (keyset)."""
    payment = rm_payments.c
    query = sa.select(rm_payments).where(payment.administration_id == administration_id)
    if debtor_id:
        query = query.where(payment.debtor_id == debtor_id)
    if status:
        query = query.where(payment.status == status)
    if cursor:
        moment, tie = decode_time_cursor(cursor)
        query = query.where(after(payment.created_at, payment.payment_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            query.order_by(payment.created_at.desc(), payment.payment_id.desc()).limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    items = await _with_invoices(session, administration_id, rows[:limit])
    return PaymentPage(
        items=items,
        next_cursor=(
            encode_cursor([items[-1].created_at.isoformat(), items[-1].payment_id])
            if more and items
            else None
        ),
    )


async def payments_of_debtor(
    session: AsyncSession, administration_id: str, debtor_id: str, limit: int = 100
) -> list[PaymentOut]:
    """The debtor's payments, newest first."""
    rows = (
        await session.execute(
            sa.select(rm_payments)
            .where(
                rm_payments.c.administration_id == administration_id,
                rm_payments.c.debtor_id == debtor_id,
            )
            .order_by(rm_payments.c.created_at.desc())
            .limit(limit)
        )
    ).all()
    return await _with_invoices(session, administration_id, rows)


async def payments_of_invoice(
    session: AsyncSession, administration_id: str, invoice_id: str, limit: int = 100
) -> list[PaymentOut]:
    """The payments that cover an invoice, newest first."""
    rows = (
        await session.execute(
            sa.select(rm_payments)
            .join(rm_payment_invoices, rm_payment_invoices.c.payment_id == rm_payments.c.payment_id)
            .where(
                rm_payment_invoices.c.administration_id == administration_id,
                rm_payment_invoices.c.invoice_id == invoice_id,
            )
            .order_by(rm_payments.c.created_at.desc())
            .limit(limit)
        )
    ).all()
    return await _with_invoices(session, administration_id, rows)
