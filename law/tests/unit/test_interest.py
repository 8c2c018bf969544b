"""Statutory interest with worked examples: across rate changes, across an interest year with
capitalisation, consumer and commercial; the rate table refuses gaps and overlaps; and the
properties: never negative, additive over split periods."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from settle_law.interest import (
    InterestAccount,
    RateKind,
    RatePeriod,
    RateTableError,
    RateUnknown,
    parse_rate_table,
    rate_table_csv,
    statutory_interest,
)
from settle_law.published import published_rates

pytestmark = pytest.mark.unit

TABLE = published_rates()
# Amounts are kept to 28 significant digits; sums in another order may differ far below a cent.
TINY = Decimal("1e-12")
COMMERCIAL, CONSUMER = RateKind.COMMERCIAL, RateKind.CONSUMER


def test_commercial_interest_over_two_rate_changes_and_a_capitalisation() -> None:
    # Year 1 (365 days): 10.5% for 181 days, 12% for 184 days on 10,000.00.
    one = statutory_interest(
        Decimal("10000"), COMMERCIAL, date(2023, 1, 1), date(2024, 1, 1), TABLE
    )
    assert one.total == Decimal("1125.62")
    assert [(p.start, p.days, p.rate) for p in one.periods] == [
        (date(2023, 1, 1), 181, Decimal("10.5")),
        (date(2023, 7, 1), 184, Decimal("12")),
    ]
    # Year 2 (366 days: 2024 is a leap year) runs on the principal plus year 1's interest.
    two = statutory_interest(
        Decimal("10000"), COMMERCIAL, date(2023, 1, 1), date(2025, 1, 1), TABLE
    )
    assert two.total == Decimal("2502.34")
    assert [(p.base.quantize(Decimal("0.01")), p.year_days) for p in two.periods[2:]] == [
        (Decimal("11125.62"), 366),
        (Decimal("11125.62"), 366),
    ]
    assert two.confirmed


def test_consumer_interest_counts_interest_years_from_the_default_not_calendar_years() -> None:
    # From 15 March 2023: 4%, 6% and 7% in a first interest year of 366 days (it holds
    # 29 February 2024), then 170 days at 7% on 1,000.00 plus that year's 56.12.
    statement = statutory_interest(
        Decimal("1000"), CONSUMER, date(2023, 3, 15), date(2024, 9, 1), TABLE
    )
    assert statement.total == Decimal("90.55")
    assert [(p.start, p.days, p.rate, p.year_days) for p in statement.periods] == [
        (date(2023, 3, 15), 108, Decimal("4"), 366),
        (date(2023, 7, 1), 184, Decimal("6"), 366),
        (date(2024, 1, 1), 74, Decimal("7"), 366),
        (date(2024, 3, 15), 108, Decimal("7"), 365),
        (date(2024, 7, 1), 62, Decimal("7"), 365),
    ]
    # The rate of 1 July 2024 could not be confirmed from an official publication.
    assert not statement.confirmed
    assert [p.confirmed for p in statement.periods] == [True, True, True, True, False]


def test_a_full_year_at_one_rate_earns_exactly_that_rate() -> None:
    statement = statutory_interest(
        Decimal("1000"), CONSUMER, date(2016, 1, 1), date(2017, 1, 1), TABLE
    )
    assert statement.total == Decimal("20.00")


def test_nothing_accrues_on_the_first_day() -> None:
    day = date(2024, 5, 1)
    assert statutory_interest(Decimal("1000"), CONSUMER, day, day, TABLE).total == 0


def test_days_beyond_the_table_keep_the_last_rate_marked_unconfirmed() -> None:
    statement = statutory_interest(
        Decimal("1000"), CONSUMER, date(2025, 6, 1), date(2025, 8, 1), TABLE
    )
    [june, beyond] = statement.periods
    assert (june.rate, june.confirmed) == (Decimal("6"), False)
    assert (beyond.start, beyond.rate, beyond.confirmed) == (date(2025, 7, 1), Decimal("6"), False)
    assert "no published rate in the table from 2025-07-01" in beyond.source


def test_interest_before_the_table_begins_is_refused() -> None:
    with pytest.raises(RateUnknown):
        statutory_interest(Decimal("1000"), CONSUMER, date(2011, 1, 1), date(2012, 6, 1), TABLE)


def test_a_payment_of_principal_lowers_the_base_from_that_day() -> None:
    account = InterestAccount(COMMERCIAL, date(2024, 1, 1), Decimal("1000"), TABLE)
    account.accrue(date(2024, 3, 1))  # 60 days at 12.5% of a 366-day year on 1,000
    account.reduce_principal(Decimal("500"))
    account.accrue(date(2024, 5, 1))  # 61 days on 500
    expected = (
        Decimal("1000") * Decimal("0.125") * 60 / 366 + Decimal("500") * Decimal("0.125") * 61 / 366
    )
    assert abs(account.accrued - expected) < TINY
    assert [p.base for p in account.periods] == [Decimal("1000"), Decimal("500")]


def test_paid_interest_is_not_capitalised() -> None:
    account = InterestAccount(CONSUMER, date(2016, 1, 1), Decimal("1000"), TABLE)
    account.accrue(date(2016, 7, 1))
    account.pay_interest(account.open_interest)
    account.accrue(date(2017, 1, 1))
    paid = Decimal("1000") * Decimal("0.02") * 182 / 366
    assert abs(account.capitalised - (account.accrued - paid)) < TINY


# --- the rate table ------------------------------------------------------------------------


def rows(*lines: str) -> str:
    return "kind,valid_from,valid_until,rate_percent,confirmed,source\n" + "\n".join(lines)


COMMERCIAL_ROW = "commercial,2020-01-01,,8,true,law"


def test_the_published_table_reaches_back_to_2012_with_a_source_on_every_row() -> None:
    for kind in RateKind:
        periods = TABLE.periods(kind)
        assert periods[0].valid_from <= date(2012, 1, 1)
        assert all(p.source for p in periods)
    assert parse_rate_table(rate_table_csv(TABLE)).all_periods() == TABLE.all_periods()


def test_a_table_with_a_gap_is_refused() -> None:
    with pytest.raises(RateTableError) as refused:
        parse_rate_table(
            rows(
                "consumer,2020-01-01,2020-06-30,2,true,a",
                "consumer,2020-08-01,,3,true,b",
                COMMERCIAL_ROW,
            )
        )
    assert refused.value.problems == [
        "consumer: a gap from 2020-07-01 to 2020-07-31 (no rate for those days)"
    ]


def test_a_table_with_an_overlap_is_refused() -> None:
    with pytest.raises(RateTableError) as refused:
        parse_rate_table(
            rows(
                "consumer,2020-01-01,2020-06-30,2,true,a",
                "consumer,2020-06-01,,3,true,b",
                COMMERCIAL_ROW,
            )
        )
    assert "consumer: 2020-06-01 overlaps the period 2020-01-01 to 2020-06-30" in str(refused.value)


def test_unreadable_rows_are_named_by_line() -> None:
    with pytest.raises(RateTableError) as refused:
        parse_rate_table(
            rows(
                "consumer,2020-01-01,,two,true,a",
                "consumer,2021-01-01,,3,maybe,b",
                "commercial,2020-01-01,,8,true,",
            )
        )
    problems = refused.value.problems
    assert problems[0].startswith("line 2:") and "'two' is not a rate" in problems[0]
    assert problems[1].startswith("line 3:") and "confirmed must be true or false" in problems[1]


def test_only_the_last_period_may_be_open_ended_and_every_kind_is_needed() -> None:
    with pytest.raises(RateTableError) as refused:
        parse_rate_table(rows("consumer,2020-01-01,,2,true,a", "consumer,2021-01-01,,3,true,b"))
    assert refused.value.problems == [
        "consumer 2020-01-01: only the last period may be open-ended (another begins on "
        "2021-01-01)",
        "there are no commercial rates",
    ]


def test_an_operator_adds_the_next_published_rate() -> None:
    added = TABLE.with_period(
        RatePeriod(CONSUMER, date(2025, 7, 1), None, Decimal("4"), "Stb. 2025, 999", True)
    )
    statement = statutory_interest(
        Decimal("1000"), CONSUMER, date(2025, 7, 1), date(2025, 8, 1), added
    )
    assert [(p.rate, p.confirmed) for p in statement.periods] == [(Decimal("4"), True)]
    with pytest.raises(RateTableError):
        TABLE.with_period(RatePeriod(CONSUMER, date(2025, 9, 1), None, Decimal("4"), "gap", True))


# --- properties ------------------------------------------------------------------------------

days = st.dates(min_value=date(2012, 1, 1), max_value=date(2027, 12, 31))
amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)


@settings(max_examples=60, deadline=None)
@given(amounts, st.sampled_from(list(RateKind)), days, st.integers(0, 2000))
def test_interest_is_never_negative_and_grows_with_time(
    principal: Decimal, kind: RateKind, start: date, length: int
) -> None:
    earlier = statutory_interest(principal, kind, start, start + timedelta(days=length), TABLE)
    later = statutory_interest(principal, kind, start, start + timedelta(days=length + 30), TABLE)
    assert 0 <= earlier.total <= later.total


@settings(max_examples=60, deadline=None)
@given(
    amounts,
    st.sampled_from(list(RateKind)),
    days,
    st.lists(st.integers(1, 400), min_size=1, max_size=6),
)
def test_interest_is_additive_over_split_periods(
    principal: Decimal, kind: RateKind, start: date, steps: list[int]
) -> None:
    end = start + timedelta(days=sum(steps))
    whole = InterestAccount(kind, start, principal, TABLE)
    whole.accrue(end)
    split = InterestAccount(kind, start, principal, TABLE)
    day = start
    for step in steps:
        day += timedelta(days=step)
        split.accrue(day)
    assert abs(split.accrued - whole.accrued) < TINY
    assert abs(sum((p.amount for p in whole.periods), Decimal(0)) - whole.accrued) < TINY
    assert sum(p.days for p in whole.periods) == (end - start).days or principal == 0
