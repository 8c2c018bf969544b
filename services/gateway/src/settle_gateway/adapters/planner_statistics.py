"""PostgreSQL's planner statistics of the read model's large tables, refreshed as the
consumer's batches fill them.

An administration's first import fills rm_invoices and rm_debtors from nothing within a
minute or two, before autovacuum comes round (and the test server runs without it). Planned as
empty, the projection's look-ups by primary key take another index that leads with the
administration and read every row of it: each batch then costs as much as the table is big.
docs/api.md has the figures."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_debtors, rm_invoices

TABLES = (rm_invoices.name, rm_debtors.name)
# A table's statistics are refreshed once its file has this many pages (of 8 kB; some 1,000
# invoices), and then each time it has doubled since they were taken. The file's size, not
# the statistics' count of changed rows: a backend reports those a second or more late.
FIRST_REFRESH_PAGES = 16

STALE = sa.text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relname IN :tables "
    "AND pg_relation_size(c.oid) / current_setting('block_size')::int "
    ">= GREATEST(:first, 2 * c.relpages)"
).bindparams(sa.bindparam("tables", expanding=True))


async def refresh_when_stale(session: AsyncSession) -> list[str]:
    """ANALYZE the tables that grew enough since their statistics were taken, in the batch's
    transaction (it blocks neither reads nor writes); returns their names. PostgreSQL only."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    stale = list(
        (
            await session.execute(STALE, {"tables": list(TABLES), "first": FIRST_REFRESH_PAGES})
        ).scalars()
    )
    for table in stale:
        await session.execute(sa.text(f"ANALYZE {table}"))  # a name of TABLES, not input
    return stale
