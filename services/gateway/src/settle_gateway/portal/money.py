"""Amounts as the debtor reads them, written the way Babel writes them, at a fraction of the
cost: Babel's `format_currency` took about 0.45 ms per amount, a third of a portal page's time
(bench/portal.py). The shape of each currency in each locale (prefix, suffix, group and decimal
signs, for positive and negative amounts) is read once from Babel's own output for a sample,
and every amount after that is Python's number formatting with those signs. A locale whose
output does not have the expected shape is left to Babel, so the text never differs from it
(the gateway's tests/unit/test_portal_money.py compares the two)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from babel.numbers import format_currency, get_currency_precision

_SAMPLE = re.compile(r"1(\D?)234\1567(?:(\D)(8+))?")


@dataclass(frozen=True)
class MoneyFormat:
    """How one currency is written in one locale."""

    currency: str
    locale: str
    digits: int
    group: str
    decimal: str
    positive: tuple[str, str]
    negative: tuple[str, str]

    def __call__(self, amount: Decimal) -> str:
        """The amount, rounded to the currency's digits as Babel rounds it."""
        rounded = amount.quantize(Decimal(1).scaleb(-self.digits), rounding=ROUND_HALF_EVEN)
        whole, _, fraction = f"{abs(rounded):,.{self.digits}f}".partition(".")
        number = whole.replace(",", self.group) + (self.decimal + fraction if fraction else "")
        prefix, suffix = self.negative if rounded < 0 else self.positive
        return prefix + number + suffix


def _shape(text: str, digits: int) -> tuple[str, str, str, str] | None:
    """(prefix, suffix, group, decimal) of Babel's text for the sample, if it has that shape."""
    found = _SAMPLE.search(text)
    if found is None or (digits and (found.group(3) or "") != "8" * digits):
        return None
    return text[: found.start()], text[found.end() :], found.group(1), found.group(2) or ""


@functools.lru_cache(maxsize=256)
def money_format(currency: str, locale: str) -> MoneyFormat | None:
    """The format of a currency in a locale, or None when Babel's text has another shape."""
    digits = get_currency_precision(currency)
    sample = Decimal(1234567) + (Decimal("8" * digits).scaleb(-digits) if digits else 0)
    positive = _shape(str(format_currency(sample, currency, locale=locale)), digits)
    negative = _shape(str(format_currency(-sample, currency, locale=locale)), digits)
    if positive is None or negative is None or positive[2:] != negative[2:]:
        return None
    return MoneyFormat(
        currency=currency,
        locale=locale,
        digits=digits,
        group=positive[2],
        decimal=positive[3],
        positive=positive[:2],
        negative=negative[:2],
    )


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """The amount with its currency in the locale, e.g. `€ 1.234,56` in nl_NL."""
    shape = money_format(currency, locale)
    if shape is None:
        return str(format_currency(amount, currency, locale=locale))
    return shape(amount)
