"""The write stage of an import: one transaction per chunk with what changed, the events, the
rejected records, a batch of the run's memory when one is due and the run's progress.

Two strategies keep the run from waiting on commits: up to ``chunk_writes_at_once`` chunk
transactions are under way while the next chunks are read and reconciled, each committing after
the one before; and a chunk that changes nothing is not written at all, unless the run's
progress is due (once a second) or a batch of its memory is. docs/importing.md says what each
buys."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, replace
from functools import partial

from settle_importer.application.context import ImporterContext
from settle_importer.application.memory import UnwrittenMemory
from settle_importer.application.planner_statistics import PlannerStatistics
from settle_importer.domain import ChunkOutcome, DocumentKey, ImportCounts
from settle_importer.domain.run_memory import MemoryBatch
from settle_importer.domain.snapshot import WorkingDebtor, WorkingDocument
from settle_shared.db import transaction
from settle_shared.events.base import StagedEvent

# How often a run whose chunks change nothing records its progress (and heartbeat).
PROGRESS_EVERY_S = 1.0


def counts_of(counts: ImportCounts) -> dict[str, int]:
    return {name: int(value) for name, value in asdict(counts).items()}


class ChunkWriter:
    """The chunk transactions of a run in flight, oldest first; each commits after the one
    before, so events are numbered in the order of the chunks, and a chunk whose predecessor
    failed rolls back."""

    def __init__(
        self,
        ctx: ImporterContext,
        administration_id: str,
        run_id: str,
        unwritten: UnwrittenMemory,
        statistics: PlannerStatistics,
    ) -> None:
        self._ctx, self._administration_id, self._run_id = ctx, administration_id, run_id
        self._unwritten = unwritten
        self._statistics = statistics
        self._writes: deque[tuple[asyncio.Future[int], bool]] = deque()
        # SQLite has one writer at a time: a second transaction would only wait for the lock.
        self._at_once = ctx.settings.chunk_writes_at_once if ctx.postgres else 1
        self._progress_due = 0.0
        self._rejected_seq = 0
        self._inserted = 0
        self._memory_rows = 0

    async def write(
        self,
        outcome: ChunkOutcome,
        counts: ImportCounts,
        docs: dict[DocumentKey, WorkingDocument],
        debtor_rows: dict[str, WorkingDebtor],
        published: list[StagedEvent],
    ) -> None:
        """Start the transaction of a chunk, once fewer than ``chunk_writes_at_once`` are in
        flight. The run's memory cannot miss what they hold: what it gained and is not committed
        yet comes from ``UnwrittenMemory``."""
        unwritten = self._unwritten
        self._inserted += await self.wait_for_commits(keep=self._at_once - 1)
        if unwritten.writing is not None and unwritten.full():
            self._inserted += await self._wait_for_memory_batch()  # one batch at a time
        changed = outcome.facts or outcome.fingerprints or outcome.rejected or outcome.notices
        batch = unwritten.take()
        if changed or batch or time.monotonic() >= self._progress_due:
            self._progress_due = time.monotonic() + PROGRESS_EVERY_S
            write = partial(
                self._write_chunk,
                replace(counts),
                outcome,
                batch,
                docs,
                debtor_rows,
                published,
                self._rejected_seq,
            )
            self._start(write, holds_batch=batch is not None)
        self._rejected_seq += len(outcome.rejected)
        self._memory_rows += len(batch) if batch else 0
        self._statistics.refresh_when_due(self._inserted, self._memory_rows)

    async def _write_chunk(
        self,
        counts: ImportCounts,
        outcome: ChunkOutcome,
        memory_batch: MemoryBatch | None,
        docs: dict[DocumentKey, WorkingDocument],
        debtor_rows: dict[str, WorkingDebtor],
        published: list[StagedEvent],
        rejected_seq: int,
        after: asyncio.Future[int] | None,
    ) -> int:
        """One chunk's transaction: what changed, the rejected records, a batch of the run's
        memory when one is due, then, once the chunk before (``after``) has committed, the
        run's progress and the events. Returns how many snapshot rows it inserted."""
        ctx, administration_id, run_id = self._ctx, self._administration_id, self._run_id
        async with transaction(ctx.sessions) as session:
            repositories = ctx.repositories(session)
            repo = repositories.snapshot(administration_id)
            now = ctx.clock.now()
            await repo.save(docs.values(), debtor_rows.values())
            await repo.add_rejected(run_id, rejected_seq, outcome.rejected)
            if memory_batch is not None:
                await repositories.run_memory(administration_id, run_id).remember(memory_batch)
            if after is not None:
                await after
            await repositories.runs(administration_id).record_progress(
                run_id, counts_of(counts), outcome.notices, now
            )
            await ctx.outbox.add_events(
                session, published, administration_id=administration_id, correlation_id=run_id
            )
        if published:
            ctx.notify()
        return repo.inserted

    def _start(
        self, write: Callable[[asyncio.Future[int] | None], Awaitable[int]], *, holds_batch: bool
    ) -> None:
        """Start ``write(after)``, ``after`` being the newest write in flight."""
        after = self._writes[-1][0] if self._writes else None
        self._writes.append((asyncio.ensure_future(write(after)), holds_batch))

    async def wait_for_commits(self, *, keep: int = 0) -> int:
        """Take the writes that are done off, and wait for the oldest until at most ``keep``
        are left; returns the snapshot rows they inserted. A failed write raises here."""
        inserted = 0
        while self._writes and (len(self._writes) > keep or self._writes[0][0].done()):
            inserted += await self._wait_for_oldest()
        return inserted

    async def _wait_for_memory_batch(self) -> int:
        """Take writes off until the one holding a batch of the run's memory is committed."""
        inserted = 0
        while self._unwritten.writing is not None:
            inserted += await self._wait_for_oldest()
        return inserted

    async def _wait_for_oldest(self) -> int:
        future, holds_batch = self._writes[0]
        # Shielded: a run cancelled meanwhile (Ctrl-C) does not cut a chunk's transaction off
        # halfway, which could leave its connection holding SQLite's write lock; the run lets
        # it end (``finish_quietly``) before it is failed.
        inserted = await asyncio.shield(future)
        self._writes.popleft()
        if holds_batch:
            self._unwritten.written()
        return inserted

    async def finish_quietly(self) -> None:
        """Let the writes in flight end, failed or not (the run is failing anyway)."""
        for future, _ in self._writes:
            with contextlib.suppress(Exception):
                await future
        self._writes.clear()
