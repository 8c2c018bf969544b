"""The WIK scale with worked examples at every band edge, its minimum and its cap, VAT on top
and bundles on their summed principal; and the properties the scale must keep."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settle_law.wik import (
    DUTCH_VAT_RATE,
    MAXIMUM,
    MINIMUM,
    bundle_costs,
    collection_costs,
    contractual_costs,
    wik_costs,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("principal", "costs"),
    [
        ("0.01", "40.00"),  # the minimum, however small the claim
        ("125", "40.00"),
        ("266.66", "40.00"),  # 15% is 39.999: still the minimum
        ("266.67", "40.00"),  # 15% is 40.0005: the minimum's edge
        ("266.80", "40.02"),
        ("300", "45.00"),
        ("2500", "375.00"),  # end of the 15% band
        ("2500.01", "375.00"),  # 10% of a cent
        ("2600", "385.00"),
        ("5000", "625.00"),  # end of the 10% band
        ("5100", "630.00"),
        ("10000", "875.00"),  # end of the 5% band
        ("10100", "876.00"),
        ("200000", "2775.00"),  # end of the 1% band
        ("200100", "2775.50"),
        ("999999.99", "6775.00"),  # 0.5% of the rest reaches the cap at 1,000,000
        ("1000000", "6775.00"),
        ("5000000", "6775.00"),  # the cap
    ],
)
def test_costs_follow_the_wik_scale(principal: str, costs: str) -> None:
    assert collection_costs(Decimal(principal)) == Decimal(costs)


def test_nothing_is_owed_on_nothing() -> None:
    assert collection_costs(Decimal("0")) == Decimal("0.00")
    assert collection_costs(Decimal("-50")) == Decimal("0.00")


def test_vat_comes_on_top_only_when_the_creditor_cannot_deduct_it() -> None:
    deducts = wik_costs(Decimal("1000"))
    cannot = wik_costs(Decimal("1000"), vat_rate=DUTCH_VAT_RATE)
    assert (deducts.amount, deducts.vat, deducts.total) == (
        Decimal("150.00"),
        Decimal("0.00"),
        Decimal("150.00"),
    )
    assert (cannot.amount, cannot.vat, cannot.total) == (
        Decimal("150.00"),
        Decimal("31.50"),
        Decimal("181.50"),
    )
    # VAT on the minimum and on the cap.
    assert wik_costs(Decimal("100"), vat_rate=DUTCH_VAT_RATE).total == Decimal("48.40")
    assert wik_costs(Decimal("2000000"), vat_rate=DUTCH_VAT_RATE).total == Decimal("8197.75")


def test_several_invoices_in_one_letter_are_charged_once_on_their_sum() -> None:
    # Each alone would cost the minimum of 40.00; together 15% of 300.00.
    assert bundle_costs([Decimal("100"), Decimal("200")]).amount == Decimal("45.00")
    # Across a band edge: 3,000 + 3,000 = 6,000 → 375 + 250 + 50.
    assert bundle_costs([Decimal("3000"), Decimal("3000")]).amount == Decimal("675.00")
    assert bundle_costs(
        [Decimal("3000"), Decimal("3000")], vat_rate=DUTCH_VAT_RATE
    ).total == Decimal("816.75")


def test_contractual_costs_of_a_business_have_a_minimum_and_no_cap() -> None:
    assert contractual_costs(Decimal("10000"), rate=Decimal("0.15")).amount == Decimal("1500.00")
    assert contractual_costs(
        Decimal("100"), rate=Decimal("0.15"), minimum=Decimal("250")
    ).amount == Decimal("250.00")
    assert contractual_costs(Decimal("2000000"), rate=Decimal("0.10")).amount == Decimal(
        "200000.00"
    )


principals = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("5000000"), places=2, allow_nan=False
)


@given(principals)
def test_costs_never_leave_the_minimum_and_the_cap(principal: Decimal) -> None:
    costs = collection_costs(principal)
    assert MINIMUM <= costs <= MAXIMUM
    assert costs >= 0


@given(principals, principals)
def test_costs_never_fall_as_the_principal_rises(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert collection_costs(low) <= collection_costs(high)


@given(st.lists(principals, min_size=1, max_size=6))
def test_a_bundle_never_costs_more_than_its_invoices_alone(parts: list[Decimal]) -> None:
    assert bundle_costs(parts).amount <= sum(collection_costs(p) for p in parts)


@given(principals)
def test_vat_is_never_negative_and_only_adds(principal: Decimal) -> None:
    with_vat = wik_costs(principal, vat_rate=DUTCH_VAT_RATE)
    assert with_vat.vat >= 0 and with_vat.total >= with_vat.amount == collection_costs(principal)
