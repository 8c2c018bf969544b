"""The consumer's 14-day letter (art. 6:96 lid 6 BW): before collection costs may be charged
to a consumer, a letter must state them and give 14 days to pay, counted from the day after
the letter was received. Its sending must be provable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TERM_DAYS = 14


@dataclass(frozen=True)
class LetterTerm:
    """When a 14-day letter went out, when it counts as received, the last day of its term,
    and the first day costs may be charged (and the consumer is in default)."""

    sent_on: date
    received_on: date
    term_ends_on: date

    @property
    def costs_from(self) -> date:
        """The first day after the term: costs may be charged, statutory interest runs."""
        return self.term_ends_on + timedelta(days=1)

    def passed(self, today: date) -> bool:
        """True once the whole term lies before `today`."""
        return today >= self.costs_from


def fourteen_day_term(sent_on: date, delivery_days: int) -> LetterTerm:
    """The term of a letter sent on `sent_on` that counts as received `delivery_days` later
    (0 for an email read the same day; a posted letter takes a day or two).

    Example: sent on Monday 2 June 2025, delivered in 2 days → received 4 June, the 14 days run
    5 to 18 June, costs from 19 June.
    """
    if delivery_days < 0:
        raise ValueError("a letter cannot arrive before it is sent")
    received = sent_on + timedelta(days=delivery_days)
    return LetterTerm(sent_on, received, received + timedelta(days=TERM_DAYS))
