"""Two importer replicas watching one shared drop folder, on one PostgreSQL database: every
delivered file is imported once, and a file whose replica crashed is taken by another."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from settle_importer.adapters.file_leases import FileLeaseRepository
from settle_importer.adapters.tables import file_leases, import_runs
from settle_importer.app import SERVICE
from settle_importer.application.context import ImporterContext
from settle_importer.application.scheduler import DropFolderWatcher
from settle_shared.db import transaction
from settle_shared.testing.service import ServiceHarness, running_service

pytestmark = pytest.mark.integration

ADMINISTRATIONS = ("adm-a", "adm-b", "adm-c", "adm-d", "adm-e", "adm-f")
EXPORT = (
    b"Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand\n"
    b"2025-001;D1;Bakkerij Jansen B.V.;01-03-2025;31-03-2025;1.210,00;1.210,00\n"
    b"2025-002;D2;P. de Vries;10-03-2025;09-04-2025;60,50;60,50\n"
)


def _context(replica: ServiceHarness) -> ImporterContext:
    ctx: ImporterContext = replica.runtime.app.state.importer
    return ctx


async def _replicas(
    stack: AsyncExitStack, database: str, tmp_path: Path, **settings: Any
) -> list[ServiceHarness]:
    shared = {
        "inbox_dir": str(tmp_path / "inbox"),
        "uploads_dir": str(tmp_path / "uploads"),
        "scheduler_enabled": False,
        **settings,
    }
    return [
        await stack.enter_async_context(
            running_service(SERVICE, database, replica_name=name, **shared)
        )
        for name in ("importer-0", "importer-1")
    ]


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


async def test_two_replicas_racing_on_one_drop_folder_import_each_file_once(
    pg_database: str, tmp_path: Path
):
    inbox = tmp_path / "inbox"
    async with AsyncExitStack() as stack:
        replicas = await _replicas(stack, pg_database, tmp_path)
        for administration_id in ADMINISTRATIONS:
            await replicas[0].administration(administration_id)
            (inbox / administration_id).mkdir(parents=True)
            (inbox / administration_id / "openstaand.csv").write_bytes(EXPORT)
        watchers = [DropFolderWatcher(_context(replica)) for replica in replicas]
        await asyncio.gather(*(watcher.scan() for watcher in watchers))  # sizes noted
        imported_by: list[list[str]] = [[], []]
        for _ in range(10):  # both look at the same files at the same moments
            rounds = await asyncio.gather(*(watcher.scan() for watcher in watchers))
            for replica, outcomes in enumerate(rounds):
                imported_by[replica] += [outcome.run_id for outcome in outcomes]
            if not any(_left_in(inbox / a) for a in ADMINISTRATIONS):
                break

        async with _context(replicas[0]).sessions() as session:
            runs = (
                await session.execute(
                    sa.select(import_runs.c.administration_id, import_runs.c.status)
                )
            ).all()
            leases_left = (await session.execute(sa.select(file_leases))).all()

    assert sorted(runs) == [(a, "succeeded") for a in ADMINISTRATIONS]
    assert len(imported_by[0]) + len(imported_by[1]) == len(ADMINISTRATIONS)
    for administration_id in ADMINISTRATIONS:
        assert _left_in(inbox / administration_id) == []
        assert _left_in(inbox / administration_id / "processed") == ["openstaand.csv"]
        assert not (inbox / administration_id / "rejected").exists()
    assert leases_left == []


async def test_a_file_claimed_by_a_replica_that_crashed_is_imported_once_the_claim_expires(
    pg_database: str, tmp_path: Path
):
    inbox = tmp_path / "inbox"
    folder = inbox / "adm-a"
    async with AsyncExitStack() as stack:
        [survivor, _] = await _replicas(stack, pg_database, tmp_path, file_lease_s=1.0)
        await survivor.administration("adm-a")
        folder.mkdir(parents=True)
        (folder / "openstaand.csv").write_bytes(EXPORT)
        ctx = _context(survivor)
        now = datetime.now(UTC)
        async with transaction(ctx.sessions) as session:  # claimed, then the replica died
            claimed = await FileLeaseRepository(session, "adm-a", postgres=True).claim(
                "openstaand.csv", "importer-1 crashed", now, now + timedelta(seconds=1.5)
            )
        assert claimed
        watcher = DropFolderWatcher(ctx)
        assert await watcher.scan() == []  # sizes noted
        assert await watcher.scan() == []  # claimed by the other replica: left alone
        assert _left_in(folder) == ["openstaand.csv"]
        await asyncio.sleep(1.6)
        [outcome] = await watcher.scan()

    assert outcome.status == "succeeded" and outcome.counts["new"] == 2
    assert _left_in(folder / "processed") == ["openstaand.csv"]
