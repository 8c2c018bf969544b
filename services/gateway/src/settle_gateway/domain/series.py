"""The dashboard's series over months: which months they show, and how DSO is computed from the
open amount and what was invoiced (see docs/api.md, Dashboard series)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

MONTHS_SHOWN = 18
# DSO looks at what was invoiced in the month and the two before it.
DSO_MONTHS = 3


def month_start(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of `month`'s month."""
    return add_months(month, 1) - timedelta(days=1)


def last_month_end(today: date) -> date:
    """The last month end on or before `today` that has passed: the end of the month before."""
    return month_start(today) - timedelta(days=1)


def month_ends_after(closed_through: date, through: date) -> list[date]:
    """The month ends after `closed_through` up to and including `through`, oldest first."""
    ends = []
    month = add_months(month_start(closed_through), 1)
    while month_end(month) <= through:
        ends.append(month_end(month))
        month = add_months(month, 1)
    return ends


def months_shown(today: date) -> list[date]:
    """The first days of the MONTHS_SHOWN months up to and including `today`'s, oldest first."""
    current = month_start(today)
    return [add_months(current, n) for n in range(1 - MONTHS_SHOWN, 1)]


def dso_window(cut: date) -> tuple[date, int]:
    """The first month whose invoices DSO at `cut` divides by, and the number of days from its
    first day to `cut` inclusive (a month end, or the business date in the current month)."""
    first = add_months(month_start(cut), 1 - DSO_MONTHS)
    return first, (cut - first).days + 1


def days_sales_outstanding(open_total: Decimal, invoiced: Decimal, days: int) -> Decimal | None:
    """DSO in days, to one decimal: open receivables / invoiced in the window x its days. None
    when nothing (or a negative total) was invoiced in the window: there is no rate to divide by.

    >>> days_sales_outstanding(Decimal("4500.00"), Decimal("9000.00"), 92)
    Decimal('46.0')
    """
    if invoiced <= 0:
        return None
    return (open_total / invoiced * days).quantize(Decimal("0.1"))
