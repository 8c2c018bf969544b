"""The import use case: a connector's records, chunk by chunk, into the snapshot and the outbox.

A run reads like the domain: per chunk, read (the records and the stored state of just their
documents and debtors), reconcile, apply (the facts to the stored rows, and their events), write
(one transaction). At the end a complete list settles what it did not name, the outcome is
recorded (``ImportRunFinished``) and the run's memory is deleted. The speed-ups are stages of
their own: ``chunk_reading``, ``memory``, ``chunk_writing``, ``planner_statistics``; what each
buys is in docs/importing.md, and what a failed run keeps in docs/domain.md (Import)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.application.administrations import check_known
from settle_importer.application.chunk_reading import ChunkReader
from settle_importer.application.chunk_writing import ChunkWriter, counts_of
from settle_importer.application.context import ImporterContext
from settle_importer.application.facts import apply_outcome
from settle_importer.application.memory import UnwrittenMemory, look_up_so_far
from settle_importer.application.planner_statistics import PlannerStatistics
from settle_importer.application.ports import Connector, RunMemory
from settle_importer.application.same_source import repeat_run, run_digest
from settle_importer.domain import DocumentKey, Reconciliation
from settle_importer.domain.errors import SourceError
from settle_importer.domain.runs import (
    ABANDONED,
    FAILED,
    INTERRUPTED,
    QUEUED,
    RESTARTED,
    SUCCEEDED,
    ImportRun,
    RunEnded,
    RunOptions,
    SnapshotSource,
    bounded_text,
)
from settle_shared.db import transaction
from settle_shared.events import importer as events
from settle_shared.logs import get_logger, log_context

log = get_logger(__name__)

__all__ = [
    "ImporterContext",
    "Progress",
    "RunEnded",
    "RunOptions",
    "RunOutcome",
    "execute_run",
    "fail_abandoned_runs",
    "fail_runs_left_behind",
    "start_run",
]

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
    """Accept a run (queued); raise ``UnknownAdministration`` for an administration the
    gateway has not announced, ``RunInProgress`` when the administration has a run."""
    await check_known(ctx, administration_id)
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
        owner=ctx.owner,
    )
    async with transaction(ctx.sessions) as session:
        await ctx.repositories(session).runs(administration_id).queue(run, now)
    log.info("import run queued", administration_id=administration_id, run_id=run_id)
    return run_id


async def fail_abandoned_runs(ctx: ImporterContext, administration_id: str) -> int:
    """Fail the administration's active run whose owner is gone: left behind by an earlier
    instance of this replica (a restart), or without a heartbeat for longer than the lease
    (``stale_run_after_s``; its replica died or was cut off)."""
    limit = ctx.clock.now() - timedelta(seconds=ctx.settings.stale_run_after_s)
    async with transaction(ctx.sessions) as session:
        runs = ctx.repositories(session).runs(administration_id)
        left = await runs.left_behind(ctx.owner)
        stale = [run for run in await runs.stale(limit) if run.id not in {r.id for r in left}]
        for run, reason in [*((r, RESTARTED) for r in left), *((r, ABANDONED) for r in stale)]:
            stopped = _Run(
                administration_id,
                run.id,
                run.source,
                run.started_at or run.created_at,
                run.connection_id,
            )
            await _finish_run(ctx, session, stopped, FAILED, reason, run.counts)
    if left or stale:
        ctx.notify()
    return len(left) + len(stale)


async def fail_runs_left_behind(ctx: ImporterContext) -> int:
    """On start-up: fail every run an earlier instance of this replica left queued or running
    (the service was killed or crashed), so no administration waits for the lease to end."""
    async with ctx.sessions() as session:
        administrations = await ctx.repositories(session).administrations_left_behind(ctx.owner)
    failed = 0
    for administration_id in administrations:
        failed += await fail_abandoned_runs(ctx, administration_id)
    if failed:
        log.warning("import runs left behind by a restart failed", runs=failed)
    return failed


@dataclass(frozen=True)
class _Run:
    """The run under way: whose, which, from what source (and connection), since when."""

    administration_id: str
    id: str
    source: str
    started: datetime
    connection_id: str | None = None


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
        run, first_import, read_before = await _begin(ctx, administration_id, run_id)
        reconciliation = Reconciliation(
            complete=options.complete,
            ignore=options.ignore,
            default_payment_term_days=options.default_payment_term_days,
        )
        heartbeat = asyncio.create_task(_beat(ctx, run))
        try:
            connector = await asyncio.to_thread(open_source)
            total = await asyncio.to_thread(lambda: connector.total)
            digest = await asyncio.to_thread(
                run_digest,
                connector,
                options.complete,
                options.ignore,
                options.default_payment_term_days,
            )
            if read_before is not None and digest == read_before.digest:
                repeated = await _repeat(ctx, run, read_before.run_id, digest, progress)
                if repeated is not None:
                    return repeated
            async with transaction(ctx.sessions) as session:
                await ctx.repositories(session).runs(run.administration_id).expect(run.id, total)
            if progress:
                progress(0, total)
            unwritten = await _import_chunks(
                ctx, run, connector, reconciliation, first_import, total, progress
            )
            # Only a source that did not change while it was read is known by its digest.
            if digest is not None:
                again = await asyncio.to_thread(
                    run_digest,
                    connector,
                    options.complete,
                    options.ignore,
                    options.default_payment_term_days,
                )
                digest = digest if again == digest else None
            # After a first import every stored document is one the run named: none is absent.
            settles_absent = options.complete and not first_import
            return await _succeed(ctx, run, reconciliation, unwritten, settles_absent, digest)
        except Exception as exc:
            return await _fail(ctx, run, reconciliation, exc)
        except BaseException:  # cancelled: Ctrl-C of the command line, the service stopping
            await _interrupted(ctx, run, reconciliation)
            raise
        finally:
            heartbeat.cancel()


async def _beat(ctx: ImporterContext, run: _Run) -> None:
    """Write the run's heartbeat every third of the lease while it goes on, however long one
    step takes (opening a large file, a slow page of an API), so only a run whose owner is
    gone is taken as abandoned."""
    every = ctx.settings.stale_run_after_s / 3
    while True:
        await asyncio.sleep(every)
        try:
            async with transaction(ctx.sessions) as session:
                runs = ctx.repositories(session).runs(run.administration_id)
                await runs.beat(run.id, ctx.clock.now())
        except RunEnded:
            return
        except Exception as exc:  # the database away for a moment: the next beat may do
            log.warning("import run heartbeat not written", run_id=run.id, error=repr(exc))


async def _interrupted(ctx: ImporterContext, run: _Run, reconciliation: Reconciliation) -> None:
    """Fail a run that was cancelled, so its administration can import again at once."""
    log.warning("import run interrupted", run_id=run.id)
    try:
        async with transaction(ctx.sessions) as session:
            await _finish_run(
                ctx, session, run, FAILED, INTERRUPTED, counts_of(reconciliation.counts)
            )
    except RunEnded:
        return
    except Exception as exc:  # the database gone with the service: the lease fails it later
        log.warning("interrupted import run not failed", run_id=run.id, error=repr(exc))
        return
    ctx.notify()
    await _forget_run(ctx, run)


async def _begin(
    ctx: ImporterContext, administration_id: str, run_id: str
) -> tuple[_Run, bool, SnapshotSource | None]:
    """Take the queued run: running from now, earlier runs' memory deleted, the snapshot's
    source taken away (``same_source``). Also says whether nothing was stored before it."""
    started = ctx.clock.now()
    async with transaction(ctx.sessions) as session:
        repositories = ctx.repositories(session)
        runs = repositories.runs(administration_id)
        source, connection_id = await runs.start(run_id, started)
        await repositories.forget_earlier_runs(administration_id)
        read_before = await runs.take_snapshot_source()
        first_import = await repositories.snapshot(administration_id).is_empty()
    run = _Run(administration_id, run_id, source, started, connection_id)
    return run, first_import, read_before


async def _import_chunks(
    ctx: ImporterContext,
    run: _Run,
    connector: Connector,
    reconciliation: Reconciliation,
    first_import: bool,
    total: int | None,
    progress: Progress | None,
) -> UnwrittenMemory:
    """Every record of the source, chunk by chunk: read, reconcile, apply, write. Returns what
    the run's memory holds that is not written yet. A chunk read in full is written in full,
    also when the run then fails."""
    settings = ctx.settings
    unwritten = UnwrittenMemory(
        settings.memory_batch_size, settings.decided_debtors_kept, expected=total
    )
    reader = ChunkReader(
        ctx, run.administration_id, connector, reconciliation, unwritten, first_import=first_import
    )
    statistics = PlannerStatistics(ctx, run.administration_id, run.id)
    writer = ChunkWriter(ctx, run.administration_id, run.id, unwritten, statistics)
    try:
        async for chunk in reader.chunks():
            so_far, stored = await look_up_so_far(
                ctx, run.administration_id, run.id, unwritten, chunk.needed
            )
            # The loop is let go between the steps of a chunk: each statement of the chunks
            # being written needs a turn of the loop to go on.
            await asyncio.sleep(0)
            outcome = reconciliation.reconcile_chunk(
                chunk.items, chunk.docs, chunk.debtor_fingerprints(), so_far
            )
            unwritten.add(outcome, stored)
            await asyncio.sleep(0)
            published = apply_outcome(
                outcome,
                administration_id=run.administration_id,
                run_id=run.id,
                docs=chunk.docs,
                debtor_rows=chunk.debtor_rows,
            )
            await writer.write(
                outcome, reconciliation.counts, chunk.docs, chunk.debtor_rows, published
            )
            if progress:
                progress(reconciliation.counts.records, total)
        await writer.wait_for_commits()
        await statistics.wait()
    except BaseException:
        # Failed or cancelled (Ctrl-C, the service stopping): the chunk transactions in flight
        # (a few) end first, so the run can be failed without waiting on their locks.
        statistics.cancel()
        await writer.finish_quietly()
        raise
    return unwritten


async def _succeed(
    ctx: ImporterContext,
    run: _Run,
    reconciliation: Reconciliation,
    unwritten: UnwrittenMemory,
    settles_absent: bool,
    digest: str | None,
) -> RunOutcome:
    """The run's last transaction: a complete list settles the open documents it did not name
    (an anti-join of the snapshot with the run's memory), and the outcome is recorded."""
    async with transaction(ctx.sessions) as session:
        repositories = ctx.repositories(session)
        snapshot = repositories.snapshot(run.administration_id)
        memory = repositories.run_memory(run.administration_id, run.id)
        last = unwritten.take(all_of_it=True) if settles_absent else None
        if last is not None:
            await memory.remember(last)
        absent = (
            _absent(memory, asyncio.get_running_loop(), ctx.settings.absent_page_size)
            if settles_absent
            else ()
        )
        outcome = await asyncio.to_thread(reconciliation.finish, absent)
        unsettled = await snapshot.documents({fact.key for fact in outcome.facts})
        published = apply_outcome(
            outcome,
            administration_id=run.administration_id,
            run_id=run.id,
            docs=unsettled,
            debtor_rows={},
        )
        counts = counts_of(reconciliation.counts)
        runs = repositories.runs(run.administration_id)
        await runs.record_progress(run.id, counts, outcome.notices, ctx.clock.now())
        await snapshot.save(unsettled.values(), ())
        await ctx.outbox.add_events(
            session, published, administration_id=run.administration_id, correlation_id=run.id
        )
        final = await _finish_run(ctx, session, run, SUCCEEDED, None, counts)
        if digest is not None:
            await runs.put_snapshot_source(run.id, digest)
    ctx.notify()
    await _forget_run(ctx, run)
    log.info("import run succeeded", run_id=run.id, **final.counts)
    return final


async def _fail(
    ctx: ImporterContext, run: _Run, reconciliation: Reconciliation, exc: Exception
) -> RunOutcome:
    """Record a run that failed; what its chunks committed stays."""
    counts = counts_of(reconciliation.counts)
    if isinstance(exc, RunEnded):
        log.warning("import run ended meanwhile; stopped", run_id=run.id)
        await _forget_run(ctx, run)
        return RunOutcome(run.id, FAILED, counts, ABANDONED)
    if isinstance(exc, SourceError):
        error = bounded_text(str(exc))
        log.warning("import run failed", run_id=run.id, error=error)
    else:
        error = f"the import failed unexpectedly ({type(exc).__name__}); see the service log"
        log.error("import run failed unexpectedly", run_id=run.id, exc_info=exc)
    try:
        async with transaction(ctx.sessions) as session:
            final = await _finish_run(ctx, session, run, FAILED, error, counts)
    except RunEnded:  # failed as abandoned meanwhile, with its own run.finished
        final = RunOutcome(run.id, FAILED, counts, ABANDONED)
    ctx.notify()
    await _forget_run(ctx, run)
    return final


async def _repeat(
    ctx: ImporterContext,
    run: _Run,
    earlier_run_id: str,
    digest: str,
    progress: Progress | None,
) -> RunOutcome | None:
    """Finish the run with the outcome of the earlier run over the same source (see
    ``same_source``); ``None`` when the source must be read after all."""
    async with transaction(ctx.sessions) as session:
        runs = ctx.repositories(session).runs(run.administration_id)
        repeated = await repeat_run(runs, run.id, earlier_run_id)
        if repeated is None:
            return None
        records = repeated.counts["records"]
        if progress:
            progress(records, records)  # before the commit: a failing callback fails the run
        await runs.record_repeat(run.id, repeated.counts, repeated.notices)
        final = await _finish_run(ctx, session, run, SUCCEEDED, None, repeated.counts)
        await runs.put_snapshot_source(run.id, digest)
    ctx.notify()
    log.info("import run succeeded", run_id=run.id, same_source_as=earlier_run_id, **final.counts)
    return final


async def _finish_run(
    ctx: ImporterContext,
    session: AsyncSession,
    run: _Run,
    status: str,
    error: str | None,
    counts: dict[str, int],
) -> RunOutcome:
    """End the run and stage its ``ImportRunFinished``; ``RunEnded`` when it had ended. A
    connection remembers when its last successful run began: the next run of an incremental
    source asks for what changed since."""
    finished = ctx.clock.now()
    repositories = ctx.repositories(session)
    notices = await repositories.runs(run.administration_id).finish(run.id, status, error, finished)
    if status == SUCCEEDED and run.connection_id is not None:
        await repositories.connections().record_success(
            run.administration_id, run.connection_id, run.started
        )
    event = events.ImportRunFinished(
        administration_id=run.administration_id,
        run_id=run.id,
        source=run.source,
        status="succeeded" if status == SUCCEEDED else "failed",
        error=error,
        counts=events.ImportCounts(
            **{name: counts.get(name, 0) for name in events.ImportCounts.model_fields}
        ),
        started_at=run.started,
        finished_at=finished,
        duration_ms=max(int((finished - run.started).total_seconds() * 1000), 0),
    )
    await ctx.outbox.add(
        session, event, administration_id=run.administration_id, correlation_id=run.id
    )
    await ctx.outbox.end_burst(session)  # the run's last events: published without delay
    return RunOutcome(run.id, status, counts, error, tuple(notices))


async def _forget_run(ctx: ImporterContext, run: _Run) -> None:
    """Delete the ended run's memory. After the run's own transaction, so its last events are
    published meanwhile; what a failure here leaves is deleted when the next run starts."""
    try:
        async with transaction(ctx.sessions) as session:
            await ctx.repositories(session).run_memory(run.administration_id, run.id).forget()
    except Exception:
        log.warning("the memory of an ended import run was not deleted", run_id=run.id)


def _absent(
    memory: RunMemory, loop: asyncio.AbstractEventLoop, page_size: int
) -> Iterator[tuple[DocumentKey, Decimal]]:
    """The stored open documents the run did not name, read page by page from the event loop
    while the domain's ``finish`` consumes them in a worker thread."""
    after: DocumentKey | None = None
    while True:
        page = asyncio.run_coroutine_threadsafe(memory.absent_page(after, page_size), loop).result()
        yield from page
        if len(page) < page_size:
            return
        after = page[-1][0]
