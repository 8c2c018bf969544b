"""The chunked import and the one-run-at-a-time guard on PostgreSQL (COPY, row locks)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from settle_importer.adapters.repository import SnapshotRepository
from settle_importer.adapters.sources import CsvMapping, CsvSource, SourceError
from settle_importer.adapters.tables import documents, import_runs, run_debtors, run_numbers
from settle_importer.app import SERVICE, context_for
from settle_importer.application.files import run_file
from settle_importer.application.importing import (
    ImporterContext,
    RunOptions,
    execute_run,
    start_run,
)
from settle_importer.domain.errors import RunInProgress
from settle_importer.settings import ImporterSettings
from settle_shared.db import create_engine, session_factory
from settle_shared.envelope import Envelope
from settle_shared.migrations import upgrade
from settle_shared.outbox import stored_events
from settle_shared.testing.service import announce_administration

pytestmark = pytest.mark.integration

HEADER = "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand\n"


@asynccontextmanager
async def importer_on(
    pg_database: str, chunk_size: int = 7, **tuning: Any
) -> AsyncIterator[tuple[AsyncEngine, ImporterContext]]:
    """The importer's context on the migrated database; small chunks unless told otherwise."""
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    for administration in ("adm-1", "adm-2"):  # as the gateway announced them
        await announce_administration(SERVICE, pg_database, administration, scheduler_enabled=False)
    settings = ImporterSettings(database_url=pg_database, chunk_size=chunk_size, **tuning)
    engine = create_engine(settings.database_url)
    try:
        yield engine, context_for(settings, session_factory(engine))
    finally:
        await engine.dispose()


def export(path: Path, rows: int, *, paid: set[int] = frozenset(), bad: set[int] = frozenset()):
    lines = [HEADER]
    for n in range(rows):
        amount = "oops" if n in bad else f"{n + 1},00"
        open_amount = "0,00" if n in paid else f"{n + 1},00"
        lines.append(
            f"F{n:04d};D{n % 7};Debiteur {n % 7};01-03-2025;31-03-2025;{amount};{open_amount}\n"
        )
    path.write_text("".join(lines))
    return path


async def count(engine, query) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(query))


async def events_of(engine) -> list[tuple[str, Envelope]]:
    """Every event the import staged, as the relay would send it."""
    async with session_factory(engine)() as session:
        return await stored_events(session, SERVICE.metadata)


async def run_memory_rows(engine) -> int:
    return sum(
        [
            await count(engine, sa.select(sa.func.count()).select_from(table))
            for table in (run_numbers, run_debtors)
        ]
    )


async def test_chunked_import_on_postgres(pg_database: str, tmp_path: Path):
    # Small chunks and pages, so 50 records cross many of both.
    async with importer_on(pg_database, absent_page_size=3) as (engine, ctx):
        path = export(tmp_path / "a.csv", 50, bad={13})

        async def run(file: Path, complete: bool = False):
            run_id = await start_run(
                ctx, "adm-1", source="csv", source_name=file.name, trigger="cli"
            )
            return await execute_run(
                ctx,
                "adm-1",
                run_id,
                lambda: CsvSource(file, CsvMapping.dutch()),
                RunOptions(complete=complete),
            )

        first = await run(path)
        assert first.status == "succeeded", first.error
        assert first.counts["new"] == 49 and first.counts["rejected"] == 1
        assert await count(engine, sa.select(sa.func.count()).select_from(documents)) == 49
        stored = await events_of(engine)
        assert len(stored) == 49 + 7 + 1  # invoices, debtors, run finished
        assert all(envelope.type.startswith("settle.importer.") for _, envelope in stored)
        # Each debtor's event comes before its first invoice's, and the run's last.
        kinds = [envelope.type.rsplit(".", 2)[-2] for _, envelope in stored]
        assert kinds[0] == "debtor" and kinds[-1] == "run"

        # The same file again repeats the run without reading it; the same rows written with
        # other line endings are read and compared record by record. Neither publishes a fact.
        again = await run(path)
        assert again.counts["unchanged"] == 49 and again.counts["rejected"] == 1
        copy = tmp_path / "a-crlf.csv"
        copy.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
        compared = await run(copy)
        assert compared.counts["unchanged"] == 49 and compared.counts["new"] == 0
        assert compared.counts["rejected"] == 1
        assert len(await events_of(engine)) == len(stored) + 2
        async with engine.connect() as conn:
            notices = (
                (
                    await conn.execute(
                        sa.select(import_runs.c.notices)
                        .where(import_runs.c.id.in_([again.run_id, compared.run_id]))
                        .order_by(import_runs.c.id == compared.run_id)
                    )
                )
                .scalars()
                .all()
            )
        assert [any("same as that of run" in n for n in run) for run in notices] == [True, False]

        paid = await run(export(tmp_path / "b.csv", 50, paid={1, 2}, bad={13}), complete=True)
        assert paid.counts["settled"] == 2
        shorter = await run(export(tmp_path / "c.csv", 40, paid={1, 2}, bad={13}), complete=True)
        assert shorter.counts["settled"] == 10  # F0040..F0049 absent from the complete list
        settled = await count(
            engine, sa.select(sa.func.count()).select_from(documents).where(documents.c.settled)
        )
        assert settled == 12
        assert await run_memory_rows(engine) == 0  # deleted as each run ended


async def test_bulk_events_are_complete_envelopes(pg_database: str, tmp_path: Path):
    # A chunk's events go into the outbox as one batch row, without building envelopes: what
    # the relay sends must still read back as valid envelopes.
    async with importer_on(pg_database, chunk_size=1_000) as (engine, ctx):
        path = export(tmp_path / "a.csv", 150)
        run_id = await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli")
        outcome = await run_file(ctx, "adm-1", run_id, path, path.name, None)
        assert outcome.status == "succeeded"
        stored = await events_of(engine)
        assert len(stored) == 150 + 7 + 1
        ids = set()
        for topic, envelope in stored:
            event = envelope.payload()
            assert event is not None and event.key() == envelope.key
            assert topic == event.topic.name and envelope.administration_id == "adm-1"
            assert envelope.correlation_id == run_id and envelope.time.tzinfo is not None
            assert envelope.subject == event.subject()
            ids.add(envelope.id)
        assert len(ids) == len(stored)


class BreaksOff:
    """A source that stops answering after ``after`` records (an API going away mid-run)."""

    def __init__(self, path: Path, after: int) -> None:
        self.csv = CsvSource(path, CsvMapping.dutch())
        self.after = after

    @property
    def total(self) -> int | None:
        return self.csv.total

    def content_digest(self) -> None:
        return None  # an API: not known without reading it

    def records(self):
        for n, record in enumerate(self.csv.records()):
            if n == self.after:
                raise SourceError("the bookkeeping package stopped answering")
            yield record


async def test_a_source_that_breaks_off_keeps_whole_chunks_with_their_events(
    pg_database: str, tmp_path: Path
):
    # Chunks are written while the next one is read: the chunks read in full before the
    # source broke off are committed whole, with exactly their events, and nothing of the
    # chunk it broke off in.
    async with importer_on(pg_database) as (engine, ctx):
        path = export(tmp_path / "a.csv", 50)
        run_id = await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli")
        outcome = await execute_run(
            ctx, "adm-1", run_id, lambda: BreaksOff(path, after=24), RunOptions(complete=True)
        )
        assert outcome.status == "failed"
        assert "stopped answering" in (outcome.error or "")
        assert await count(engine, sa.select(sa.func.count()).select_from(documents)) == 21
        kinds = [envelope.type for _, envelope in await events_of(engine)]
        assert kinds.count("settle.importer.invoice.imported") == 21
        assert kinds.count("settle.importer.debtor.upserted") == 7
        assert kinds.count("settle.importer.run.finished") == 1
        assert not any("settled" in kind for kind in kinds)  # no complete-list settlement
        assert await run_memory_rows(engine) == 0

        # Importing again completes the job; what was kept is recognised as unchanged.
        run_id = await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli")
        again = await execute_run(
            ctx,
            "adm-1",
            run_id,
            lambda: CsvSource(path, CsvMapping.dutch()),
            RunOptions(complete=True),
        )
        assert again.status == "succeeded"
        assert again.counts["new"] == 29 and again.counts["unchanged"] == 21


async def test_a_chunk_whose_write_fails_takes_the_chunk_after_it_down_too(
    pg_database: str, tmp_path: Path, monkeypatch
):
    # Chunks are written several at once. When an earlier one fails, a later one, although
    # its rows went in first, must not commit: what a failed run keeps is whole chunks from
    # the start of the file, each with its events.
    # The third chunk (F0014-F0020) is told by its documents: the chunks' writes overlap, so
    # they do not reach the database in the order of the file.
    save = SnapshotRepository.save
    saved: set[str] = set()

    async def third_chunk_fails(self, docs, debtor_rows):
        docs = list(docs)
        numbers = {doc.stored.number for doc in docs}
        if "F0014" in numbers:
            await asyncio.sleep(0.5)  # the fourth chunk's rows go in meanwhile
            raise RuntimeError("the disk is full")
        await save(self, docs, debtor_rows)
        saved.update(numbers)

    monkeypatch.setattr(SnapshotRepository, "save", third_chunk_fails)
    async with importer_on(pg_database) as (engine, ctx):
        path = export(tmp_path / "a.csv", 50)
        run_id = await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli")
        outcome = await run_file(ctx, "adm-1", run_id, path, path.name, None)
        assert outcome.status == "failed"
        assert "F0021" in saved, "the fourth chunk's rows never went in"
        assert await count(engine, sa.select(sa.func.count()).select_from(documents)) == 14
        kinds = [envelope.type for _, envelope in await events_of(engine)]
        assert kinds.count("settle.importer.invoice.imported") == 14
        assert kinds[-1] == "settle.importer.run.finished"


async def test_a_number_repeated_chunks_later_is_rejected_not_imported_twice(
    pg_database: str, tmp_path: Path
):
    async with importer_on(pg_database) as (engine, ctx):
        path = export(tmp_path / "a.csv", 30)
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join([*lines, lines[3]]))  # F0002 again, four chunks on
        outcome = await run_file(
            ctx,
            "adm-1",
            await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli"),
            path,
            path.name,
            None,
        )
        assert outcome.status == "succeeded"
        assert outcome.counts["new"] == 30 and outcome.counts["rejected"] == 1
        assert await count(engine, sa.select(sa.func.count()).select_from(documents)) == 30


async def test_a_first_import_beside_another_administration_then_the_next_import_after_it(
    pg_database: str, tmp_path: Path
):
    # A first import reads no stored rows (there are none yet); the other administration's
    # documents with the same numbers must not count, and the import after it must find what
    # the first one stored.

    async def imported(ctx: ImporterContext, adm: str, path: Path):
        run_id = await start_run(ctx, adm, source="csv", source_name=path.name, trigger="cli")
        outcome = await execute_run(
            ctx, adm, run_id, lambda: CsvSource(path, CsvMapping.dutch()), RunOptions(complete=True)
        )
        assert outcome.status == "succeeded", outcome.error
        return outcome.counts

    async with importer_on(pg_database) as (engine, ctx):
        await imported(ctx, "adm-2", export(tmp_path / "other.csv", 50))
        before = len(await events_of(engine))
        # D0's invoices F0000, F0007 and F0014 are paid: it waits until F0021, three chunks on.
        first = await imported(ctx, "adm-1", export(tmp_path / "first.csv", 50, paid={0, 7, 14}))
        assert first["new"] == 47 and first["closed_not_imported"] == 3
        assert first["debtors_upserted"] == 7 and first["settled"] == 0
        types = [
            (envelope.type.rsplit(".", 2)[-2], json.loads(envelope.data).get("number"))
            for _, envelope in (await events_of(engine))[before:]
        ]
        assert types.count(("debtor", "D0")) == 1
        assert types.index(("debtor", "D0")) < types.index(("invoice", "F0021"))

        # F0021 paid meanwhile, F0049 gone from the complete list: both found as stored.
        after = await imported(ctx, "adm-1", export(tmp_path / "next.csv", 49, paid={0, 7, 14, 21}))
        assert after["settled"] == 2 and after["unchanged"] == 45 and after["new"] == 0
        async with engine.connect() as conn:
            settled = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(documents)
                .where(documents.c.administration_id == "adm-1", documents.c.settled)
            )
        assert settled == 2


async def test_statistics_are_refreshed_beside_the_import_and_a_failed_refresh_fails_nothing(
    pg_database: str, tmp_path: Path, monkeypatch
):
    # Statistics are due after 5 rows, then 20, 80: refreshed while chunks go on.
    refreshed: list[str] = []
    refresh = SnapshotRepository.refresh_statistics

    async def failing_once(self: SnapshotRepository) -> None:
        refreshed.append("snapshot")
        if len(refreshed) == 1:
            raise RuntimeError("the database said no")
        await refresh(self)

    monkeypatch.setattr(SnapshotRepository, "refresh_statistics", failing_once)
    async with importer_on(pg_database, first_analyze_rows=5) as (engine, ctx):
        path = export(tmp_path / "a.csv", 100)
        run_id = await start_run(ctx, "adm-1", source="csv", source_name="a.csv", trigger="cli")
        outcome = await run_file(ctx, "adm-1", run_id, path, path.name, None)
        assert outcome.status == "succeeded" and outcome.counts["new"] == 100
        assert len(refreshed) >= 2  # the first failed; later ones were still made
        async with engine.connect() as conn:
            analyzed = await conn.scalar(
                sa.text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'documents'")
            )
        assert analyzed is not None


async def test_one_run_per_administration_at_a_time_across_replicas(pg_database: str, tmp_path):
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    for administration in ("adm-1", "adm-2"):
        await announce_administration(SERVICE, pg_database, administration, scheduler_enabled=False)
    replicas = []
    for _ in range(2):
        settings = ImporterSettings(database_url=pg_database)
        engine = create_engine(settings.database_url)
        replicas.append((engine, context_for(settings, session_factory(engine))))
    try:
        results = await asyncio.gather(
            *(
                start_run(ctx, "adm-1", source="csv", source_name="x", trigger="upload")
                for _, ctx in replicas
                for _ in range(3)
            ),
            return_exceptions=True,
        )
        started = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, RunInProgress)]
        assert len(started) == 1 and len(refused) == 5
        # Another administration is not held up.
        await start_run(replicas[1][1], "adm-2", source="csv", source_name="x", trigger="upload")

        ctx = replicas[0][1]
        path = export(tmp_path / "a.csv", 3)
        outcome = await run_file(ctx, "adm-1", started[0], path, path.name, None)
        assert outcome.status == "succeeded"
        # Finished: the next run is accepted.
        await start_run(replicas[1][1], "adm-1", source="csv", source_name="y", trigger="upload")
        engine = replicas[0][0]
        active = await count(
            engine,
            sa.select(sa.func.count())
            .select_from(import_runs)
            .where(import_runs.c.status.in_(["queued", "running"])),
        )
        assert active == 2
    finally:
        for engine, _ in replicas:
            await engine.dispose()
