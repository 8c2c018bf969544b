"""Payment terms as bookkeeping writes them, read into a number of days."""

from __future__ import annotations

from datetime import date

import pytest

from settle_importer.domain.payment_terms import due_date_from_terms, term_days

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("note", "days"),
    [
        ("Payment within 30 days", 30),  # the Peppol examples' own words
        ("30 dagen", 30),
        ("netto 14 dagen", 14),
        ("binnen 30 dagen na factuurdatum", 30),
        ("Zahlbar innerhalb von 14 Tagen", 14),
        ("30 jours", 30),
        ("Paiement à 45 jours", 45),
        ("Net 30", 30),
        ("NETTO 21", 21),
        ("30 Tage netto", 30),
        ("Betalingstermijn: 8-dagen", 8),
        ("2% korting bij betaling binnen 8 dagen, netto 30 dagen", 30),
        ("Zahlbar innerhalb von 10 Tagen mit 2% Skonto, 30 Tage netto", 30),
        ("2/10 net 30", 30),
        ("Due on receipt", 0),
        ("Betaling direct bij ontvangst", 0),
        ("Zahlbar sofort", 0),
    ],
)
def test_common_terms_are_read(note: str, days: int) -> None:
    assert term_days(note) == days


@pytest.mark.parametrize(
    "note",
    [
        "",
        "   ",
        "Please pay soon",
        "Payment within 10 days, 2% discount",  # when the discount ends, not when it is due
        "30 dagen einde maand",  # the end of the month moves the date
        "30 jours fin de mois",
        "Payment within 4000 days",  # a typo, not a term
    ],
)
def test_terms_that_do_not_say_clearly_give_nothing(note: str) -> None:
    assert term_days(note) is None


def test_the_due_date_counts_from_the_invoice_date() -> None:
    assert due_date_from_terms(date(2018, 8, 30), "Payment within 30 days") == date(2018, 9, 29)
    assert due_date_from_terms(date(2018, 8, 30), "whenever you like") is None
