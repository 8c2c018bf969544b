"""The importer imports only into administrations the gateway announced: an unknown one is
refused by upload, connections and the drop folder with a sentence saying how to create it,
and an announced one has its drop folder at once."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import sqlalchemy as sa

from settle_importer.adapters.tables import administrations
from settle_importer.app import SERVICE
from settle_importer.application.connections import Connection, save_connection
from settle_importer.application.scheduler import DropFolderWatcher, run_due_imports
from settle_shared.events.gateway import AdministrationChanged
from settle_shared.testing.service import running_service

from .conftest import ADM, THREE_INVOICES, Importer

pytestmark = pytest.mark.service

HOW_TO_CREATE = "settle gateway administration-create --administration nosuch"


async def test_an_upload_for_an_unknown_administration_is_refused_and_nothing_is_run(
    importer: Importer,
):
    refused = await importer.upload("openstaand.csv", THREE_INVOICES, "nosuch")
    assert refused.status_code == 404
    detail = refused.json()["detail"]
    assert "unknown administration 'nosuch'" in detail and HOW_TO_CREATE in detail
    runs = await importer.client.get("/internal/v1/administrations/nosuch/runs")
    assert runs.json()["runs"] == []
    connection = await importer.client.put(
        "/internal/v1/administrations/nosuch/connections/upload", json={"name": "Uploads"}
    )
    assert connection.status_code == 404 and HOW_TO_CREATE in connection.json()["detail"]
    listed = await importer.client.get("/internal/v1/administrations/nosuch/connections")
    assert listed.status_code == 404
    assert await importer.outbox() == []


async def test_a_dropped_file_waits_with_a_note_until_its_administration_exists(
    importer: Importer,
):
    folder = importer.inbox / "later"
    folder.mkdir(parents=True)
    dropped = folder / "openstaand.csv"
    dropped.write_bytes(THREE_INVOICES)
    watcher = DropFolderWatcher(importer.ctx)
    await watcher.scan()
    assert await watcher.scan() == []
    note = folder / "openstaand.csv.reason.txt"
    assert "unknown administration 'later'" in note.read_text()
    assert "imported once the administration exists" in note.read_text()
    assert dropped.exists() and not (folder / "rejected").exists()
    assert await watcher.scan() == []  # the note itself is never taken for an export

    await importer.administration("later")
    [outcome] = await watcher.scan()
    assert outcome.status == "succeeded" and outcome.counts["new"] == 3
    assert (folder / "processed" / "openstaand.csv").exists()
    assert not note.exists()


async def test_an_announced_administration_has_its_drop_folder_at_once(
    sqlite_database: str, tmp_path: Path
):
    inbox = tmp_path / "inbox"
    async with running_service(SERVICE, sqlite_database, inbox_dir=str(inbox)) as importer:
        await importer.administration("bakkerij-nl", "Bakkerij")
        assert (inbox / "bakkerij-nl").is_dir()
        renamed = AdministrationChanged(
            administration_id="bakkerij-nl",
            name="Bakker",
            organisation_id="org-test",
            at=datetime(2025, 4, 2, tzinfo=UTC),
        )
        first = await importer.deliver(renamed, administration_id="bakkerij-nl")
        await importer.deliver(renamed, administration_id="bakkerij-nl", event_id=first.id)
        async with importer.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(sa.select(administrations.c.id, administrations.c.name))
            ).all()
        assert [tuple(row) for row in rows] == [("bakkerij-nl", "Bakker")]
        uploaded = await importer.client.post(
            "/internal/v1/administrations/bakkerij-nl/imports",
            files={"file": ("openstaand.csv", THREE_INVOICES)},
        )
        assert uploaded.status_code == 202, uploaded.text
        tasks = importer.runtime.app.state.importer.tasks
        while tasks:
            await next(iter(tasks))


async def test_a_daily_import_waits_for_an_administration_not_announced_yet(
    importer: Importer, tmp_path: Path
):
    # Just after an upgrade: a connection made before, and the gateway's announcement of its
    # administration not arrived yet. The slot waits; the other loops go on.
    export = tmp_path / "export.csv"
    export.write_bytes(THREE_INVOICES)
    importer.now(datetime(2025, 12, 1, 4, 0, tzinfo=UTC))
    await save_connection(
        importer.ctx,
        Connection(
            administration_id=ADM,
            id="nightly",
            name="Nightly export",
            source_kind="file",
            config={"path": str(export), "mapping": {"preset": "dutch"}},
            schedule="daily",
            schedule_time=time(6, 0),
            time_zone="Europe/Amsterdam",
        ),
    )
    async with importer.harness.runtime.engine.begin() as conn:
        await conn.execute(sa.delete(administrations))
    importer.now(datetime(2025, 12, 1, 5, 0, tzinfo=UTC))
    assert await run_due_imports(importer.ctx) == []
    await importer.administration(ADM)
    [run] = await run_due_imports(importer.ctx)
    assert run.status == "succeeded" and run.counts["new"] == 3
