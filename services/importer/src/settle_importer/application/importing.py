"""The import use case: a connector's records, in chunks, into the snapshot and the outbox.

Per chunk of records (``settings.chunk_size``, 1,000 by default): read the stored rows of just
those documents and debtors and what the run so far knows of them (one query each), reconcile,
then one transaction writes what changed, the events, the rejected records and the run's
progress. That transaction runs while the next chunk is read and reconciled, and the next
chunk's stored rows are read while this one is reconciled, so the database's work overlaps
ours. At the end, one more transaction settles what a complete list of open items
no longer holds (an anti-join of the snapshot with the run's memory) and records the outcome
(`ImportRunFinished`); then the run's memory is deleted. The run's memory (every number read,
with its position, and each debtor's standing) is kept in the database, not in the process, so
memory use stays flat however large the source; it is written in batches (`memory.py`).

What a failed run keeps: a source that cannot be read at all (empty, wrong encoding, missing
columns, not a file the importer reads) is refused before the first record, so nothing is
applied. A source that breaks off in the middle (a file changed while read, an API that stops
answering) keeps the chunks already committed, each consistent with the events it published,
and skips the complete-list settlement, so nothing is settled on the strength of half a list;
the run is marked failed with the reason and importing again completes the job (unchanged
records are skipped by fingerprint).

One run per administration at a time: the database refuses a second queued or running run (a
partial unique index), which holds across replicas. A run whose replica died is recognised by
its heartbeat and failed when the next run is asked for; should that replica come back, every
write of its run checks that the run is still running first (``RunEnded``).

A file the snapshot was last read from, delivered again unchanged, is not read: the run repeats
the outcome of the run that read it (``same_source``)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from itertools import islice

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.repository import (
    SnapshotRepository,
    WorkingDebtor,
    WorkingDocument,
)
from settle_importer.adapters.run_memory import (
    MemoryBatch,
    RunMemoryRepository,
    forget_earlier_runs,
)
from settle_importer.adapters.runs import RunRepository
from settle_importer.adapters.sources import FILE_SOURCES, Connector, SourceError
from settle_importer.application.context import ImporterContext
from settle_importer.application.facts import apply_outcome
from settle_importer.application.memory import UnwrittenMemory
from settle_importer.application.same_source import repeat_run, run_digest
from settle_importer.domain import (
    ChunkOutcome,
    DocumentKey,
    ImportCounts,
    Lookups,
    Reconciliation,
    SourceItem,
)
from settle_importer.domain.errors import check_administration_id
from settle_importer.domain.runs import (
    ABANDONED,
    FAILED,
    QUEUED,
    SUCCEEDED,
    ImportRun,
    RunEnded,
    RunOptions,
)
from settle_shared.db import transaction
from settle_shared.events import importer as events
from settle_shared.events.base import StagedEvent
from settle_shared.logs import get_logger, log_context

log = get_logger(__name__)

SOURCE = "/settle/importer"

Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class RunOutcome:
    run_id: str
    status: str
    counts: dict[str, int]
    error: str | None
    notices: tuple[str, ...] = ()


async def start_run(
    ctx: ImporterContext,
    administration_id: str,
    *,
    source: str,
    source_name: str | None,
    trigger: str,
    connection_id: str | None = None,
) -> str:
    """Accept a run (queued); raise ``RunInProgress`` when the administration has one."""
    check_administration_id(administration_id)
    await fail_abandoned_runs(ctx, administration_id)
    run_id = str(uuid.uuid4())
    now = ctx.clock.now()
    run = ImportRun(
        administration_id,
        run_id,
        source,
        trigger,
        QUEUED,
        now,
        connection_id=connection_id,
        source_name=source_name,
    )
    async with transaction(ctx.sessions) as session:
        await RunRepository(session, administration_id).queue(run, now)
    log.info("import run queued", administration_id=administration_id, run_id=run_id)
    return run_id


async def fail_abandoned_runs(ctx: ImporterContext, administration_id: str) -> int:
    """Fail the administration's active run whose heartbeat stopped (its replica died)."""
    limit = ctx.clock.now() - timedelta(seconds=ctx.settings.stale_run_after_s)
    async with transaction(ctx.sessions) as session:
        stale = await RunRepository(session, administration_id).stale(limit)
        for run in stale:
            await _finish_run(
                ctx,
                session,
                administration_id,
                run.id,
                run.source,
                FAILED,
                ABANDONED,
                run.started_at or run.created_at,
                run.counts,
            )
    return len(stale)


async def execute_run(
    ctx: ImporterContext,
    administration_id: str,
    run_id: str,
    open_source: Callable[[], Connector],
    options: RunOptions,
    progress: Progress | None = None,
) -> RunOutcome:
    """Run an accepted import to its end. Never raises for a bad source: the run fails."""
    with log_context(administration_id=administration_id, correlation_id=run_id):
        return await _execute(ctx, administration_id, run_id, open_source, options, progress)


async def _execute(
    ctx: ImporterContext,
    adm: str,
    run_id: str,
    open_source: Callable[[], Connector],
    options: RunOptions,
    progress: Progress | None,
) -> RunOutcome:
    started = ctx.clock.now()
    async with transaction(ctx.sessions) as session:
        runs = RunRepository(session, adm)
        source = await runs.start(run_id, started)
        await forget_earlier_runs(session, adm)
        read_before = await runs.take_snapshot_source()
        # Nothing stored yet (a first import): no chunk can find a stored row, see next_chunk.
        first_import = await SnapshotRepository(session, adm, postgres=ctx.postgres).is_empty()
    reconciliation = Reconciliation(complete=options.complete, ignore=options.ignore)
    rejected_seq = 0
    inserted = 0
    memory_rows = 0
    statistics = _Statistics(ctx, adm, run_id)

    try:
        connector = await asyncio.to_thread(open_source)
        total = await asyncio.to_thread(lambda: connector.total)
        digest = await asyncio.to_thread(run_digest, connector, options.complete, options.ignore)
        if read_before is not None and digest == read_before.digest:
            repeated = await _repeat(
                ctx, adm, run_id, source, started, read_before.run_id, digest, progress
            )
            if repeated is not None:
                return repeated
        async with transaction(ctx.sessions) as session:
            await RunRepository(session, adm).expect(run_id, total)
        if progress:
            progress(0, total)
        records = connector.records()
        size = ctx.settings.chunk_size
        read = _chunk_reader(connector, records, size)
        unwritten = UnwrittenMemory(_MEMORY_BATCH, _DECIDED_KEPT, expected=total)
        writes = _ChunkWrites(unwritten)
        # SQLite has one writer at a time: a second transaction would only wait for the lock.
        at_once = _WRITES_AT_ONCE if ctx.postgres else 1

        async def next_chunk() -> _Chunk | None:
            items = await read()
            if not items:
                return None
            needed = reconciliation.lookups(items)
            # The stored state of a chunk is read as soon as it is parsed, on a connection of
            # its own, while the chunk before it is reconciled. It cannot be stale where it
            # matters: a document occurs in one chunk only (a second occurrence is rejected
            # by the run's memory before stored state is looked at), and a debtor written by
            # an earlier chunk was decided there, so its stored row is not used again. A
            # debtor known decided is not read at all. For the same reasons, when nothing was
            # stored before the run (one run per administration at a time), nothing is read.
            if first_import:
                return _Chunk(items, needed, {}, {})
            async with ctx.sessions() as session:
                repo = SnapshotRepository(session, adm, postgres=ctx.postgres)
                docs = await repo.documents(needed.documents)
                debtor_rows = await repo.debtors(unwritten.not_decided(needed.debtors))
            return _Chunk(items, needed, docs, debtor_rows)

        upcoming = asyncio.ensure_future(next_chunk())
        progress_due = 0.0
        while chunk := await upcoming:
            upcoming = asyncio.ensure_future(next_chunk())
            await asyncio.sleep(0)  # let the next chunk be parsed and its lookup sent first
            needed = chunk.needed
            asked = unwritten.to_look_up(needed)
            async with ctx.sessions() as session:
                memory = RunMemoryRepository(session, adm, run_id, postgres=ctx.postgres)
                remembered = await memory.so_far(asked)
            so_far = unwritten.so_far(remembered, needed, asked)
            docs, debtor_rows = chunk.docs, chunk.debtor_rows
            # The loop is let go between the steps of a chunk (and between slices of parsing):
            # each statement of the chunk being written needs a turn of the loop to go on.
            await asyncio.sleep(0)
            outcome = reconciliation.reconcile_chunk(
                chunk.items,
                docs,
                {number: d.fingerprint for number, d in debtor_rows.items()},
                so_far,
            )
            unwritten.add(outcome, remembered)
            await asyncio.sleep(0)
            published = apply_outcome(
                outcome,
                administration_id=adm,
                run_id=run_id,
                docs=docs,
                debtor_rows=debtor_rows,
            )
            # Earlier chunks' transactions run while this chunk is read and reconciled, up to
            # `at_once` of them. The run's memory cannot miss one of them: what it
            # gained and is not committed yet comes from `unwritten`. (Why this chunk's stored
            # rows, read ahead, cannot be stale where it matters: see `next_chunk`.)
            inserted += await writes.settle(keep=at_once - 1)
            if unwritten.writing is not None and unwritten.full():
                inserted += await writes.settle_batch()  # one batch of the memory at a time
            changed = outcome.facts or outcome.fingerprints or outcome.rejected or outcome.notices
            batch = unwritten.take()
            # A chunk that changes nothing is written only for the run's progress, which is
            # shown at most a second late, or with a full batch of the run's memory:
            # re-importing unchanged records needs no transaction per chunk.
            if changed or batch or time.monotonic() >= progress_due:
                progress_due = time.monotonic() + _PROGRESS_EVERY_S
                writes.start(
                    partial(
                        _write_chunk,
                        ctx,
                        adm,
                        run_id,
                        replace(reconciliation.counts),
                        outcome,
                        batch,
                        docs,
                        debtor_rows,
                        published,
                        rejected_seq,
                    ),
                    holds_batch=batch is not None,
                )
            rejected_seq += len(outcome.rejected)
            memory_rows += len(batch) if batch else 0
            statistics.refresh_when_due(inserted, memory_rows)
            if progress:
                progress(reconciliation.counts.records, total)
        # Only a source that did not change while it was read is known by its digest: taken
        # again now it is read, in a thread while the last chunks commit.
        reread = (
            asyncio.ensure_future(
                asyncio.to_thread(run_digest, connector, options.complete, options.ignore)
            )
            if digest is not None
            else None
        )
        try:
            await writes.settle()
            await statistics.settle()
        except BaseException:
            if reread is not None:
                reread.cancel()
            raise
        if reread is not None and await reread != digest:
            digest = None
        async with transaction(ctx.sessions) as session:
            repo = SnapshotRepository(session, adm, postgres=ctx.postgres)
            memory = RunMemoryRepository(session, adm, run_id, postgres=ctx.postgres)
            # Only the complete-list settlement reads the memory after the last chunk. After a
            # first import every stored document is one the run named: none can be absent.
            settles_absent = options.complete and not first_import
            last = unwritten.take(all_of_it=True) if settles_absent else None
            if last is not None:
                await memory.remember(last)
            outcome = await asyncio.to_thread(
                reconciliation.finish,
                _absent(memory, asyncio.get_running_loop()) if settles_absent else (),
            )
            unsettled = await repo.documents({fact.key for fact in outcome.facts})
            published = apply_outcome(
                outcome,
                administration_id=adm,
                run_id=run_id,
                docs=unsettled,
                debtor_rows={},
            )
            now = ctx.clock.now()
            counts = reconciliation.counts
            await _progress(session, adm, run_id, counts, outcome.notices, now)
            await repo.save(unsettled.values(), ())
            await ctx.outbox.add_events(
                session, published, administration_id=adm, correlation_id=run_id
            )
            final = await _finish_run(
                ctx, session, adm, run_id, source, SUCCEEDED, None, started, _counts(counts)
            )
            if digest is not None:
                await RunRepository(session, adm).put_snapshot_source(run_id, digest)
        ctx.notify()
        await _forget_run(ctx, adm, run_id)
        log.info("import run succeeded", run_id=run_id, **final.counts)
        return final
    except BaseException as exc:
        reading, in_flight = locals().get("upcoming"), locals().get("writes")
        if reading is not None:
            reading.cancel()
        statistics.cancel()
        if not isinstance(exc, Exception):
            if in_flight is not None:
                in_flight.cancel()
            raise
        if in_flight is not None:
            # A chunk read in full is written in full, as if the source had failed later.
            await in_flight.finish_quietly()
        if isinstance(exc, RunEnded):
            log.warning("import run ended meanwhile; stopped", run_id=run_id)
            await _forget_run(ctx, adm, run_id)
            return RunOutcome(run_id, FAILED, _counts(reconciliation.counts), ABANDONED)
        if isinstance(exc, SourceError):
            error = str(exc)
            log.warning("import run failed", run_id=run_id, error=error)
        else:
            error = f"the import failed unexpectedly ({type(exc).__name__}); see the service log"
            log.exception("import run failed unexpectedly", run_id=run_id)
        counts = _counts(reconciliation.counts)
        try:
            async with transaction(ctx.sessions) as session:
                final = await _finish_run(
                    ctx, session, adm, run_id, source, FAILED, error, started, counts
                )
        except RunEnded:  # failed as abandoned meanwhile, with its own run.finished
            final = RunOutcome(run_id, FAILED, counts, ABANDONED)
        ctx.notify()
        await _forget_run(ctx, adm, run_id)
        return final


async def _repeat(
    ctx: ImporterContext,
    adm: str,
    run_id: str,
    source: str,
    started: datetime,
    earlier_run_id: str,
    digest: str,
    progress: Progress | None,
) -> RunOutcome | None:
    """Finish the run with the outcome of the earlier run over the same source (see
    ``same_source``); ``None`` when the source must be read after all."""
    async with transaction(ctx.sessions) as session:
        runs = RunRepository(session, adm)
        repeated = await repeat_run(runs, run_id, earlier_run_id)
        if repeated is None:
            return None
        records = repeated.counts["records"]
        if progress:
            progress(records, records)  # before the commit: a failing callback fails the run
        await runs.record_repeat(run_id, repeated.counts, repeated.notices)
        final = await _finish_run(
            ctx, session, adm, run_id, source, SUCCEEDED, None, started, repeated.counts
        )
        await runs.put_snapshot_source(run_id, digest)
    ctx.notify()
    log.info("import run succeeded", run_id=run_id, same_source_as=earlier_run_id, **final.counts)
    return final


async def _write_chunk(
    ctx: ImporterContext,
    adm: str,
    run_id: str,
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
    memory when one is due, then, once the chunk before (``after``) has committed, the run's
    progress and the events. So events are numbered in the order of the chunks, and a chunk
    whose predecessor failed rolls back. Returns how many snapshot rows it inserted."""
    async with transaction(ctx.sessions) as session:
        repo = SnapshotRepository(session, adm, postgres=ctx.postgres)
        now = ctx.clock.now()
        await repo.save(docs.values(), debtor_rows.values())
        await repo.add_rejected(run_id, rejected_seq, outcome.rejected)
        if memory_batch is not None:
            await RunMemoryRepository(session, adm, run_id, postgres=ctx.postgres).remember(
                memory_batch
            )
        if after is not None:
            await after
        await _progress(session, adm, run_id, counts, outcome.notices, now)
        await ctx.outbox.add_events(
            session, published, administration_id=adm, correlation_id=run_id
        )
    if published:
        ctx.notify()
    return repo.inserted


class _ChunkWrites:
    """The chunk transactions in flight, oldest first; each commits after the one before."""

    def __init__(self, unwritten: UnwrittenMemory) -> None:
        self._unwritten = unwritten
        self._writes: deque[tuple[asyncio.Future[int], bool]] = deque()

    def start(
        self, write: Callable[[asyncio.Future[int] | None], Awaitable[int]], *, holds_batch: bool
    ) -> None:
        """Start ``write(after)``, ``after`` being the newest write in flight."""
        after = self._writes[-1][0] if self._writes else None
        self._writes.append((asyncio.ensure_future(write(after)), holds_batch))

    async def settle(self, *, keep: int = 0) -> int:
        """Take the writes that are done off, and wait for the oldest until at most ``keep``
        are left; returns the snapshot rows they inserted. A failed write raises here."""
        inserted = 0
        while self._writes and (len(self._writes) > keep or self._writes[0][0].done()):
            inserted += await self._settle_oldest()
        return inserted

    async def settle_batch(self) -> int:
        """Take writes off until the one holding a batch of the run's memory is committed."""
        inserted = 0
        while self._unwritten.writing is not None:
            inserted += await self._settle_oldest()
        return inserted

    async def _settle_oldest(self) -> int:
        future, holds_batch = self._writes[0]
        inserted = await future
        self._writes.popleft()
        if holds_batch:
            self._unwritten.written()
        return inserted

    def cancel(self) -> None:
        for future, _ in self._writes:
            future.cancel()

    async def finish_quietly(self) -> None:
        """Let the writes in flight end, failed or not (the run is failing anyway)."""
        for future, _ in self._writes:
            with contextlib.suppress(Exception):
                await future
        self._writes.clear()


@dataclass(frozen=True, slots=True)
class _Chunk:
    """A chunk of records with the stored state of its documents and debtors."""

    items: list[SourceItem]
    needed: Lookups
    docs: dict[DocumentKey, WorkingDocument]
    debtor_rows: dict[str, WorkingDebtor]


async def _forget_run(ctx: ImporterContext, adm: str, run_id: str) -> None:
    """Delete the ended run's memory. After the run's own transaction, so its last events are
    published meanwhile; what a failure here leaves is deleted when the next run starts."""
    try:
        async with transaction(ctx.sessions) as session:
            await RunMemoryRepository(session, adm, run_id, postgres=ctx.postgres).forget()
    except Exception:
        log.warning("the memory of an ended import run was not deleted", run_id=run_id)


# Chunk transactions under way at once on PostgreSQL: a chunk's statements each wait for a turn
# of the loop, so with one at a time the loop often waited for the last of them; with two it
# still waited 0.21-0.23 s of a 100,000-invoice import for a commit, with three 0.12-0.13 s.
_WRITES_AT_ONCE = 3

# How often a run whose chunks change nothing records its progress (and heartbeat).
_PROGRESS_EVERY_S = 1.0

# Entries of the run's memory written at once: a few MB held, a transaction per ten chunks
# when nothing else changes.
_MEMORY_BATCH = 10_000

# Debtors decided in the run kept in memory (about 100 bytes each), so a recurring debtor
# costs no lookup; as many as the parser keeps details of (see sources/mapping.py).
_DECIDED_KEPT = 25_000

# Rows inserted by a run before the planner's statistics are refreshed (then 4x as many, ...),
# for the snapshot and for the run's memory apart: a second import inserts no snapshot rows.
_FIRST_ANALYZE = 5_000


class _Statistics:
    """Refreshes the planner's statistics of the tables a run fills (see
    ``SnapshotRepository.refresh_statistics``) as they grow, in the background: an ANALYZE
    takes about a tenth of a second, which the run would otherwise spend waiting. One at a
    time; a refresh that fails is logged and the run goes on (statistics help the planner,
    they are not part of the import). PostgreSQL only."""

    def __init__(self, ctx: ImporterContext, adm: str, run_id: str) -> None:
        self._ctx, self._adm, self._run_id = ctx, adm, run_id
        self._snapshot_at = self._memory_at = _FIRST_ANALYZE
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
                if snapshot:
                    await SnapshotRepository(session, self._adm, postgres=True).refresh_statistics()
                if memory:
                    await RunMemoryRepository(
                        session, self._adm, self._run_id, postgres=True
                    ).refresh_statistics()
        except Exception:
            log.warning("the planner's statistics were not refreshed", exc_info=True)

    async def settle(self) -> None:
        """Wait for the refresh under way, if any."""
        if self._task is not None:
            await self._task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()


_ABSENT_PAGE = 10_000


def _absent(
    memory: RunMemoryRepository, loop: asyncio.AbstractEventLoop
) -> Iterator[tuple[tuple[str, str], Decimal]]:
    """The stored open documents the run did not name, read page by page from the event loop
    while the domain's ``finish`` consumes them in a worker thread."""
    after: tuple[str, str] | None = None
    while True:
        page = asyncio.run_coroutine_threadsafe(
            memory.absent_page(after, _ABSENT_PAGE), loop
        ).result()
        yield from page
        if len(page) < _ABSENT_PAGE:
            return
        after = page[-1][0]


# Records parsed before the loop is let go: the write of the chunk before goes on meanwhile.
_PARSE_SLICE = 100


def _chunk_reader(
    connector: Connector, records: Iterator[SourceItem], size: int
) -> Callable[[], Awaitable[list[SourceItem]]]:
    """How the next chunk is read. A file is parsed on the event loop, a slice of a chunk at a
    time: in a worker thread the parser and the loop fight over the GIL, and every database
    answer the loop waits for is then held up until the parser yields.
    A source that waits on the network (an API) is read in a worker thread, a chunk ahead."""
    if isinstance(connector, FILE_SOURCES):

        async def parse() -> list[SourceItem]:
            items: list[SourceItem] = []
            while len(items) < size:
                part = list(islice(records, min(_PARSE_SLICE, size - len(items))))
                items += part
                if not part:
                    break
                await asyncio.sleep(0)
            return items

        return parse
    return lambda: asyncio.to_thread(lambda: list(islice(records, size)))


def _counts(counts: ImportCounts) -> dict[str, int]:
    return {name: int(value) for name, value in asdict(counts).items()}


async def _progress(
    session: AsyncSession,
    adm: str,
    run_id: str,
    counts: ImportCounts,
    notices: list[str],
    now: datetime,
) -> None:
    await RunRepository(session, adm).record_progress(run_id, _counts(counts), notices, now)


async def _finish_run(
    ctx: ImporterContext,
    session: AsyncSession,
    adm: str,
    run_id: str,
    source: str,
    status: str,
    error: str | None,
    started: datetime,
    counts: dict[str, int],
) -> RunOutcome:
    finished = ctx.clock.now()
    notices = await RunRepository(session, adm).finish(run_id, status, error, finished)
    event = events.ImportRunFinished(
        administration_id=adm,
        run_id=run_id,
        source=source,
        status="succeeded" if status == SUCCEEDED else "failed",
        error=error,
        counts=events.ImportCounts(
            **{name: counts.get(name, 0) for name in events.ImportCounts.model_fields}
        ),
        started_at=started,
        finished_at=finished,
        duration_ms=max(int((finished - started).total_seconds() * 1000), 0),
    )
    await ctx.outbox.add(session, event, administration_id=adm, correlation_id=run_id)
    await ctx.outbox.end_burst(session)  # the run's last events: published without delay
    return RunOutcome(run_id, status, counts, error, tuple(notices or ()))
