"""Plan offers: what an administration lets a debtor arrange in the portal without asking.

An offer names a range of open amounts and the most monthly instalments a debtor with that
much open may choose, the first within some days (open amount 200.00 to 2,000.00: up to 3
monthly instalments, the first within 30 days). The portal shows the offer whose range holds
the debtor's open amount; a debtor's proposal within that offer (whichever of their invoices it
covers) starts at once, one outside it waits for a person as any proposal does. The ranges of one
administration never overlap, so an amount has at most one offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from settle_dunning.domain.errors import FieldError, InvalidPlanOffers
from settle_dunning.domain.plans import CENT, ZERO, PlanKind, PlanTerms

# Two years of monthly instalments: a longer plan is a person's to make, not an offer.
MAX_OFFER_INSTALMENTS = 24
# How far ahead an offer may let the first instalment fall.
MAX_FIRST_PAYMENT_DAYS = 365
# An administration has a handful of offers; more is a mistake in what was sent.
MAX_OFFERS = 20
# The largest amount the offers' table holds (14 digits, 2 of them cents).
MAX_AMOUNT = Decimal("999999999999.99")


@dataclass(frozen=True)
class PlanOffer:
    """Up to `max_instalments` monthly instalments, the first at most `first_payment_within_days`
    days ahead, for an open amount from `min_open_amount` to `max_open_amount` (both included)."""

    min_open_amount: Decimal
    max_open_amount: Decimal
    max_instalments: int
    first_payment_within_days: int = 30

    def holds(self, open_amount: Decimal) -> bool:
        """The offer's range holds `open_amount`."""
        return self.min_open_amount <= open_amount <= self.max_open_amount


def validate_offers(offers: Sequence[PlanOffer]) -> tuple[PlanOffer, ...]:
    """The offers ordered by amount, or InvalidPlanOffers naming every problem: an amount below
    zero, above MAX_AMOUNT or not in whole cents, a range whose minimum is above its maximum,
    fewer than one or more than MAX_OFFER_INSTALMENTS instalments, a first payment further than
    MAX_FIRST_PAYMENT_DAYS ahead, more than MAX_OFFERS offers, and ranges that overlap
    (200.00 to 2,000.00 and 2,000.00 to 5,000.00 do: 2,000.00 would have two offers)."""
    if len(offers) > MAX_OFFERS:
        raise InvalidPlanOffers([FieldError("offers", f"at most {MAX_OFFERS} offers")])
    errors: list[FieldError] = []
    for i, offer in enumerate(offers):
        at = f"offers[{i}]"
        for name in ("min_open_amount", "max_open_amount"):
            amount: Decimal = getattr(offer, name)
            if amount < ZERO:
                errors.append(FieldError(f"{at}.{name}", "must be zero or more"))
            elif amount > MAX_AMOUNT:
                errors.append(FieldError(f"{at}.{name}", f"at most {MAX_AMOUNT}"))
            elif amount != amount.quantize(CENT):
                errors.append(FieldError(f"{at}.{name}", "must be in whole cents"))
        if offer.min_open_amount > offer.max_open_amount:
            errors.append(
                FieldError(
                    f"{at}.min_open_amount",
                    f"{offer.min_open_amount} is above the maximum {offer.max_open_amount}",
                )
            )
        if offer.max_instalments < 1:
            errors.append(FieldError(f"{at}.max_instalments", "at least one instalment"))
        elif offer.max_instalments > MAX_OFFER_INSTALMENTS:
            errors.append(
                FieldError(
                    f"{at}.max_instalments",
                    f"at most {MAX_OFFER_INSTALMENTS} instalments; a longer plan is a person's "
                    "to make",
                )
            )
        if not 0 <= offer.first_payment_within_days <= MAX_FIRST_PAYMENT_DAYS:
            errors.append(
                FieldError(f"{at}.first_payment_within_days", f"0 to {MAX_FIRST_PAYMENT_DAYS} days")
            )
    if not errors:
        ordered = sorted(enumerate(offers), key=lambda item: item[1].min_open_amount)
        for (_, lower), (j, upper) in pairwise(ordered):
            if upper.min_open_amount <= lower.max_open_amount:
                errors.append(
                    FieldError(
                        f"offers[{j}].min_open_amount",
                        f"the range {upper.min_open_amount} to {upper.max_open_amount} overlaps "
                        f"{lower.min_open_amount} to {lower.max_open_amount}: an open amount has "
                        "at most one offer",
                    )
                )
    if errors:
        raise InvalidPlanOffers(errors)
    return tuple(sorted(offers, key=lambda offer: offer.min_open_amount))


def offer_for(offers: Sequence[PlanOffer], open_amount: Decimal) -> PlanOffer | None:
    """The offer whose range holds `open_amount`, or None."""
    return next((offer for offer in offers if offer.holds(open_amount)), None)


def within_offer(offer: PlanOffer, terms: PlanTerms, today: date) -> bool:
    """Whether `terms` ask no more than `offer` gives: monthly instalments (or one later date)
    no more than its maximum, the first no later than its days ahead of `today`."""
    if terms.kind is PlanKind.DELAYED:
        count: int | None = 1
    elif terms.kind is PlanKind.MONTHLY:
        count = terms.instalments
    else:
        return False
    if count is None or not 1 <= count <= offer.max_instalments:
        return False
    return terms.first_date <= today + timedelta(days=offer.first_payment_within_days)


def starts_without_approval(
    offers: Sequence[PlanOffer], open_amount: Decimal, terms: PlanTerms, today: date
) -> bool:
    """A debtor's proposal starts at once: an offer holds what the debtor has open
    (`open_amount`, all their invoices, not only the plan's) and the terms stay within it."""
    offer = offer_for(offers, open_amount)
    return offer is not None and within_offer(offer, terms, today)
