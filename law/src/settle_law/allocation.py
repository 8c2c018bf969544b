"""Allocating a payment to what a debtor owes (art. 6:44 BW): first the costs, then the
interest that fell due, then the principal. The creditor may agree to another order; a payment
larger than everything owed leaves a surplus (to pay back or to settle otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class Part(StrEnum):
    """What a debtor owes in a collection case."""

    COSTS = "costs"
    INTEREST = "interest"
    PRINCIPAL = "principal"


class AllocationOrder(StrEnum):
    """The order in which a payment pays the parts."""

    STATUTORY = "costs_interest_principal"  # art. 6:44 BW, the default
    PRINCIPAL_FIRST = "principal_interest_costs"  # the creditor chose otherwise

    @property
    def parts(self) -> tuple[Part, Part, Part]:
        """The parts in the order a payment pays them."""
        if self is AllocationOrder.STATUTORY:
            return (Part.COSTS, Part.INTEREST, Part.PRINCIPAL)
        return (Part.PRINCIPAL, Part.INTEREST, Part.COSTS)


@dataclass(frozen=True)
class Owed:
    """What is open of each part."""

    costs: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    def of(self, part: Part) -> Decimal:
        """The open amount of one part."""
        amount: Decimal = getattr(self, part.value)
        return amount

    @property
    def total(self) -> Decimal:
        """Everything open."""
        return self.costs + self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """How a payment was divided over the parts, and what was left over."""

    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal

    def of(self, part: Part) -> Decimal:
        """The amount that went to one part."""
        amount: Decimal = getattr(self, part.value)
        return amount


def allocate(
    amount: Decimal, owed: Owed, order: AllocationOrder = AllocationOrder.STATUTORY
) -> Allocation:
    """Divide a payment over what is owed, part by part in `order`, each part at most what
    is open of it; the rest is surplus.

    Example (art. 6:44 BW): 300.00 paid on costs 181.50, interest 12.40, principal 1,000.00
    → costs 181.50, interest 12.40, principal 106.10, surplus 0.00.
    """
    if amount < 0:
        raise ValueError("a payment is not negative")
    left = amount
    paid: dict[Part, Decimal] = {}
    for part in order.parts:
        share = min(left, max(owed.of(part), ZERO))
        paid[part] = share
        left -= share
    return Allocation(paid[Part.COSTS], paid[Part.INTEREST], paid[Part.PRINCIPAL], left)
