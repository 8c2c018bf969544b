"""The published history of the statutory rates, as shipped with Settle
(`data/statutory_interest_rates.csv`, one row per period with its source). A service loads it
into its own table once (a migration); an operator adds newer rates there without a release."""

from __future__ import annotations

from importlib.resources import files

from settle_law.interest import RateTable, parse_rate_table


def published_rates_csv() -> str:
    """The shipped rate table as CSV text."""
    return (files("settle_law") / "data" / "statutory_interest_rates.csv").read_text("utf-8")


def published_rates() -> RateTable:
    """The shipped rate table, checked (a gap or an overlap would be refused)."""
    return parse_rate_table(published_rates_csv())
