from decimal import Decimal

import pytest

from settle_dunning.domain.collection_costs import collection_costs

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("principal", "costs"),
    [
        ("125", "40.00"),  # the minimum
        ("2500", "375.00"),
        ("5000", "625.00"),
        ("10000", "875.00"),
        ("200000", "2775.00"),
        ("1000000", "6775.00"),  # the maximum
        ("300", "45.00"),
        ("2500.01", "375.00"),
    ],
)
def test_costs_follow_the_wik_scale(principal, costs):
    assert collection_costs(Decimal(principal)) == Decimal(costs)


def test_nothing_is_owed_on_nothing():
    assert collection_costs(Decimal("0")) == Decimal("0.00")
