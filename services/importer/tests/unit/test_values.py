from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_importer.adapters.sources.values import AmountParser, DateParser
from settle_importer.domain import RecordRejected

pytestmark = pytest.mark.unit

dutch = AmountParser(decimal_comma=True, thousands_separator=".")
english = AmountParser(decimal_comma=False, thousands_separator=",")
plain = AmountParser(decimal_comma=False, thousands_separator=None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("0,5", "0.5"),
        ("1.234.567", "1234567"),
        ("-1.234,56", "-1234.56"),
        ("1.234,56-", "-1234.56"),
        ("(12,50)", "-12.50"),
        ("€ 12,50", "12.50"),
        ("-€ 12,50", "-12.50"),
        ("  7  ", "7"),
    ],
)
def test_dutch_amounts(text: str, expected: str) -> None:
    assert dutch(text, "amount") == Decimal(expected)


def test_english_and_plain_amounts() -> None:
    assert english("1,234.56", "amount") == Decimal("1234.56")
    assert plain("1234.56", "amount") == Decimal("1234.56")


@pytest.mark.parametrize(
    "text",
    [
        "1234.56",  # a dot decimal in a Dutch file would silently become 123456
        "1.23,4",
        "12,3,4",
        "abc",
        "NaN",
        "Infinity",
        "1e5",
        "--5",
        "",
    ],
)
def test_dutch_parser_refuses_what_it_cannot_read_for_sure(text: str) -> None:
    with pytest.raises(RecordRejected) as caught:
        dutch(text, "open amount")

    assert caught.value.reason.startswith("open amount")


def test_refusal_shows_the_expected_format() -> None:
    with pytest.raises(RecordRejected, match=r"'12\.5' is not an amount like 1\.234,56"):
        dutch("12.5", "amount")


def test_dates_in_a_configured_format() -> None:
    parse = DateParser("%d-%m-%Y")

    assert parse("05-03-2024", "invoice date") == date(2024, 3, 5)
    assert parse("05-03-2024", "invoice date") == date(2024, 3, 5)  # from the cache


@pytest.mark.parametrize("text", ["31-02-2024", "2024-03-05", "5 maart 2024", ""])
def test_unreadable_dates_are_refused_with_the_format(text: str) -> None:
    with pytest.raises(RecordRejected, match="due date") as caught:
        DateParser("%d-%m-%Y")(text, "due date")

    assert text == "" or "dd-mm-yyyy" in caught.value.reason


def test_iso_dates() -> None:
    assert DateParser("%Y-%m-%d")("2024-03-05", "due date") == date(2024, 3, 5)
