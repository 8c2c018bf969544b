"""PostgreSQL's planner statistics of the tables a consumer fills, refreshed as its batches
fill them.

An administration's first import fills a consumer's tables from nothing within a minute or
two, before autovacuum comes round (and the test server runs without it). Planned as empty, a
batch's look-ups by primary key take another index that leads with the administration and read
every row of it: each batch then costs as much as the table is big, and the intake slows as it
goes. docs/operations.md has the figures."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

# A table's statistics are refreshed once its file has this many pages (of 8 kB; some 1,000
# invoices), and then each time it has doubled since they were taken. The file's size, not
# the statistics' count of changed rows: a backend reports those a second or more late.
FIRST_REFRESH_PAGES = 16

GROWN = sa.text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relname IN :tables "
    "AND pg_relation_size(c.oid) / current_setting('block_size')::int "
    ">= GREATEST(:first, 2 * c.relpages)"
).bindparams(sa.bindparam("tables", expanding=True))


async def refresh_when_grown(session: AsyncSession, tables: Sequence[sa.Table]) -> list[str]:
    """ANALYZE those of `tables` that grew enough since their statistics were taken, in the
    batch's transaction (it blocks neither reads nor writes); returns their names. One query
    when none did. PostgreSQL only."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    names = {table.name: table for table in tables}
    grown = list(
        (
            await session.execute(GROWN, {"tables": list(names), "first": FIRST_REFRESH_PAGES})
        ).scalars()
    )
    for name in grown:
        # The name of one of `tables`, not input.
        await session.execute(sa.text(f"ANALYZE {names[name].name}"))
    return grown
