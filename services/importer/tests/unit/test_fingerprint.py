"""Fingerprints are stored with every document: one computed differently after an upgrade would
make every document of every administration look changed at the next import."""

from datetime import date
from decimal import Decimal

import pytest

from settle_importer.domain import ImportedInvoice, invoice_fingerprint
from settle_importer.domain.fingerprint import fixed_half

pytestmark = pytest.mark.unit

STORED = [
    (
        ImportedInvoice(
            "F2026-0042",
            "D017",
            date(2026, 1, 5),
            date(2026, 2, 4),
            Decimal("1234.56"),
            Decimal("-0.00"),
            "EUR",
            "30 dagen",
        ),
        "ad5c8498bddb6f704dea9b377a5a70c6",
    ),
    (
        ImportedInvoice(
            "C2026-0007",
            "D017",
            date(2026, 3, 1),
            date(2026, 3, 1),
            Decimal("-99.95"),
            Decimal("-12.50"),
            "EUR",
            None,
            kind="credit_note",
            pdf_url="https://example.nl/c7.pdf",
        ),
        "81f3bbe6b2cfa788d6ede04ba029140d",
    ),
]


@pytest.mark.parametrize(("document", "stored"), STORED, ids=["invoice", "credit note"])
def test_a_fingerprint_is_the_one_earlier_versions_stored(
    document: ImportedInvoice, stored: str
) -> None:
    assert invoice_fingerprint(document) == stored


def test_only_an_updatable_field_changing_keeps_the_fixed_half() -> None:
    before = ImportedInvoice(
        "F1", "D1", date(2026, 1, 5), date(2026, 2, 4), Decimal("10.00"), Decimal("10.00"), "EUR"
    )
    paid_part = ImportedInvoice(
        "F1", "D1", date(2026, 1, 5), date(2026, 2, 4), Decimal("10.00"), Decimal("4.00"), "EUR"
    )
    new_due_date = ImportedInvoice(
        "F1", "D1", date(2026, 1, 5), date(2026, 3, 4), Decimal("10.00"), Decimal("10.00"), "EUR"
    )
    assert invoice_fingerprint(before) != invoice_fingerprint(paid_part)
    assert fixed_half(invoice_fingerprint(before)) == fixed_half(invoice_fingerprint(paid_part))
    assert fixed_half(invoice_fingerprint(before)) != fixed_half(invoice_fingerprint(new_due_date))
