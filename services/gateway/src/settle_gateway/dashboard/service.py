"""The dashboard's query: open invoices per phase, attention per reason, totals and aging,
all from aggregates the projection keeps (no invoice is read)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_attention_counts, rm_due_totals, rm_phase_totals
from settle_gateway.cases.service import counts_per_step
from settle_gateway.control.service import pauses_of
from settle_gateway.dashboard.models import (
    AgingBucket,
    AttentionCount,
    DashboardOut,
    MoneyTotal,
    PhaseTotal,
)
from settle_gateway.payments.service import paid_online_not_booked

# The statements of the read views are built once, with bound parameters: building them per
# request cost more CPU than running them.
_PHASE_TOTALS = (
    sa.select(rm_phase_totals)
    .where(
        rm_phase_totals.c.administration_id == sa.bindparam("administration_id"),
        rm_phase_totals.c.count > 0,
    )
    .order_by(rm_phase_totals.c.phase)
)
_ATTENTION_COUNTS = (
    sa.select(rm_attention_counts)
    .where(
        rm_attention_counts.c.administration_id == sa.bindparam("administration_id"),
        rm_attention_counts.c.count > 0,
    )
    .order_by(rm_attention_counts.c.subject_type, rm_attention_counts.c.reason)
)
_DUE = rm_due_totals.c.due_date
# Buckets cut at the business date and 30, 60 and 90 days before it.
_AGING_BUCKET = sa.case(
    (_DUE >= sa.bindparam("today", type_=sa.Date), "not_due"),
    (_DUE >= sa.bindparam("d30", type_=sa.Date), "1-30"),
    (_DUE >= sa.bindparam("d60", type_=sa.Date), "31-60"),
    (_DUE >= sa.bindparam("d90", type_=sa.Date), "61-90"),
    else_=">90",
).label("bucket")
_AGING = (
    sa.select(
        _AGING_BUCKET,
        rm_due_totals.c.currency,
        sa.func.sum(rm_due_totals.c.count).label("count"),
        sa.func.sum(rm_due_totals.c.total).label("total"),
    )
    .where(
        rm_due_totals.c.administration_id == sa.bindparam("administration_id"),
        rm_due_totals.c.count > 0,
    )
    .group_by(_AGING_BUCKET, rm_due_totals.c.currency)
)
BUCKETS = ["not_due", "1-30", "31-60", "61-90", ">90"]


async def aging_at(session: AsyncSession, administration_id: str, day: date) -> list[AgingBucket]:
    """The open invoices per aging bucket and currency, cut at `day`, from the open totals per
    due date as they are now."""
    rows = await session.execute(
        _AGING,
        {
            "administration_id": administration_id,
            "today": day,
            "d30": day - timedelta(days=30),
            "d60": day - timedelta(days=60),
            "d90": day - timedelta(days=90),
        },
    )
    return sorted(
        (
            AgingBucket(bucket=r.bucket, currency=r.currency, count=r.count, total=Decimal(r.total))
            for r in rows
        ),
        key=lambda bucket: (BUCKETS.index(bucket.bucket), bucket.currency),
    )


async def dashboard(session: AsyncSession, administration_id: str, today: date) -> DashboardOut:
    """The administration's dashboard on the business date `today`."""
    administration = {"administration_id": administration_id}
    phases = [
        PhaseTotal(phase=r.phase, currency=r.currency, count=r.count, total=Decimal(r.total))
        for r in await session.execute(_PHASE_TOTALS, administration)
    ]
    attention = [
        AttentionCount(subject_type=r.subject_type, reason=r.reason, count=r.count)
        for r in await session.execute(_ATTENTION_COUNTS, administration)
    ]
    open_totals: dict[str, list[Any]] = {}
    for phase in phases:
        entry = open_totals.setdefault(phase.currency, [0, Decimal("0.00")])
        entry[0] += phase.count
        entry[1] += phase.total
    aging = await aging_at(session, administration_id, today)
    overdue: dict[str, list[Any]] = {}
    for bucket in aging:
        if bucket.bucket != "not_due":
            entry = overdue.setdefault(bucket.currency, [0, Decimal("0.00")])
            entry[0] += bucket.count
            entry[1] += bucket.total
    return DashboardOut(
        administration_id=administration_id,
        business_date=today,
        pause=(await pauses_of(session, administration_id)).administration,
        phases=phases,
        attention=attention,
        open=[MoneyTotal(currency=c, count=n, total=t) for c, (n, t) in open_totals.items()],
        overdue=[MoneyTotal(currency=c, count=n, total=t) for c, (n, t) in overdue.items()],
        aging=aging,
        paid_online_not_booked=[
            MoneyTotal(currency=currency, count=count, total=total)
            for currency, count, total in await paid_online_not_booked(session, administration_id)
        ],
        cases=await counts_per_step(session, administration_id),
    )
