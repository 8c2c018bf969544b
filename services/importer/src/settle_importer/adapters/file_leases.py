"""Claims on drop-folder files, in the database every replica shares."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.tables import file_leases
from settle_shared.db import aware


class FileLeaseRepository:
    """The `file_leases` table of one administration, inside one transaction."""

    def __init__(self, session: AsyncSession, administration_id: str, *, postgres: bool) -> None:
        self.session = session
        self.administration_id = administration_id
        self.postgres = postgres

    async def claim(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Claim a file until ``until``: True when no one held it or the claim there had
        expired. One statement, so of replicas claiming at once exactly one succeeds (on
        PostgreSQL the others wait for its row and then see it held)."""
        insert = pg_insert if self.postgres else sqlite_insert
        statement = insert(file_leases).values(
            administration_id=self.administration_id,
            name=name,
            holder=holder,
            expires_at=aware(until),
        )
        claimed = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[file_leases.c.administration_id, file_leases.c.name],
                set_={
                    "holder": statement.excluded.holder,
                    "expires_at": statement.excluded.expires_at,
                },
                where=file_leases.c.expires_at <= aware(now),
            ).returning(file_leases.c.name)
        )
        return claimed.first() is not None

    async def renew(self, name: str, holder: str, until: datetime) -> bool:
        """Extend one's own claim; False when it was lost (it expired and another took it)."""
        renewed = await self.session.execute(
            sa.update(file_leases).where(*self._own(name, holder)).values(expires_at=aware(until))
        )
        return bool(getattr(renewed, "rowcount", 0))

    async def release(self, name: str, holder: str) -> None:
        await self.session.execute(sa.delete(file_leases).where(*self._own(name, holder)))

    def _own(self, name: str, holder: str) -> tuple[sa.ColumnElement[bool], ...]:
        return (
            file_leases.c.administration_id == self.administration_id,
            file_leases.c.name == name,
            file_leases.c.holder == holder,
        )
