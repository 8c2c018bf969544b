"""Payments are allocated to costs, then interest, then principal (art. 6:44 BW) unless the
creditor chose otherwise."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settle_law.allocation import AllocationOrder, Owed, allocate

pytestmark = pytest.mark.unit

OWED = Owed(costs=Decimal("181.50"), interest=Decimal("12.40"), principal=Decimal("1000.00"))


def test_a_partial_payment_pays_costs_then_interest_then_principal() -> None:
    paid = allocate(Decimal("300.00"), OWED)
    assert (paid.costs, paid.interest, paid.principal, paid.surplus) == (
        Decimal("181.50"),
        Decimal("12.40"),
        Decimal("106.10"),
        Decimal("0.00"),
    )


def test_a_small_payment_pays_only_costs() -> None:
    paid = allocate(Decimal("100.00"), OWED)
    assert (paid.costs, paid.interest, paid.principal) == (
        Decimal("100.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_more_than_is_owed_leaves_a_surplus() -> None:
    paid = allocate(Decimal("2000.00"), OWED)
    assert paid.principal == Decimal("1000.00") and paid.surplus == Decimal("806.10")


def test_the_creditor_may_choose_principal_first() -> None:
    paid = allocate(Decimal("1100.00"), OWED, AllocationOrder.PRINCIPAL_FIRST)
    assert (paid.principal, paid.interest, paid.costs) == (
        Decimal("1000.00"),
        Decimal("12.40"),
        Decimal("87.60"),
    )


def test_a_negative_payment_is_refused() -> None:
    with pytest.raises(ValueError):
        allocate(Decimal("-1"), OWED)


money = st.decimals(min_value=Decimal("0"), max_value=Decimal("100000"), places=2)


@given(money, money, money, money, st.sampled_from(list(AllocationOrder)))
def test_an_allocation_divides_the_payment_and_never_overpays_a_part(
    amount: Decimal, costs: Decimal, interest: Decimal, principal: Decimal, order: AllocationOrder
) -> None:
    owed = Owed(costs, interest, principal)
    paid = allocate(amount, owed, order)
    assert paid.costs + paid.interest + paid.principal + paid.surplus == amount
    assert 0 <= paid.costs <= costs and 0 <= paid.interest <= interest
    assert 0 <= paid.principal <= principal and paid.surplus >= 0
    if order is AllocationOrder.STATUTORY and paid.principal > 0:
        assert (paid.costs, paid.interest) == (costs, interest)
