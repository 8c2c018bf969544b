"""Extrajudicial collection costs on the Dutch WIK scale (Besluit vergoeding voor
buitengerechtelijke incassokosten, Stb. 2012, 141), and contractual costs for businesses.

The scale is on the principal: 15% of the first 2,500; 10% of the next 2,500; 5% of the next
5,000; 1% of the next 190,000; 0.5% of the rest; never less than 40 or more than 6,775. When
one letter or one case covers several invoices, the costs are computed once on their summed
principal. VAT comes on top only when the creditor cannot deduct it (and says so).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# (size of the band, rate within it): 15% of the first 2,500, 10% of the next 2,500, …
BANDS = (
    (Decimal("2500"), Decimal("0.15")),
    (Decimal("2500"), Decimal("0.10")),
    (Decimal("5000"), Decimal("0.05")),
    (Decimal("190000"), Decimal("0.01")),
)
REST_RATE = Decimal("0.005")
MINIMUM = Decimal("40.00")
MAXIMUM = Decimal("6775.00")
# The Dutch standard VAT rate, charged on the costs by a creditor that cannot deduct VAT.
DUTCH_VAT_RATE = Decimal("0.21")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(amount: Decimal) -> Decimal:
    """An amount rounded to cents, half up (how every amount in a letter is written)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def collection_costs(principal: Decimal) -> Decimal:
    """The WIK amount for a principal (for one letter about several invoices: their sum).

    Examples from the decree's scale: 125 → 40.00; 2,500 → 375.00; 5,000 → 625.00;
    10,000 → 875.00; 200,000 → 2,775.00; 1,000,000 → 6,775.00. Nothing is owed on nothing.
    """
    if principal <= 0:
        return ZERO
    remaining, costs = principal, Decimal(0)
    for size, rate in BANDS:
        part = min(remaining, size)
        costs += part * rate
        remaining -= part
        if remaining <= 0:
            break
    costs += max(remaining, Decimal(0)) * REST_RATE
    return cents(min(max(costs, MINIMUM), MAXIMUM))


@dataclass(frozen=True)
class CollectionCosts:
    """Costs charged on a principal: the amount, the VAT on it (zero when the creditor
    deducts VAT), and what the debtor owes for them. `basis` says how they were computed."""

    principal: Decimal
    amount: Decimal
    vat: Decimal
    basis: str  # "wik" or "contractual"

    @property
    def total(self) -> Decimal:
        """The costs with their VAT."""
        return self.amount + self.vat


def wik_costs(principal: Decimal, *, vat_rate: Decimal | None = None) -> CollectionCosts:
    """WIK costs on a principal, with VAT at `vat_rate` on top when given (the creditor
    cannot deduct VAT).

    Example: 1,000.00 with VAT at 21% → costs 150.00, VAT 31.50, total 181.50.
    """
    amount = collection_costs(principal)
    vat = cents(amount * vat_rate) if vat_rate is not None else ZERO
    return CollectionCosts(cents(max(principal, ZERO)), amount, vat, "wik")


def bundle_costs(
    principals: Iterable[Decimal], *, vat_rate: Decimal | None = None
) -> CollectionCosts:
    """WIK costs of several invoices in one letter or case: once, on their summed principal
    (never the sum of each invoice's costs).

    Example: 100.00 and 200.00 → 45.00 (15% of 300.00), not 40.00 + 40.00.
    """
    return wik_costs(sum(principals, Decimal(0)), vat_rate=vat_rate)


def contractual_costs(
    principal: Decimal,
    *,
    rate: Decimal,
    minimum: Decimal = ZERO,
    vat_rate: Decimal | None = None,
) -> CollectionCosts:
    """Collection costs a business agreed to in its contract: `rate` (a fraction, 0.15 for
    15%) of the principal, at least `minimum`. The WIK scale does not bind businesses, so there
    is no cap; consumers always get the scale.

    Example: 10,000.00 at 15% with a minimum of 250.00 → 1,500.00.
    """
    if principal <= 0:
        amount = ZERO
    else:
        amount = cents(max(principal * rate, minimum))
    vat = cents(amount * vat_rate) if vat_rate is not None else ZERO
    return CollectionCosts(cents(max(principal, ZERO)), amount, vat, "contractual")
