"""Extrajudicial collection costs on the Dutch WIK scale (Besluit vergoeding voor
buitengerechtelijke incassokosten). The consumer's 14-day letter must state them."""

from decimal import ROUND_HALF_UP, Decimal

# (size of the band, rate within it): 15% of the first 2,500, 10% of the next 2,500, …
_BANDS = (
    (Decimal("2500"), Decimal("0.15")),
    (Decimal("2500"), Decimal("0.10")),
    (Decimal("5000"), Decimal("0.05")),
    (Decimal("190000"), Decimal("0.01")),
)
_REST_RATE = Decimal("0.005")
MINIMUM = Decimal("40.00")
MAXIMUM = Decimal("6775.00")
CENT = Decimal("0.01")


def collection_costs(principal: Decimal) -> Decimal:
    """The WIK amount for a principal (for one letter about several invoices: their sum).

    Examples from the decree's scale: 125 → 40.00; 2,500 → 375.00; 5,000 → 625.00;
    10,000 → 875.00; 200,000 → 2,775.00; 1,000,000 → 6,775.00.
    """
    if principal <= 0:
        return Decimal("0.00")
    remaining, costs = principal, Decimal(0)
    for size, rate in _BANDS:
        part = min(remaining, size)
        costs += part * rate
        remaining -= part
        if remaining <= 0:
            break
    costs += max(remaining, Decimal(0)) * _REST_RATE
    return min(max(costs, MINIMUM), MAXIMUM).quantize(CENT, rounding=ROUND_HALF_UP)
