"""Debtor search by the start of the words of a name (or of the number).

A debtor's name is cut into words once, when it is written (`rm_debtor_words`); a search
looks up the start of each word typed as a range on an index (why: docs/api.md, Search)."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without accents: "Café Ğüneş" and "cafe gunes" are the same words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of a text, in order (letters and digits; the rest separates)."""
    return _WORD.findall(fold(text))


def debtor_words(name: str, number: str) -> set[str]:
    """What a debtor is found by: each word of its name and of its number, and the whole
    number as it is written ("2025-001" by "2025-0" as well as by "2025 001")."""
    return {*words(name), *words(number), fold(number).strip()} - {""}


def prefix_range(prefix: str) -> tuple[str, str]:
    """Bounds of every word starting with `prefix`: `low <= word < high` in code point order
    (collation "C" on PostgreSQL, SQLite's own)."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def search_terms(q: str) -> list[str]:
    """The words a search looks for, longest first: the longest is the most selective, so it
    drives the range scan and the others only check the debtors it found."""
    return sorted(set(words(q)), key=lambda term: (-len(term), term))
