"""The invoices held for online payments (the `payment_holds` table)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import payment_holds
from settle_dunning.domain.online_payments import HoldEnd, PaymentHold
from settle_shared.db import among


def _hold(row: sa.Row[tuple[object, ...]]) -> PaymentHold:
    return PaymentHold(
        invoice_id=row.invoice_id,
        payment_id=row.payment_id,
        debtor_id=row.debtor_id,
        held_on=row.held_on,
        until=row.until,
    )


class PaymentHoldRepository(SqlRepository):
    async def active(self, administration_id: str, invoice_id: str) -> list[PaymentHold]:
        """The holds of an invoice that have not ended."""
        rows = await self.session.execute(
            sa.select(payment_holds).where(
                payment_holds.c.administration_id == administration_id,
                payment_holds.c.invoice_id == invoice_id,
                payment_holds.c.ended_on.is_(None),
            )
        )
        return [_hold(row) for row in rows]

    async def active_of(
        self, administration_id: str, invoice_ids: Sequence[str]
    ) -> dict[str, list[PaymentHold]]:
        """The holds that have not ended of these invoices, by invoice id (those without
        any left out)."""
        found: dict[str, list[PaymentHold]] = {}
        for chunk in self.chunks(sorted(set(invoice_ids))):
            rows = await self.session.execute(
                sa.select(payment_holds).where(
                    payment_holds.c.administration_id == administration_id,
                    among(payment_holds.c.invoice_id, chunk, postgres=self.postgres),
                    payment_holds.c.ended_on.is_(None),
                )
            )
            for row in rows:
                found.setdefault(row.invoice_id, []).append(_hold(row))
        return found

    async def known(self, administration_id: str, invoice_id: str, payment_id: str) -> bool:
        """Whether the payment ever held the invoice (ended or not)."""
        found = await self.session.scalar(
            sa.select(sa.literal(1)).where(
                payment_holds.c.administration_id == administration_id,
                payment_holds.c.invoice_id == invoice_id,
                payment_holds.c.payment_id == payment_id,
            )
        )
        return found is not None

    async def add(self, administration_id: str, hold: PaymentHold) -> None:
        await self.session.execute(
            sa.insert(payment_holds).values(
                administration_id=administration_id,
                invoice_id=hold.invoice_id,
                payment_id=hold.payment_id,
                debtor_id=hold.debtor_id,
                held_on=hold.held_on,
                until=hold.until,
            )
        )

    async def end(
        self, administration_id: str, invoice_id: str, payment_id: str, on: date, why: HoldEnd
    ) -> None:
        await self.session.execute(
            sa.update(payment_holds)
            .where(
                payment_holds.c.administration_id == administration_id,
                payment_holds.c.invoice_id == invoice_id,
                payment_holds.c.payment_id == payment_id,
                payment_holds.c.ended_on.is_(None),
            )
            .values(ended_on=on, ended_by=why.value)
        )

    async def due(self, business_date: date, limit: int) -> list[tuple[str, PaymentHold]]:
        """(administration, hold) of holds whose days ran out by `business_date`."""
        rows = await self.session.execute(
            sa.select(payment_holds)
            .where(payment_holds.c.until <= business_date, payment_holds.c.ended_on.is_(None))
            .order_by(payment_holds.c.until, payment_holds.c.administration_id)
            .limit(limit)
        )
        return [(row.administration_id, _hold(row)) for row in rows]
