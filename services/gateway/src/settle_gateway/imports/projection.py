"""The imports' part of the read model: rm_import_runs, the finished runs of the importer."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_import_runs
from settle_shared.db import aware
from settle_shared.events import importer


async def run_finished(session: AsyncSession, fact: importer.ImportRunFinished) -> None:
    """A finished import run with its counts (a run finishes once)."""
    exists = await session.scalar(
        sa.select(rm_import_runs.c.run_id).where(rm_import_runs.c.run_id == fact.run_id)
    )
    if exists is not None:
        return  # a run finishes once
    await session.execute(
        sa.insert(rm_import_runs).values(
            run_id=fact.run_id,
            administration_id=fact.administration_id,
            source=fact.source,
            status=fact.status,
            error=fact.error,
            counts=fact.counts.model_dump(),
            started_at=aware(fact.started_at),
            finished_at=aware(fact.finished_at),
            duration_ms=fact.duration_ms,
        )
    )
