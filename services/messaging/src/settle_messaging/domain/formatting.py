"""Amounts, dates and countries written the way the debtor reads them (Babel)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, get_currency_precision

from settle_messaging.domain.model import Money

# The region a language is written in when the debtor's own country does not say otherwise.
# English goes to en_GB: day-month-year and "1 March 2025", which European debtors expect.
_DEFAULT_REGION = {"nl": "NL", "en": "GB", "de": "DE", "fr": "FR"}


@lru_cache(maxsize=256)
def _known(locale: str) -> bool:
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return False
    return True


def locale_for(language: str, country: str | None = None) -> str:
    """Return the Babel locale for a language as spoken in a country.

    ``nl`` + ``BE`` gives ``nl_BE``; a combination Babel does not know falls back to the
    language's usual region, then to the bare language.
    """
    if country and _known(f"{language}_{country}"):
        return f"{language}_{country}"
    region = _DEFAULT_REGION.get(language)
    if region and _known(f"{language}_{region}"):
        return f"{language}_{region}"
    return language if _known(language) else "en_GB"


@lru_cache(maxsize=256)
def language_of_country(country: str) -> str | None:
    """The language most people in a country (ISO 3166 code) read, by CLDR's likely subtags:
    ``SE`` gives ``sv``, ``GB`` ``en``, ``BE`` ``nl``; ``None`` for a code CLDR does not know."""
    if len(country) != 2 or not country.isalpha():
        return None
    try:
        locale = Locale.parse(f"und_{country.upper()}")
    except (UnknownLocaleError, ValueError):
        return None
    if locale.territory != country.upper():
        return None  # an unknown region falls back to a guess (en_US): no answer
    return str(locale.language)


def format_money(money: Money | Decimal, locale: str, currency: str | None = None) -> str:
    """Format an amount with its currency for a locale, e.g. ``€ 1.234,50`` in ``nl_NL``.

    Any ISO 4217 currency, with the digits it has (``JP¥ 1.235``, ``KWD 1.234,500``); an
    amount with more decimals than its currency has keeps them rather than being rounded:
    what the debtor reads is what the invoice says."""
    if isinstance(money, Money):
        amount, code = money.amount, money.currency
    else:
        if currency is None:
            raise ValueError("a bare amount needs a currency")
        amount, code = money, currency
    return _money(amount, code, locale)


# Formatting is a large part of rendering a message, and every amount and date of a message is
# written at least twice (text and HTML), dates many times over: results are kept. Equal
# amounts give equal text (they are rounded to the currency's digits), so the cache is exact.
@lru_cache(maxsize=4096)
def _money(amount: Decimal, currency: str, locale: str) -> str:
    digits = get_currency_precision(currency)
    exact = amount == amount.quantize(Decimal(1).scaleb(-digits))
    if exact:
        return str(format_currency(amount, currency, locale=locale))
    return str(
        format_currency(amount.normalize(), currency, locale=locale, decimal_quantization=False)
    )


@lru_cache(maxsize=4096)
def format_day(day: date, locale: str, style: str = "long") -> str:
    """Format a business date for a locale; ``style`` is Babel's short/medium/long/full."""
    return str(babel_format_date(day, format=style, locale=locale))


def country_name(country: str, locale: str) -> str:
    """Name a country (ISO 3166 code) in the reader's language, for an address block."""
    territories = Locale.parse(locale).territories
    return str(territories.get(country, country))
