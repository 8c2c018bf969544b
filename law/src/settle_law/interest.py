"""Statutory interest (wettelijke rente) on a late payment.

Two rates: the consumer rate (art. 6:119 BW, owed from the day the debtor is in default) and
the commercial rate (art. 6:119a BW, owed from the day after the due date, without notice).
Both change by publication on 1 January and 1 July, so they live in a dated table that an
operator extends without a release (`RateTable`, loaded from CSV); every row names its source
and whether it could be confirmed from an official publication.

How interest is computed here (docs/collection.md has worked examples):

- Interest runs per *interest year*, counted from the day interest starts (not per calendar
  year). Within an interest year it is simple interest; at the end of each full interest year
  the year's unpaid interest is added to the amount interest runs on (art. 6:119 lid 2 BW).
- Periods are split at every rate change, at every anniversary and wherever the amount
  changes (a payment, a credit note).
- Day count: a period of `d` days in an interest year of `L` days (365, or 366 when the year
  holds a 29 February) earns `amount * rate * d / L`, so a full year earns exactly the annual
  rate. Interest for a date counts the days from the start up to, not including, that date.
- Amounts are kept exact and rounded to cents only when shown or paid.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ONE_DAY = timedelta(days=1)
# What a period beyond the table says about itself.
BEYOND_TABLE = "no published rate in the table from {day}: the last known rate is used"


class RateKind(StrEnum):
    """Which statutory rate applies."""

    CONSUMER = "consumer"  # art. 6:119 BW: a consumer, or anyone outside a commercial contract
    COMMERCIAL = "commercial"  # art. 6:119a BW: a commercial contract between businesses

    @property
    def article(self) -> str:
        """The article of the Civil Code that sets this rate."""
        return "art. 6:119 BW" if self is RateKind.CONSUMER else "art. 6:119a BW"


@dataclass(frozen=True)
class RatePeriod:
    """One row of the rate table: a rate (percent per year) from `valid_from` through
    `valid_until` (inclusive; None on the last row: until further notice)."""

    kind: RateKind
    valid_from: date
    valid_until: date | None
    rate: Decimal
    source: str
    confirmed: bool

    def covers(self, day: date) -> bool:
        """True when the rate applies on `day`."""
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class RateTableError(ValueError):
    """A rate table that cannot be used: every problem, in sentences."""

    code = "invalid_rate_table"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("the rate table is refused: " + "; ".join(self.problems))


class RateUnknown(ValueError):
    """Interest asked for a day before the table begins."""

    code = "rate_unknown"


@dataclass(frozen=True)
class RateSegment:
    """A stretch of days `[start, end)` at one rate."""

    start: date
    end: date
    rate: Decimal
    confirmed: bool
    source: str


class RateTable:
    """The statutory rates of both kinds, each a gapless, non-overlapping series of periods.

    Built only from a valid set of rows: a gap, an overlap, an open-ended row before the last,
    a negative rate or a missing source is refused with every problem named.
    """

    def __init__(self, periods: Iterable[RatePeriod]) -> None:
        by_kind: dict[RateKind, list[RatePeriod]] = {kind: [] for kind in RateKind}
        for period in periods:
            by_kind[period.kind].append(period)
        problems: list[str] = []
        for kind, rows in by_kind.items():
            rows.sort(key=lambda p: p.valid_from)
            problems += _problems_of(kind, rows)
        if problems:
            raise RateTableError(problems)
        self._periods = {kind: tuple(rows) for kind, rows in by_kind.items()}

    def periods(self, kind: RateKind) -> tuple[RatePeriod, ...]:
        """The periods of one kind, oldest first."""
        return self._periods[kind]

    def all_periods(self) -> list[RatePeriod]:
        """Every row, consumer first, oldest first."""
        return [p for kind in RateKind for p in self._periods[kind]]

    def with_period(self, period: RatePeriod) -> RateTable:
        """The table with one more period at the end of its series (an operator adding a newly
        published rate). An open-ended last row is closed the day before the new one starts;
        anything else that leaves a gap or overlaps is refused."""
        rows = list(self._periods[period.kind])
        if rows and rows[-1].valid_until is None and rows[-1].valid_from < period.valid_from:
            rows[-1] = replace(rows[-1], valid_until=period.valid_from - ONE_DAY)
        others = [p for kind in RateKind if kind is not period.kind for p in self._periods[kind]]
        return RateTable([*others, *rows, period])

    def segments(self, kind: RateKind, start: date, end: date) -> list[RateSegment]:
        """The days `[start, end)` cut where the rate changes. Days after the table's last
        period keep its rate, marked unconfirmed: an operator should add the published one."""
        series = self._periods[kind]
        if start >= end:
            return []
        if start < series[0].valid_from:
            raise RateUnknown(
                f"the {kind.value} rates in the table begin on {series[0].valid_from}; "
                f"no interest can be computed from {start}"
            )
        found: list[RateSegment] = []
        for period in series:
            last = period.valid_until
            if last is not None and last < start:
                continue
            if period.valid_from >= end:
                break
            stop = end if last is None else min(end, last + ONE_DAY)
            found.append(
                RateSegment(
                    max(start, period.valid_from),
                    stop,
                    period.rate,
                    period.confirmed,
                    period.source,
                )
            )
        final = series[-1]
        if final.valid_until is not None and final.valid_until + ONE_DAY < end:
            beyond = max(start, final.valid_until + ONE_DAY)
            found.append(
                RateSegment(
                    beyond, end, final.rate, False, BEYOND_TABLE.format(day=beyond.isoformat())
                )
            )
        return found


def _problems_of(kind: RateKind, rows: list[RatePeriod]) -> list[str]:
    problems: list[str] = []
    if not rows:
        return [f"there are no {kind.value} rates"]
    for row in rows:
        where = f"{kind.value} {row.valid_from}"
        if row.valid_until is not None and row.valid_until < row.valid_from:
            problems.append(f"{where}: it ends ({row.valid_until}) before it begins")
        if row.rate < 0 or row.rate >= HUNDRED:
            problems.append(f"{where}: the rate {row.rate}% is not a yearly percentage")
        if not row.source.strip():
            problems.append(f"{where}: no source is named")
    for before, after in pairwise(rows):
        if before.valid_until is None:
            problems.append(
                f"{kind.value} {before.valid_from}: only the last period may be open-ended "
                f"(another begins on {after.valid_from})"
            )
            continue
        expected = before.valid_until + ONE_DAY
        if after.valid_from > expected:
            problems.append(
                f"{kind.value}: a gap from {expected} to {after.valid_from - ONE_DAY} "
                "(no rate for those days)"
            )
        elif after.valid_from < expected:
            problems.append(
                f"{kind.value}: {after.valid_from} overlaps the period "
                f"{before.valid_from} to {before.valid_until}"
            )
    return problems


CSV_COLUMNS = ("kind", "valid_from", "valid_until", "rate_percent", "confirmed", "source")


def parse_rate_table(text: str) -> RateTable:
    """A rate table from CSV with the columns of `CSV_COLUMNS` (`valid_until` empty: until
    further notice; `confirmed` true or false). Every unreadable row and every gap or overlap
    is refused at once, each named."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != CSV_COLUMNS:
        raise RateTableError([f"the columns must be {', '.join(CSV_COLUMNS)}"])
    rows: list[RatePeriod] = []
    problems: list[str] = []
    for number, record in enumerate(reader, start=2):
        try:
            rows.append(_period(record))
        except (ValueError, InvalidOperation, KeyError) as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        raise RateTableError(problems)
    return RateTable(rows)


def _period(record: dict[str, str]) -> RatePeriod:
    confirmed = record["confirmed"].strip().lower()
    if confirmed not in ("true", "false"):
        raise ValueError(f"confirmed must be true or false, not {record['confirmed']!r}")
    until = record["valid_until"].strip()
    try:
        rate = Decimal(record["rate_percent"].strip())
    except InvalidOperation:
        raise ValueError(f"{record['rate_percent']!r} is not a rate") from None
    return RatePeriod(
        kind=RateKind(record["kind"].strip()),
        valid_from=date.fromisoformat(record["valid_from"].strip()),
        valid_until=date.fromisoformat(until) if until else None,
        rate=rate,
        source=record["source"].strip(),
        confirmed=confirmed == "true",
    )


def rate_table_csv(table: RateTable) -> str:
    """The table as CSV, readable by `parse_rate_table`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for p in table.all_periods():
        writer.writerow(
            [
                p.kind.value,
                p.valid_from.isoformat(),
                p.valid_until.isoformat() if p.valid_until else "",
                str(p.rate),
                "true" if p.confirmed else "false",
                p.source,
            ]
        )
    return out.getvalue()


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class InterestPeriod:
    """Interest over the days `[start, end)`: on `base` at `rate` percent, `days` of an
    interest year of `year_days` days. `amount` is exact; round it to show it."""

    start: date
    end: date
    days: int
    year_days: int
    rate: Decimal
    base: Decimal
    amount: Decimal
    confirmed: bool
    source: str


@dataclass
class InterestAccount:
    """Statutory interest on one claim (an invoice), accrued period by period.

    `principal` is what is open of the claim; `capitalised` the interest of past interest years
    added to the base and still unpaid; `current` the unpaid interest of the running interest
    year. A payment of interest pays the oldest first (capitalised, then current).
    """

    kind: RateKind
    start: date
    principal: Decimal
    table: RateTable
    capitalised: Decimal = Decimal(0)
    current: Decimal = Decimal(0)
    accrued_to: date = field(init=False)
    accrued: Decimal = field(default=Decimal(0), init=False)
    periods: list[InterestPeriod] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.accrued_to = self.start

    @property
    def base(self) -> Decimal:
        """The amount interest runs on now."""
        return self.principal + self.capitalised

    @property
    def open_interest(self) -> Decimal:
        """Interest owed and not paid (exact)."""
        return self.capitalised + self.current

    def accrue(self, until: date) -> None:
        """Accrue interest for the days up to, not including, `until`."""
        while self.accrued_to < until:
            year = 0
            while add_years(self.start, year + 1) <= self.accrued_to:
                year += 1
            year_start, year_end = add_years(self.start, year), add_years(self.start, year + 1)
            year_days = (year_end - year_start).days
            stop = min(until, year_end)
            base = self.base
            if base > 0:
                for segment in self.table.segments(self.kind, self.accrued_to, stop):
                    days = (segment.end - segment.start).days
                    amount = base * segment.rate / HUNDRED * days / year_days
                    self._record(
                        InterestPeriod(
                            segment.start,
                            segment.end,
                            days,
                            year_days,
                            segment.rate,
                            base,
                            amount,
                            segment.confirmed,
                            segment.source,
                        )
                    )
                    self.current += amount
                    self.accrued += amount
            self.accrued_to = stop
            if stop == year_end:
                # A full interest year: its unpaid interest now bears interest too.
                self.capitalised += self.current
                self.current = Decimal(0)

    def _record(self, period: InterestPeriod) -> None:
        # A period that only continues the last one (accrued in two calls, nothing changed
        # in between) is shown as one.
        last = self.periods[-1] if self.periods else None
        if (
            last is not None
            and last.end == period.start
            and (last.rate, last.base, last.year_days, last.confirmed, last.source)
            == (period.rate, period.base, period.year_days, period.confirmed, period.source)
        ):
            self.periods[-1] = replace(
                last,
                end=period.end,
                days=last.days + period.days,
                amount=last.amount + period.amount,
            )
            return
        self.periods.append(period)

    def pay_interest(self, amount: Decimal) -> None:
        """Pay (or remit) interest, the oldest first; at most what is open, to the cent."""
        left = amount
        for name in ("capitalised", "current"):
            owed: Decimal = getattr(self, name)
            share = min(left, owed)
            setattr(self, name, owed - share)
            left -= share
        if self.open_interest < CENT / 2:
            self.capitalised = self.current = Decimal(0)

    def reduce_principal(self, amount: Decimal) -> None:
        """Less principal from now on (paid, or credited); never below zero."""
        self.principal = max(self.principal - amount, Decimal(0))

    @property
    def confirmed(self) -> bool:
        """True when every period was computed with a confirmed rate."""
        return all(p.confirmed for p in self.periods)


@dataclass(frozen=True)
class InterestStatement:
    """Interest on a claim up to a date: the periods and their total (to the cent)."""

    kind: RateKind
    start: date
    as_of: date
    periods: tuple[InterestPeriod, ...]
    total: Decimal

    @property
    def confirmed(self) -> bool:
        """True when no period used an unconfirmed rate."""
        return all(p.confirmed for p in self.periods)


def statutory_interest(
    principal: Decimal, kind: RateKind, start: date, as_of: date, table: RateTable
) -> InterestStatement:
    """Statutory interest on `principal` from `start` (the first day it runs) up to, not
    including, `as_of`, nothing paid meanwhile.

    Example (commercial, 10,000.00 from 1 January 2023): 10.5% for 181 days and 12% for 184
    days of a 365-day interest year, 520.6849… + 604.9315… = 1,125.62 as of 1 January 2024;
    from then on it runs on 11,125.62 (and the cents beyond).
    """
    account = InterestAccount(kind, start, principal, table)
    account.accrue(as_of)
    return InterestStatement(
        kind,
        start,
        as_of,
        tuple(account.periods),
        account.accrued.quantize(CENT, rounding=ROUND_HALF_UP),
    )
