"""The portal writes amounts exactly as Babel does, only faster."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from babel.numbers import format_currency

from settle_gateway.portal.money import format_money

pytestmark = pytest.mark.unit

LOCALES = ["nl_NL", "nl_BE", "en_GB", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_BE", "fr_CH"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "JPY", "BHD"]


def amounts() -> list[Decimal]:
    rng = random.Random(7)
    fixed = ["0", "0.01", "-0.01", "1", "999.99", "1000", "1234.56", "-1234.56", "0.005",
             "0.015", "2.5", "1000000", "99999999.99", "-42"]  # fmt: skip
    drawn = [
        Decimal(rng.randrange(-(10**10), 10**10)).scaleb(-rng.randrange(0, 4)) for _ in range(300)
    ]
    return [Decimal(a) for a in fixed] + drawn


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_every_amount_reads_as_babel_writes_it(locale: str, currency: str) -> None:
    for amount in amounts():
        assert format_money(amount, currency, locale) == format_currency(
            amount, currency, locale=locale
        ), (amount, currency, locale)


def test_dutch_euros() -> None:
    assert format_money(Decimal("1234.56"), "EUR", "nl_NL") == "€\xa01.234,56"
