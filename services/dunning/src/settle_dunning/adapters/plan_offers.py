"""An administration's plan offers (the `plan_offers` table)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import plan_offers
from settle_dunning.domain.plan_offers import PlanOffer


class PlanOfferRepository(SqlRepository):
    async def all(self, administration_id: str) -> tuple[PlanOffer, ...]:
        """The administration's offers, ordered by their ranges."""
        rows = await self.session.execute(
            sa.select(plan_offers)
            .where(plan_offers.c.administration_id == administration_id)
            .order_by(plan_offers.c.position)
        )
        return tuple(
            PlanOffer(
                min_open_amount=row.min_open_amount,
                max_open_amount=row.max_open_amount,
                max_instalments=row.max_instalments,
                first_payment_within_days=row.first_payment_within_days,
            )
            for row in rows
        )

    async def replace(self, administration_id: str, offers: Sequence[PlanOffer]) -> None:
        """The administration's offers are `offers` from now on (checked by the domain)."""
        await self.session.execute(
            sa.delete(plan_offers).where(plan_offers.c.administration_id == administration_id)
        )
        if offers:
            await self.session.execute(
                sa.insert(plan_offers),
                [
                    {
                        "administration_id": administration_id,
                        "position": position,
                        "min_open_amount": offer.min_open_amount,
                        "max_open_amount": offer.max_open_amount,
                        "max_instalments": offer.max_instalments,
                        "first_payment_within_days": offer.first_payment_within_days,
                        "updated_at": self.now,
                    }
                    for position, offer in enumerate(offers)
                ],
            )
