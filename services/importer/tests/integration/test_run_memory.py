"""The run's memory in the database, on SQLite and PostgreSQL: what earlier chunks read is
found again in later ones (also while the previous chunk's transaction is still running), and
nothing of it stays behind when the run ends, whether it succeeded or failed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from settle_importer.adapters.run_memory import RunMemoryRepository
from settle_importer.adapters.sources import CsvMapping, CsvSource, SourceError
from settle_importer.adapters.tables import rejected_records, run_debtors, run_numbers
from settle_importer.app import SERVICE, context_for
from settle_importer.application.importing import RunOptions, execute_run, start_run
from settle_importer.domain import DebtorSoFar, ImportedDebtor, Lookups
from settle_importer.domain.run_memory import MemoryBatch
from settle_importer.settings import ImporterSettings
from settle_shared.db import create_engine, session_factory
from settle_shared.migrations import upgrade
from settle_shared.outbox import stored_events
from settle_shared.testing.service import announce_administration

pytestmark = pytest.mark.integration

HEADER = "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand\n"


def line(number: str, debtor: str, name: str, open_amount: str = "10,00") -> str:
    return f"{number};{debtor};{name};01-03-2025;31-03-2025;10,00;{open_amount}\n"


@pytest.fixture
async def importer(any_database: str):
    # Chunks of three and memory batches of four entries: a chunk finds what earlier ones
    # read in the database, in the batch being written and in the one being collected.
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, any_database)
    await announce_administration(SERVICE, any_database, "adm-1", scheduler_enabled=False)
    settings = ImporterSettings(database_url=any_database, chunk_size=3, memory_batch_size=4)
    engine = create_engine(settings.database_url)
    try:
        yield engine, context_for(settings, session_factory(engine))
    finally:
        await engine.dispose()


async def import_file(ctx, path: Path, *, complete: bool = False, source=None):
    run_id = await start_run(ctx, "adm-1", source="csv", source_name=path.name, trigger="cli")
    return await execute_run(
        ctx,
        "adm-1",
        run_id,
        source or (lambda: CsvSource(path, CsvMapping.dutch())),
        RunOptions(complete=complete),
    )


async def memory_rows(engine) -> int:
    async with engine.connect() as conn:
        return sum(
            [
                int(await conn.scalar(sa.select(sa.func.count()).select_from(table)))
                for table in (run_numbers, run_debtors)
            ]
        )


async def test_duplicates_in_the_next_chunk_and_later_name_the_first_occurrence(
    importer, tmp_path: Path
):
    engine, ctx = importer
    path = tmp_path / "a.csv"
    # Chunks of three: F1 comes back in the very next chunk (its first chunk may still be
    # being written) and again two chunks on.
    path.write_text(
        HEADER
        + line("F1", "D1", "Een")
        + line("F2", "D1", "Een")
        + line("F3", "D2", "Twee")
        + line("F1", "D1", "Een")
        + line("F4", "D2", "Twee")
        + line("F5", "D2", "Twee")
        + line("F6", "D3", "Drie")
        + line("F7", "D3", "Drie")
        + line("F1", "D3", "Drie")
    )

    outcome = await import_file(ctx, path)

    assert outcome.status == "succeeded", outcome.error
    assert outcome.counts["new"] == 7 and outcome.counts["rejected"] == 2
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(rejected_records.c.position, rejected_records.c.reason).order_by(
                    rejected_records.c.seq
                )
            )
        ).all()
    assert [position for position, _ in rows] == ["line 5", "line 10"]
    assert all("only the first (line 2) was used" in reason for _, reason in rows)
    assert await memory_rows(engine) == 0


async def test_a_debtor_first_read_on_a_paid_invoice_is_used_when_an_open_one_follows(
    importer, tmp_path: Path
):
    # The details first read wait in the run's memory (chunks of three) until the debtor has
    # an open invoice; those, not the later ones, are the debtor's.
    engine, ctx = importer
    path = tmp_path / "a.csv"
    path.write_text(
        HEADER
        + line("F1", "D1", "Eerste naam", "0,00")
        + line("F2", "D2", "Ander")
        + line("F3", "D2", "Ander")
        + line("F4", "D2", "Ander")
        + line("F5", "D1", "Tweede naam")
    )

    outcome = await import_file(ctx, path)

    assert outcome.status == "succeeded", outcome.error
    assert outcome.counts["debtors_upserted"] == 2
    async with session_factory(engine)() as session:
        names = [
            (envelope.key, envelope.data)
            for _, envelope in await stored_events(session, SERVICE.metadata)
            if envelope.type == "settle.importer.debtor.upserted"
        ]
    assert any(b"Eerste naam" in bytes(payload) for _, payload in names)
    assert not any(b"Tweede naam" in bytes(payload) for _, payload in names)


async def test_a_complete_list_settles_what_the_run_did_not_name(importer, tmp_path: Path):
    engine, ctx = importer
    first = tmp_path / "a.csv"
    first.write_text(HEADER + "".join(line(f"F{n}", "D1", "Een") for n in range(1, 8)))
    assert (await import_file(ctx, first)).counts["new"] == 7
    second = tmp_path / "b.csv"
    # F1, F2 read; F3 rejected with its number (so still in bookkeeping); F4 a duplicate of
    # F1 is read too: F5..F7 are absent.
    second.write_text(
        HEADER
        + line("F1", "D1", "Een")
        + line("F2", "D1", "Een")
        + "F3;D1;Een;31-02-2025;31-03-2025;10,00;10,00\n"
        + line("F1", "D1", "Een")
    )

    outcome = await import_file(ctx, second, complete=True)

    assert outcome.status == "succeeded", outcome.error
    assert outcome.counts["settled"] == 4  # F4..F7
    assert outcome.counts["rejected"] == 2
    assert await memory_rows(engine) == 0


class BreaksOff:
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


async def test_a_failed_run_leaves_no_memory_behind(importer, tmp_path: Path):
    engine, ctx = importer
    path = tmp_path / "a.csv"
    path.write_text(HEADER + "".join(line(f"F{n}", f"D{n}", "Naam") for n in range(20)))

    outcome = await import_file(ctx, path, source=lambda: BreaksOff(path, after=10))

    assert outcome.status == "failed"
    assert await memory_rows(engine) == 0


async def test_what_a_dead_run_left_is_deleted_when_the_next_run_starts(importer, tmp_path: Path):
    engine, ctx = importer
    async with ctx.sessions.begin() as session:
        memory = RunMemoryRepository(session, "adm-1", "dead-run", postgres=ctx.postgres)
        debtor = ImportedDebtor("D1", "Een")
        await memory.remember(
            MemoryBatch({("invoice", "F1"): "line 2"}, {"D1": DebtorSoFar(waiting=debtor)})
        )
        so_far = await memory.so_far(Lookups(frozenset({("invoice", "F1")}), frozenset({"D1"})))
    assert so_far.positions == {("invoice", "F1"): "line 2"}
    assert so_far.debtors == {"D1": DebtorSoFar(waiting=debtor)}
    path = tmp_path / "a.csv"
    path.write_text(HEADER + line("F1", "D1", "Een"))

    outcome = await import_file(ctx, path)

    assert outcome.counts["new"] == 1 and outcome.counts["rejected"] == 0
    assert await memory_rows(engine) == 0
