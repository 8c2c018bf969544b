"""The dashboard's series over the last months, per currency: what was invoiced, the open
amount, DSO and aging at each month end. Read from aggregates the projection keeps (what was
invoiced per month, the open invoices per aging bucket written at each month end, the open
totals per due date for the running month): no invoice is read."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import month_end_aging, month_ends_closed, rm_monthly_invoiced
from settle_gateway.dashboard.models import (
    AgingAmount,
    CurrencySeries,
    DashboardSeriesOut,
    MonthPoint,
)
from settle_gateway.dashboard.service import BUCKETS, aging_at
from settle_gateway.domain.series import (
    DSO_MONTHS,
    add_months,
    days_sales_outstanding,
    dso_window,
    month_end,
    months_shown,
)

_ADMINISTRATION: sa.BindParameter[str] = sa.bindparam("administration_id")
_INVOICED = sa.select(
    rm_monthly_invoiced.c.month, rm_monthly_invoiced.c.currency, rm_monthly_invoiced.c.total
).where(
    rm_monthly_invoiced.c.administration_id == _ADMINISTRATION,
    rm_monthly_invoiced.c.month >= sa.bindparam("since", type_=sa.Date),
    rm_monthly_invoiced.c.month <= sa.bindparam("until", type_=sa.Date),
)
_MONTH_ENDS = sa.select(month_end_aging).where(
    month_end_aging.c.administration_id == _ADMINISTRATION,
    month_end_aging.c.month_end >= sa.bindparam("since", type_=sa.Date),
)
_FOLLOWED = sa.select(month_ends_closed).where(
    month_ends_closed.c.administration_id == _ADMINISTRATION
)
ZERO = Decimal("0.00")

# Per cut: currency -> bucket -> (count, total); None when what was open then is not known.
Aging = dict[str, dict[str, tuple[int, Decimal]]] | None


async def dashboard_series(
    session: AsyncSession, administration_id: str, today: date
) -> DashboardSeriesOut:
    """The administration's series over the months up to the business date `today`."""
    months = months_shown(today)
    administration = {"administration_id": administration_id}
    invoiced: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in await session.execute(
        _INVOICED,
        {**administration, "since": add_months(months[0], 1 - DSO_MONTHS), "until": months[-1]},
    ):
        invoiced[row.currency][row.month] += Decimal(row.total)
    cuts = [month_end(month) for month in months[:-1]] + [today]
    agings = await _agings(session, administration_id, cuts)
    currencies = sorted(
        set(invoiced) | {currency for aging in agings if aging for currency in aging}
    )
    return DashboardSeriesOut(
        administration_id=administration_id,
        business_date=today,
        months=months,
        series=[
            CurrencySeries(
                currency=currency,
                months=[
                    _point(month, cut, cut != today, invoiced[currency], aging, currency)
                    for month, cut, aging in zip(months, cuts, agings, strict=True)
                ],
            )
            for currency in currencies
        ],
    )


async def _agings(session: AsyncSession, administration_id: str, cuts: list[date]) -> list[Aging]:
    """The open invoices per currency and bucket at each cut: written at the month ends the
    projection closed, and from the open totals per due date as they are now for the cuts
    after them (no batch has changed those totals since: it would have closed the month)."""
    administration = {"administration_id": administration_id}
    followed = (await session.execute(_FOLLOWED, administration)).first()
    written: dict[date, dict[str, dict[str, tuple[int, Decimal]]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for row in await session.execute(_MONTH_ENDS, {**administration, "since": cuts[0]}):
        written[row.month_end][row.currency][row.bucket] = (
            row._mapping["count"],
            Decimal(row.total),
        )
    agings: list[Aging] = []
    for cut in cuts:
        # The running month is always cut from the totals as they are now, even when the
        # business clock was set back behind a month end the projection wrote already.
        if followed is not None and cut <= followed.closed_through and cut != cuts[-1]:
            # Nothing open at a month end leaves no row: zero, once the month end is followed.
            agings.append(written.get(cut, {}) if cut > followed.followed_after else None)
            continue
        if followed is None and cut != cuts[-1]:
            agings.append(None)  # no invoice of this administration seen yet
            continue
        live: dict[str, dict[str, tuple[int, Decimal]]] = defaultdict(dict)
        for bucket in await aging_at(session, administration_id, cut):
            live[bucket.currency][bucket.bucket] = (bucket.count, bucket.total)
        agings.append(live)
    return agings


def _point(
    month: date,
    cut: date,
    complete: bool,
    invoiced: dict[date, Decimal],
    aging: Aging,
    currency: str,
) -> MonthPoint:
    window_start, days = dso_window(cut)
    window_invoiced = sum(
        (total for first, total in invoiced.items() if window_start <= first <= month), ZERO
    )
    buckets = None if aging is None else aging.get(currency, {})
    open_total = None if buckets is None else sum((t for _, t in buckets.values()), ZERO)
    return MonthPoint(
        month=month,
        cut=cut,
        complete=complete,
        invoiced=invoiced.get(month, ZERO),
        open=open_total,
        open_count=None if buckets is None else sum(n for n, _ in buckets.values()),
        dso=None
        if open_total is None
        else days_sales_outstanding(open_total, window_invoiced, days),
        dso_invoiced=window_invoiced,
        dso_days=days,
        aging=[]
        if buckets is None
        else [
            AgingAmount(bucket=name, count=buckets[name][0], total=buckets[name][1])
            for name in BUCKETS
            if name in buckets
        ],
    )
