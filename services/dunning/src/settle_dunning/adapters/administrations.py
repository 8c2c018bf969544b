"""The administrations dunning knows: their settings, pause and the date of the last run."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from settle_dunning.adapters.codec import administration_from_row
from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import administrations
from settle_dunning.domain import Administration, AdministrationPause


class AdministrationRepository(SqlRepository):
    """The `administrations` table."""

    async def get(self, administration_id: str, *, lock: bool = False) -> Administration | None:
        """The administration, or None when it is unknown."""
        query = sa.select(administrations).where(administrations.c.id == administration_id)
        if lock:
            query = await self.locked(query)
        row = (await self.session.execute(query)).one_or_none()
        return administration_from_row(row) if row is not None else None

    async def all(self) -> list[Administration]:
        """Every administration (for the background daily run)."""
        rows = await self.session.execute(sa.select(administrations))
        return [administration_from_row(row) for row in rows]

    async def create(self, administration_id: str) -> bool:
        """An administration, active and never run; False when it exists already (an
        importer fact and a command may create it at the same moment)."""
        insert = pg_insert if self.postgres else sqlite_insert
        created = await self.session.execute(
            insert(administrations)
            .values(
                id=administration_id,
                default_language="nl",
                fallback_language="en",
                tone="formal",
                pause=AdministrationPause.ACTIVE.value,
                paused_on=None,
                last_run_date=None,
                created_at=self.now,
            )
            .on_conflict_do_nothing()
            .returning(administrations.c.id)
        )
        return created.first() is not None

    async def set_pause(
        self, administration_id: str, pause: AdministrationPause, on: date | None
    ) -> None:
        """Store the pause state of an administration."""
        await self.session.execute(
            sa.update(administrations)
            .where(administrations.c.id == administration_id)
            .values(pause=pause.value, paused_on=on)
        )

    async def set_last_run_date(self, administration_id: str, business_date: date) -> None:
        """Remember the business date of the latest run."""
        await self.session.execute(
            sa.update(administrations)
            .where(administrations.c.id == administration_id)
            .values(last_run_date=business_date)
        )
