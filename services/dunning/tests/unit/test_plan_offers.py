"""Plan offers: which offer an open amount gets, what stays within it, and which offers an
administration cannot have."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_dunning.domain.errors import InvalidPlanOffers
from settle_dunning.domain.plan_offers import (
    PlanOffer,
    offer_for,
    starts_without_approval,
    validate_offers,
    within_offer,
)
from settle_dunning.domain.plans import PlanKind, PlanTerms

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 20)
SMALL = PlanOffer(Decimal("200.00"), Decimal("2000.00"), 3)
LARGE = PlanOffer(Decimal("2000.01"), Decimal("10000.00"), 6, first_payment_within_days=14)


def _monthly(count: int, first: date = date(2025, 4, 1)) -> PlanTerms:
    return PlanTerms(kind=PlanKind.MONTHLY, first_date=first, instalments=count)


@pytest.mark.parametrize(
    ("amount", "offer"),
    [
        ("199.99", None),
        ("200.00", SMALL),
        ("2000.00", SMALL),
        ("2000.01", LARGE),
        ("10000.00", LARGE),
        ("10000.01", None),
    ],
)
def test_an_open_amount_gets_the_offer_whose_range_holds_it(
    amount: str, offer: PlanOffer | None
) -> None:
    assert offer_for(validate_offers([LARGE, SMALL]), Decimal(amount)) == offer


def test_terms_within_the_offer_are_no_more_instalments_and_no_later_start() -> None:
    assert within_offer(SMALL, _monthly(3), TODAY)
    assert within_offer(SMALL, _monthly(1), TODAY)
    assert within_offer(SMALL, PlanTerms(kind=PlanKind.DELAYED, first_date=TODAY), TODAY)
    assert within_offer(SMALL, _monthly(3, date(2025, 4, 19)), TODAY)  # the 30th day
    assert not within_offer(SMALL, _monthly(4), TODAY)
    assert not within_offer(SMALL, _monthly(3, date(2025, 4, 20)), TODAY)  # the 31st day
    weekly = PlanTerms(kind=PlanKind.WEEKLY, first_date=date(2025, 4, 1), instalments=2)
    assert not within_offer(SMALL, weekly, TODAY)  # offers are monthly


def test_a_proposal_starts_without_approval_only_within_the_offer_for_its_amount() -> None:
    offers = validate_offers([SMALL, LARGE])
    assert starts_without_approval(offers, Decimal("600.00"), _monthly(3), TODAY)
    assert not starts_without_approval(offers, Decimal("600.00"), _monthly(5), TODAY)
    assert starts_without_approval(offers, Decimal("5000.00"), _monthly(5, TODAY), TODAY)
    # The large offer's first payment falls within 14 days.
    assert not starts_without_approval(
        offers, Decimal("5000.00"), _monthly(5, date(2025, 4, 5)), TODAY
    )
    assert not starts_without_approval(offers, Decimal("150.00"), _monthly(1), TODAY)
    assert not starts_without_approval((), Decimal("600.00"), _monthly(1), TODAY)


@pytest.mark.parametrize(
    ("offers", "field", "says"),
    [
        ([PlanOffer(Decimal("2000"), Decimal("200"), 3)], "offers[0].min_open_amount", "above"),
        ([PlanOffer(Decimal("0"), Decimal("200"), 0)], "offers[0].max_instalments", "at least"),
        ([PlanOffer(Decimal("0"), Decimal("200"), -2)], "offers[0].max_instalments", "at least"),
        ([PlanOffer(Decimal("0"), Decimal("200"), 25)], "offers[0].max_instalments", "at most 24"),
        ([PlanOffer(Decimal("-1"), Decimal("200"), 3)], "offers[0].min_open_amount", "zero or"),
        ([PlanOffer(Decimal("0.001"), Decimal("2"), 3)], "offers[0].min_open_amount", "cents"),
        ([PlanOffer(Decimal("0"), Decimal("1E+15"), 3)], "offers[0].max_open_amount", "at most"),
        (
            [PlanOffer(Decimal("0"), Decimal("200"), 3, first_payment_within_days=400)],
            "offers[0].first_payment_within_days",
            "0 to 365",
        ),
        (
            [SMALL, PlanOffer(Decimal("2000.00"), Decimal("5000.00"), 6)],
            "offers[1].min_open_amount",
            "overlaps 200.00 to 2000.00",
        ),
        (
            [PlanOffer(Decimal("500.00"), Decimal("900.00"), 6), SMALL],
            "offers[0].min_open_amount",
            "overlaps 200.00 to 2000.00",
        ),
        ([SMALL] * 21, "offers", "at most 20"),
    ],
)
def test_offers_that_break_a_rule_are_refused_by_field(
    offers: list[PlanOffer], field: str, says: str
) -> None:
    with pytest.raises(InvalidPlanOffers) as refused:
        validate_offers(offers)
    assert any(e.field == field and says in e.message for e in refused.value.errors), (
        refused.value.errors
    )
