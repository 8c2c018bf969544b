"""Imports that start by themselves: the drop folder and the daily schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from settle_importer.application.connections import Connection, save_connection
from settle_importer.application.scheduler import DropFolderWatcher, run_due_imports

from .conftest import ADM, DATA, THREE_INVOICES, Importer

pytestmark = pytest.mark.service


async def test_dropped_files_are_imported_then_moved_with_a_reason_when_rejected(
    importer: Importer,
):
    folder = importer.inbox / ADM
    folder.mkdir(parents=True)
    (folder / "openstaand.csv").write_bytes(THREE_INVOICES)
    # Peppol BIS Billing 3.0 example from shared/testdata/peppol-ubl/base-example.xml
    (folder / "base-example.xml").write_bytes((DATA / "base-example.xml").read_bytes())
    (folder / "kapot.csv").write_bytes(b"Factuurnummer;Bedrag\nF1;1,00\n")
    (folder / "laughs.xml").write_bytes(b'<!DOCTYPE x [<!ENTITY a "a">]><Invoice>&a;</Invoice>')
    (folder / "half.csv.part").write_bytes(b"still being copied")

    watcher = DropFolderWatcher(importer.ctx)
    assert await watcher.scan() == []  # first look: sizes noted, nothing taken yet
    with (folder / "openstaand.csv").open("ab") as growing:  # still being written
        growing.write(b"")
    outcomes = await watcher.scan()
    assert sorted(o.status for o in outcomes) == ["failed", "succeeded", "succeeded"]

    def names(where: str) -> list[str]:
        return sorted(p.name for p in (folder / where).iterdir())

    assert names("processed") == ["base-example.xml", "openstaand.csv"]
    assert names("rejected") == [
        "kapot.csv",
        "kapot.csv.reason.txt",
        "laughs.xml",
        "laughs.xml.reason.txt",
    ]
    assert "lacks the column" in (folder / "rejected" / "kapot.csv.reason.txt").read_text()
    assert "DOCTYPE" in (folder / "rejected" / "laughs.xml.reason.txt").read_text()
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == ["half.csv.part"]

    runs = (await importer.client.get(f"/internal/v1/administrations/{ADM}/runs")).json()["runs"]
    assert {r["source_name"]: r["status"] for r in runs} == {
        "openstaand.csv": "succeeded",
        "base-example.xml": "succeeded",
        "kapot.csv": "failed",
    }
    assert all(r["trigger"] == "drop_folder" for r in runs)
    assert await watcher.scan() == []  # nothing is imported twice


async def test_the_same_export_dropped_again_under_a_new_name_is_not_read_again(
    importer: Importer,
):
    folder = importer.inbox / ADM
    folder.mkdir(parents=True)
    watcher = DropFolderWatcher(importer.ctx)
    outcomes = []
    for name in ("openstaand-2025-04-01.csv", "openstaand-2025-04-02.csv"):
        (folder / name).write_bytes(THREE_INVOICES)
        await watcher.scan()  # sizes noted
        outcomes += await watcher.scan()
    first, second = outcomes
    assert first.counts["new"] == 3 and second.counts["unchanged"] == 3
    assert first.notices == () and "is the same as that of run" in second.notices[0]
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "openstaand-2025-04-01.csv",
        "openstaand-2025-04-02.csv",
    ]


async def test_a_growing_file_waits_until_it_stops_changing(importer: Importer):
    folder = importer.inbox / ADM
    folder.mkdir(parents=True)
    path = folder / "openstaand.csv"
    path.write_bytes(THREE_INVOICES[:40])
    watcher = DropFolderWatcher(importer.ctx)
    await watcher.scan()
    path.write_bytes(THREE_INVOICES)
    assert await watcher.scan() == []
    [outcome] = await watcher.scan()
    assert outcome.counts["new"] == 3


async def test_a_daily_import_missed_while_the_service_was_down_runs_when_it_is_back(
    importer: Importer, tmp_path: Path
):
    export = tmp_path / "export.csv"
    export.write_bytes(THREE_INVOICES)
    # Created on Monday 1 December 2025 at 05:00 in Amsterdam (04:00 UTC).
    importer.now(datetime(2025, 12, 1, 4, 0, tzinfo=UTC))
    await save_connection(
        importer.ctx,
        Connection(
            administration_id=ADM,
            id="boekhouding",
            name="Nightly export",
            source_kind="file",
            config={"path": str(export), "mapping": {"preset": "dutch"}},
            schedule="daily",
            schedule_time=time(6, 0),
            time_zone="Europe/Amsterdam",
        ),
    )
    importer.now(datetime(2025, 12, 1, 4, 59, tzinfo=UTC))  # 05:59 local: not yet
    assert await run_due_imports(importer.ctx) == []
    importer.now(datetime(2025, 12, 1, 5, 0, tzinfo=UTC))  # 06:00 local
    [monday] = await run_due_imports(importer.ctx)
    assert monday.status == "succeeded" and monday.counts["new"] == 3
    assert await run_due_imports(importer.ctx) == []  # once per day

    # Down from Monday until Thursday 10:00: one catch-up run, not one per missed day.
    importer.now(datetime(2025, 12, 4, 9, 0, tzinfo=UTC))
    [caught_up] = await run_due_imports(importer.ctx)
    assert caught_up.status == "succeeded" and caught_up.counts["unchanged"] == 3
    assert await run_due_imports(importer.ctx) == []

    runs = (await importer.client.get(f"/internal/v1/administrations/{ADM}/runs")).json()["runs"]
    assert [r["trigger"] for r in runs] == ["schedule", "schedule"]
    assert all(r["connection_id"] == "boekhouding" for r in runs)


async def test_import_now_and_connections_through_the_api(importer: Importer, tmp_path: Path):
    export = tmp_path / "export.csv"
    export.write_bytes(THREE_INVOICES)
    base = f"/internal/v1/administrations/{ADM}/connections"
    saved = await importer.client.put(
        f"{base}/export",
        json={
            "name": "Export",
            "source_kind": "file",
            "config": {"path": str(export)},
            "schedule": "on_demand",
            "complete_list": True,
            "ignore_invoice_numbers": ["2025-003"],
        },
    )
    assert saved.status_code == 200, saved.text
    listed = (await importer.client.get(base)).json()
    assert [c["id"] for c in listed] == ["export"]
    started = await importer.client.post(f"{base}/export/imports")
    assert started.status_code == 202
    await importer.finished()
    run = await importer.run(started.json()["run_id"])
    assert run["status"] == "succeeded"
    assert run["counts"]["new"] == 2 and run["counts"]["ignored"] == 1

    # A complete list without 2025-002: it is settled as absent.
    export.write_bytes(
        b"\n".join(line for line in THREE_INVOICES.split(b"\n") if b"2025-002" not in line)
    )
    started = await importer.client.post(f"{base}/export/imports")
    await importer.finished()
    run = await importer.run(started.json()["run_id"])
    assert run["counts"]["settled"] == 1
    settled = [p for t, p in await importer.outbox() if t.endswith("invoice.settled")]
    assert [(p["number"], p["reason"]) for p in settled] == [("2025-002", "absent")]

    missing = await importer.client.post(f"{base}/nope/imports")
    assert missing.status_code == 404
    bad = await importer.client.put(
        f"{base}/x", json={"name": "x", "schedule": "daily", "time_zone": "Mars/Olympus"}
    )
    assert bad.status_code == 422
