"""The administrations the gateway announced, in the database."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.tables import administrations
from settle_shared.db import aware


class AdministrationRepository:
    """The `administrations` table, inside one transaction."""

    def __init__(self, session: AsyncSession, *, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    async def known(self, administration_id: str) -> bool:
        found = await self.session.scalar(
            sa.select(administrations.c.id).where(administrations.c.id == administration_id)
        )
        return found is not None

    async def learn(self, administration_id: str, name: str, at: datetime) -> bool:
        """Insert the administration, or take its new name; True when it was new."""
        at = aware(at)  # stored in UTC
        existed = await self.known(administration_id)
        insert = pg_insert if self.postgres else sqlite_insert
        statement = insert(administrations).values(id=administration_id, name=name, known_since=at)
        excluded = statement.excluded
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[administrations.c.id],
                set_={"name": excluded.name},
            )
        )
        return not existed
