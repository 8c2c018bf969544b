"""Ignore lists: invoices an administration never wants Settle to chase.

An administration keeps three lists: invoice numbers, debtor numbers and payment conditions. Each
entry is an exact value or an inclusive range. Written as text (how users type them):

- ``"1000-1999"``: a range when both sides are whole numbers and the first is not larger than
  the second; otherwise the text is one exact value, so ``"2024-001"`` stays an invoice number;
- ``"A100 .. A199"`` or ``"2024-001 - 2024-099"``: ``..`` or a hyphen with spaces around it
  always makes a range;
- anything else is an exact value.

A value falls in a range by numeric comparison when the value and both bounds are whole numbers,
and by plain text comparison otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_NUMERIC_RANGE = re.compile(r"^\s*([0-9]+)\s*-\s*([0-9]+)\s*$")
_EXPLICIT_RANGE = re.compile(r"^\s*(.+?)\s*(?:\.\.|\s-\s)\s*(.+?)\s*$")


def _whole(text: str) -> bool:
    return text.isascii() and text.isdigit()


@dataclass(frozen=True, slots=True)
class IgnoreRange:
    """An inclusive range of values."""

    low: str
    high: str

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if _whole(value) and _whole(self.low) and _whole(self.high):
            return int(self.low) <= int(value) <= int(self.high)
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low}..{self.high}"


@dataclass(frozen=True, slots=True)
class IgnoreList:
    """Exact values and ranges; ``value in ignore_list`` tells whether to ignore it."""

    exact: frozenset[str] = frozenset()
    ranges: tuple[IgnoreRange, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> IgnoreList:
        """Read the entries as users write them (see the module docstring)."""
        exact: set[str] = set()
        ranges: list[IgnoreRange] = []
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            numeric = _NUMERIC_RANGE.match(entry)
            if numeric and int(numeric.group(1)) <= int(numeric.group(2)):
                ranges.append(IgnoreRange(numeric.group(1), numeric.group(2)))
                continue
            explicit = _EXPLICIT_RANGE.match(entry)
            if explicit and not numeric:
                ranges.append(IgnoreRange(explicit.group(1), explicit.group(2)))
                continue
            exact.add(entry)
        return cls(frozenset(exact), tuple(ranges))

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if value in self.exact:
            return True
        return any(value in r for r in self.ranges)

    def __bool__(self) -> bool:
        return bool(self.exact or self.ranges)


@dataclass(frozen=True, slots=True)
class IgnoreRules:
    """An administration's three ignore lists."""

    invoice_numbers: IgnoreList = field(default_factory=IgnoreList)
    debtor_numbers: IgnoreList = field(default_factory=IgnoreList)
    payment_conditions: IgnoreList = field(default_factory=IgnoreList)

    @classmethod
    def parse(
        cls,
        *,
        invoice_numbers: Iterable[str] = (),
        debtor_numbers: Iterable[str] = (),
        payment_conditions: Iterable[str] = (),
    ) -> IgnoreRules:
        """Build the rules from the three lists as users write them."""
        return cls(
            IgnoreList.parse(invoice_numbers),
            IgnoreList.parse(debtor_numbers),
            IgnoreList.parse(payment_conditions),
        )

    def __bool__(self) -> bool:
        return bool(self.invoice_numbers or self.debtor_numbers or self.payment_conditions)
