"""Amounts of money: a Decimal quantised to its currency's minor unit, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# ISO 4217 currencies without cents; every other currency we meet has two decimals.
NO_MINOR_UNIT = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                           "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})  # fmt: skip
ZERO = Decimal("0.00")


def decimals(currency: str) -> int:
    """How many decimals an amount in `currency` has (2 for EUR, 0 for JPY)."""
    return 0 if currency.upper() in NO_MINOR_UNIT else 2


def to_amount(value: Decimal | int | str, currency: str = "EUR") -> Decimal:
    """`value` quantised to the currency's minor unit, half up: Decimal("12.5") -> 12.50 EUR."""
    exponent = Decimal(1).scaleb(-decimals(currency))
    return Decimal(value).quantize(exponent, rounding=ROUND_HALF_UP)


def is_currency_code(code: str) -> bool:
    """True for a code shaped like ISO 4217 (three capital letters)."""
    return len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()


def to_minor(amount: Decimal, currency: str) -> int:
    """The amount in the currency's minor unit (cents), as the database keeps it."""
    return int(to_amount(amount, currency).scaleb(decimals(currency)))


def from_minor(minor: int, currency: str) -> Decimal:
    """An amount kept in minor units back as a Decimal: 1250 EUR -> 12.50."""
    return to_amount(Decimal(minor).scaleb(-decimals(currency)), currency)
