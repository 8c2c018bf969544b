"""PostgreSQL's planner statistics of the tables a run fills, refreshed in the background as
they grow: the tables start empty, and a plan made for an empty table is a sequential scan.
docs/importing.md says what it buys."""

from __future__ import annotations

import asyncio

from settle_importer.application.context import ImporterContext
from settle_shared.db import transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)


class PlannerStatistics:
    """Refreshes the statistics of the snapshot and of the run's memory once a run inserted
    ``first_analyze_rows`` into them, then 4x as many, ... (for each apart: a second import
    inserts no snapshot rows). It runs beside the run, one at a time, so the run does not wait
    for it; one that fails is logged and the run goes on. PostgreSQL only."""

    def __init__(self, ctx: ImporterContext, administration_id: str, run_id: str) -> None:
        self._ctx, self._administration_id, self._run_id = ctx, administration_id, run_id
        self._snapshot_at = self._memory_at = ctx.settings.first_analyze_rows
        self._task: asyncio.Task[None] | None = None

    def refresh_when_due(self, snapshot_rows: int, memory_rows: int) -> None:
        """Start a refresh of the tables that grew past their next mark, unless one runs."""
        if not self._ctx.postgres or (self._task is not None and not self._task.done()):
            return
        snapshot = snapshot_rows >= self._snapshot_at
        memory = memory_rows >= self._memory_at
        if snapshot:
            self._snapshot_at *= 4
        if memory:
            self._memory_at *= 4
        if snapshot or memory:
            self._task = asyncio.ensure_future(self._refresh(snapshot=snapshot, memory=memory))

    async def _refresh(self, *, snapshot: bool, memory: bool) -> None:
        try:
            async with transaction(self._ctx.sessions) as session:
                repositories = self._ctx.repositories(session)
                if snapshot:
                    await repositories.snapshot(self._administration_id).refresh_statistics()
                if memory:
                    await repositories.run_memory(
                        self._administration_id, self._run_id
                    ).refresh_statistics()
        except Exception:
            log.warning("the planner's statistics were not refreshed", exc_info=True)

    async def wait(self) -> None:
        """Wait for the refresh under way, if any."""
        if self._task is not None:
            await self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
