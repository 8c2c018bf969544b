"""What every dunning repository shares: the transaction it works in, the time it stamps
rows with, and the way to PostgreSQL's bulk statements when a batch is large."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.adapters.tables import administrations
from settle_shared.db import is_sqlite

# Keeps IN lists and multi-row statements well inside every driver's parameter limits.
CHUNK = 500
# Ids passed as one array parameter on PostgreSQL: a daily-run batch fits in one statement.
ARRAY_CHUNK = 10_000
# From this many rows on, PostgreSQL gets one bulk statement (arrays, COPY) instead of an
# executemany; smaller writes (a consumer's single invoice) keep the portable statements.
BULK_MIN = 20


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """`items` in slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def is_postgres(session: AsyncSession) -> bool:
    """True when the session talks to PostgreSQL (row locks, bulk statements)."""
    bind = session.bind
    return bind is not None and not is_sqlite(str(bind.engine.url))


class SqlRepository:
    """Reads and writes of one transaction (`session`), stamped with `now`. Every query is
    scoped by administration."""

    def __init__(self, session: AsyncSession, now: datetime, *, postgres: bool) -> None:
        self.session = session
        self.now = now
        self.postgres = postgres

    def chunks(self, items: Sequence[Any]) -> Iterable[Sequence[Any]]:
        """Slices of ids for one statement each; PostgreSQL takes a whole batch's ids as one
        array parameter (see settle_shared.db.among)."""
        return chunks(items, ARRAY_CHUNK if self.postgres else CHUNK)

    async def driver(self) -> Any:
        """The asyncpg connection under the session, inside the session's transaction."""
        connection = await self.session.connection()
        # The driver opens its transaction lazily, on the first statement through SQLAlchemy;
        # make sure there is one before going around it.
        await connection.exec_driver_sql("SELECT 1")
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    async def locked(self, query: sa.Select[Any]) -> sa.Select[Any]:
        """The query, locking what it reads until the transaction ends, so a consumer and the
        daily run (or two runs) cannot both read an invoice as due and both write it.

        PostgreSQL locks the rows. SQLite has one write lock for the whole database, but
        pysqlite begins a transaction only at its first write: a read before it sees a state
        another transaction may be changing. A write that changes nothing takes the lock first.
        """
        if self.postgres:
            return query.with_for_update()
        await self.session.execute(sa.update(administrations).where(sa.false()).values(id="x"))
        return query
