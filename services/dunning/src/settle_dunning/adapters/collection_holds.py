"""The invoices held by collection cases (the `collection_holds` table)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import collection_holds


class CollectionHoldRepository(SqlRepository):
    async def case_of(self, administration_id: str, invoice_id: str) -> str | None:
        """The case holding the invoice, if any."""
        found = await self.session.scalar(
            sa.select(collection_holds.c.case_id).where(
                collection_holds.c.administration_id == administration_id,
                collection_holds.c.invoice_id == invoice_id,
            )
        )
        return str(found) if found is not None else None

    async def hold(self, administration_id: str, invoice_id: str, case_id: str, on: date) -> None:
        """The invoice is held by `case_id` from now on (in place of any earlier case)."""
        await self.release(administration_id, invoice_id)
        await self.session.execute(
            sa.insert(collection_holds).values(
                administration_id=administration_id,
                invoice_id=invoice_id,
                case_id=case_id,
                held_on=on,
            )
        )

    async def release(self, administration_id: str, invoice_id: str) -> None:
        await self.session.execute(
            sa.delete(collection_holds).where(
                collection_holds.c.administration_id == administration_id,
                collection_holds.c.invoice_id == invoice_id,
            )
        )
