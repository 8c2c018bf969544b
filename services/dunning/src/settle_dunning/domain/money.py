"""Money amounts as `Decimal`, quantised explicitly to cents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_amount(value: Decimal | int | str) -> Decimal:
    """Return `value` as a Decimal rounded half-up to cents.

    Floats are refused by type: a float amount has already lost its cents.
    """
    if isinstance(value, float):
        raise TypeError("amounts must not be floats")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
