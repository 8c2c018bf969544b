"""Amounts are stored in cents: exactly, both ways, and never rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from settle_importer.domain.snapshot import cents, from_cents

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("12.50", 1250),
        ("12.5", 1250),
        ("7", 700),
        ("-0.05", -5),
        ("0.00", 0),
        ("-1234567890123.99", -123456789012399),
    ],
)
def test_an_amount_in_whole_cents_is_stored_as_its_cents_and_read_back(
    amount: str, stored: int
) -> None:
    assert cents(Decimal(amount)) == stored
    assert from_cents(stored) == Decimal(amount)
    assert str(from_cents(stored)) == str(Decimal(amount).quantize(Decimal("0.01")))


@pytest.mark.parametrize("amount", ["0.005", "12.345", "-0.001"])
def test_an_amount_with_a_fraction_of_a_cent_is_refused_not_rounded(amount: str) -> None:
    with pytest.raises(ValueError, match="not a whole number of cents"):
        cents(Decimal(amount))
