"""Payment terms as people write them: how many days after the invoice date an invoice is due.

A UBL invoice may state its terms instead of a due date (Peppol rule BR-CO-25): a note such as
"Payment within 30 days". The forms read are the common ones in Dutch, English, German and
French bookkeeping:

- a number of days: "Payment within 30 days", "30 dagen", "netto 14 dagen",
  "binnen 30 dagen na factuurdatum", "Zahlbar innerhalb von 14 Tagen", "30 jours";
- net terms written the other way round: "Net 30", "30 Tage netto";
- payment on receipt: "Due on receipt", "Direct", "Sofort", "À réception" (0 days).

When the note gives a cash discount and a net term ("2% korting binnen 8 dagen, netto 30
dagen") the longest term is the due date. What is not understood gives ``None``, so the
caller falls back to a default it flags for a person: a discount period alone ("Payment within
10 days, 2% discount") says when the discount ends, not when the invoice is due; "end of
month" terms ("30 dagen einde maand", "30 jours fin de mois") move the date in a way the note
alone does not settle; a term of more than a year is taken for a typo.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MAX_TERM_DAYS = 365

_DAY_WORDS = r"days?|dagen|dag|tagen?|tag|jours?|j\b|dage|dagar|giorni|d[ií]as"
# "30 days", "30-dagen", "14 Tagen"
_DAYS = re.compile(rf"(?<![\d.,])(\d{{1,4}})\s*-?\s*(?:{_DAY_WORDS})", re.IGNORECASE)
# "net 30", "netto 14"
_NET = re.compile(r"\bnet(?:to)?\s*(\d{1,4})(?![\d.,%])", re.IGNORECASE)
_RECEIPT = re.compile(
    r"\b(?:on receipt|upon receipt|immediate(?:ly)?|bij ontvangst|direct|contant|sofort"
    r"|bei erhalt|à réception|a reception|comptant)\b",
    re.IGNORECASE,
)
_DISCOUNT = re.compile(r"%|\b(?:discount|korting|skonto|escompte|rabatt)\b", re.IGNORECASE)
_END_OF_MONTH = re.compile(
    r"\b(?:end of (?:the )?month|eom|einde (?:van de )?maand|ultimo|monatsende"
    r"|ende des monats|fin de mois)\b",
    re.IGNORECASE,
)


def term_days(note: str) -> int | None:
    """The number of days after the invoice date that the terms in ``note`` allow, or ``None``
    when the note does not say (clearly).

    >>> term_days("Payment within 30 days")
    30
    >>> term_days("2% korting bij betaling binnen 8 dagen, netto 30 dagen")
    30
    >>> term_days("Payment within 10 days, 2% discount") is None
    True
    """
    text = " ".join(note.split())
    if not text or _END_OF_MONTH.search(text):
        return None
    terms = [int(found) for found in _DAYS.findall(text)]
    terms += [int(found) for found in _NET.findall(text)]
    if not terms:
        return 0 if _RECEIPT.search(text) else None
    if _DISCOUNT.search(text) and len(set(terms)) < 2:
        return None  # only the discount period is given
    days = max(terms)
    return days if days <= MAX_TERM_DAYS else None


def due_date_from_terms(invoice_date: date, note: str) -> date | None:
    """The due date the terms in ``note`` give an invoice of ``invoice_date``, or ``None``."""
    days = term_days(note)
    return None if days is None else invoice_date + timedelta(days=days)
