"""Reading amounts and dates written as text, the way bookkeeping exports write them.

Parsers refuse anything ambiguous instead of guessing: with a Dutch format (``1.234,56``) the
text ``1234.56`` is refused, because reading it as 123456 would silently multiply the amount.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from settle_importer.domain.validation import RecordRejected

_CURRENCY_SIGNS = "€$£"
# Dates repeat a lot in an export (a few hundred distinct values in 100,000 rows); the cache
# stops growing at this size so a file full of distinct junk cannot grow memory.
_DATE_CACHE_LIMIT = 20_000


class AmountParser:
    """Parses amounts such as ``1.234,56``, ``-12,50``, ``12,50-``, ``(12,50)`` or ``€ 12,50``."""

    def __init__(self, *, decimal_comma: bool, thousands_separator: str | None) -> None:
        decimal = "," if decimal_comma else "."
        if thousands_separator == decimal:
            raise ValueError("the thousands separator cannot be the decimal separator")
        self._decimal = decimal
        self._thousands = thousands_separator
        d = re.escape(decimal)
        if thousands_separator:
            t = re.escape(thousands_separator)
            pattern = rf"(?:[0-9]+|[0-9]{{1,3}}(?:{t}[0-9]{{3}})+)(?:{d}[0-9]+)?"
        else:
            pattern = rf"[0-9]+(?:{d}[0-9]+)?"
        self._pattern = re.compile(pattern)
        example = "1.234,56" if decimal_comma else "1,234.56"
        if not thousands_separator:
            example = "1234,56" if decimal_comma else "1234.56"
        self.example = example

    def __call__(self, text: str, what: str) -> Decimal:
        """Return the amount in ``text``; ``what`` names the field in the reason of a refusal."""
        s = text.strip()
        if self._pattern.fullmatch(s):
            return Decimal(self._canonical(s))
        if not s:
            raise RecordRejected(f"{what} is empty")
        negative = False
        if s[0] == "(" and s[-1] == ")":
            negative, s = True, s[1:-1].strip()
        elif s[-1] == "-":
            negative, s = True, s[:-1].rstrip()
        if s and s[0] in _CURRENCY_SIGNS:
            s = s[1:].lstrip()
        if s and s[0] in "+-":
            negative = negative != (s[0] == "-")
            s = s[1:].lstrip()
        if s and s[0] in _CURRENCY_SIGNS:
            s = s[1:].lstrip()
        if not self._pattern.fullmatch(s):
            raise RecordRejected(f"{what} '{text.strip()}' is not an amount like {self.example}")
        value = Decimal(self._canonical(s))
        return -value if negative else value

    def _canonical(self, s: str) -> str:
        if self._thousands:
            s = s.replace(self._thousands, "")
        if self._decimal == ",":
            s = s.replace(",", ".")
        return s


def human_date_format(strptime_format: str) -> str:
    """``%d-%m-%Y`` -> ``dd-mm-yyyy``, for messages users read."""
    return (
        strptime_format.replace("%d", "dd")
        .replace("%m", "mm")
        .replace("%Y", "yyyy")
        .replace("%y", "yy")
    )


class DateParser:
    """Parses dates in one ``strptime`` format, remembering the dates it has seen."""

    def __init__(self, strptime_format: str) -> None:
        self.format = strptime_format
        self.example = human_date_format(strptime_format)
        self._iso = strptime_format == "%Y-%m-%d"
        self._cache: dict[str, date] = {}

    def __call__(self, text: str, what: str) -> date:
        """Return the date in ``text``; ``what`` names the field in the reason of a refusal."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        s = text.strip()
        if not s:
            raise RecordRejected(f"{what} is empty")
        try:
            if self._iso and len(s) == 10:
                parsed = date.fromisoformat(s)
            else:
                # only the date part of the format is used; nothing here is an instant in time
                parsed = datetime.strptime(s, self.format).date()  # noqa: DTZ007
        except ValueError:
            raise RecordRejected(
                f"{what} '{s}' is not a valid date in the format {self.example}"
            ) from None
        if len(self._cache) < _DATE_CACHE_LIMIT:
            self._cache[text] = parsed
        return parsed
