"""Queries of import runs: the finished runs of an administration, newest first."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_time_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_import_runs
from settle_gateway.imports.models import ImportRunOut, ImportRunPage
from settle_shared.db import aware


async def run_page(
    session: AsyncSession, administration_id: str, *, limit: int, cursor: str | None
) -> ImportRunPage:
    """Finished import runs with their counts, newest first, a page at a time (keyset)."""
    runs = rm_import_runs.c
    where: list[sa.ColumnElement[bool]] = [runs.administration_id == administration_id]
    if cursor:
        moment, tie = decode_time_cursor(cursor)
        where.append(after(runs.started_at, runs.run_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_import_runs)
            .where(*where)
            .order_by(runs.started_at.desc(), runs.run_id.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return ImportRunPage(
        items=[
            ImportRunOut(
                run_id=row.run_id,
                source=row.source,
                status=row.status,
                error=row.error,
                counts=dict(row.counts),
                started_at=aware(row.started_at),
                finished_at=aware(row.finished_at),
                duration_ms=row.duration_ms,
            )
            for row in rows
        ],
        next_cursor=(
            encode_cursor([rows[-1].started_at.isoformat(), rows[-1].run_id])
            if more and rows
            else None
        ),
    )
