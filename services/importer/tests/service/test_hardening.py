"""What a hostile file must not do to the importer: fill its stored runs with megabytes of error
text, take the whole of a zip down with one bad member, or lock an administration out after a
run whose owner went away."""

from __future__ import annotations

import asyncio
import io
import zipfile
from pathlib import Path

import pytest

from .conftest import ADM, DATA, DUTCH_HEADER, THREE_INVOICES, Importer

pytestmark = pytest.mark.service


async def test_a_header_of_long_columns_fails_the_run_with_a_bounded_error(
    importer: Importer,
):
    header = ";".join(f"kolom{i}-" + "x" * 100 for i in range(900)) + "\n"
    run = await importer.import_file("breed.csv", header.encode() + b"1;2;3\n")
    assert run["status"] == "failed"
    assert "lacks the column" in run["error"]
    assert len(run["error"]) == 1_000 and run["error"].endswith("…")
    page = await importer.client.get("/internal/v1/administrations/adm-1/runs")
    assert all(len(listed["error"] or "") <= 1_000 for listed in page.json()["runs"])


async def test_a_rejected_record_keeps_a_bounded_reason(importer: Importer):
    long_amount = "9" * 50_000
    content = DUTCH_HEADER + (
        f"2025-001;D1;Jansen;zakelijk;j@jansen.example;01-03-2025;31-03-2025;{long_amount};"
        "1,00;EUR\n"
    )
    run = await importer.import_file("lang.csv", content.encode())
    assert run["counts"]["rejected"] == 1, run
    (rejected,) = run["rejected"]
    assert len(rejected["reason"]) <= 1_000


def _workbook_with_many_strings(path: Path, rows: int, strings: int) -> Path:
    """A workbook of ``rows`` Dutch rows whose shared-string table holds ``strings`` entries (as
    a large export's does): opening it is the slow part of reading it."""
    header = ["Factuurnummer", "Debiteurnummer", "Naam", "Factuurdatum", "Vervaldatum"]
    table = [*header, *(f"tekst {i} " + "x" * 20 for i in range(strings))]
    cells = []
    for number in range(1, rows + 2):
        if number == 1:
            values = [f'<c t="s"><v>{i}</v></c>' for i in range(len(header))]
            values += ['<c t="inlineStr"><is><t>Bedrag</t></is></c>']
            values += ['<c t="inlineStr"><is><t>Openstaand</t></is></c>']
        else:
            values = [
                f'<c t="inlineStr"><is><t>2025-{number:05d}</t></is></c>',
                '<c t="inlineStr"><is><t>D1</t></is></c>',
                '<c t="inlineStr"><is><t>Jansen</t></is></c>',
                "<c><v>45717</v></c>",
                "<c><v>45747</v></c>",
                "<c><v>121</v></c>",
                "<c><v>121</v></c>",
            ]
        cells.append(f"<row>{''.join(values)}</row>")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{office}.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            f'ContentType="{office}.sharedStrings+xml"/></Types>',
        )
        book.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{relations}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="Openstaand" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{package}">'
            f'<Relationship Id="rId1" Type="{relations}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{relations}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
        book.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{main}"><sheetData>{"".join(cells)}</sheetData></worksheet>',
        )
        book.writestr(
            "xl/sharedStrings.xml",
            f'<sst xmlns="{main}">' + "".join(f"<si><t>{t}</t></si>" for t in table) + "</sst>",
        )
    return path


async def test_the_event_loop_keeps_answering_while_a_large_workbook_is_read(
    importer: Importer, tmp_path: Path
):
    path = _workbook_with_many_strings(tmp_path / "groot.xlsx", rows=200, strings=150_000)
    lags: list[float] = []
    running = True

    async def measure_lag() -> None:
        loop = asyncio.get_running_loop()
        while running:
            before = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - before - 0.01)

    measuring = asyncio.create_task(measure_lag())
    try:
        run = await importer.import_file("groot.xlsx", path.read_bytes())
    finally:
        running = False
        await measuring
    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 200
    assert max(lags) < 0.5, f"the event loop stalled for {max(lags):.2f} s"
    health = await importer.client.get("/health/live")
    assert health.status_code == 200


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


PEPPOL = (DATA / "base-example.xml").read_bytes()


@pytest.mark.parametrize(
    ("member", "content", "says"),
    [
        ("bomb.xml", b"\0" * 5_000_000, "zip bomb"),
        ("../../etc/a.xml", PEPPOL, "path traversal"),
        ("inner.zip", b"PK", "archives inside"),
        ("notes.txt", b"hello", "not an XML document"),
    ],
)
async def test_a_bad_member_of_a_zip_is_rejected_alone_and_the_rest_imported(
    importer: Importer, member: str, content: bytes, says: str
):
    run = await importer.import_file("facturen.zip", _zip({"a.xml": PEPPOL, member: content}))
    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 1 and run["counts"]["rejected"] == 1
    (rejected,) = run["rejected"]
    assert rejected["position"] == f"facturen.zip/{member}"
    assert says in rejected["reason"]


async def test_a_zip_of_too_many_members_is_refused_whole(
    importer: Importer, monkeypatch: pytest.MonkeyPatch
):
    from dataclasses import replace

    from settle_importer.adapters.sources import ArchiveLimits, kinds

    limits = replace(ArchiveLimits(), max_members=10)
    zip_kind = replace(kinds.FILE_KINDS[".zip"], refusal=kinds.zip_refusal(limits))
    monkeypatch.setitem(kinds.FILE_KINDS, ".zip", zip_kind)
    response = await importer.upload("veel.zip", _zip({f"{i}.xml": PEPPOL for i in range(12)}))
    assert response.status_code == 422
    assert "12 files, more than 10" in response.json()["detail"]


async def test_a_symbolic_link_in_a_drop_folder_is_refused_with_a_reason(
    importer: Importer, tmp_path: Path
):
    from settle_importer.application.scheduler import DropFolderWatcher

    elsewhere = tmp_path / "elders.csv"
    elsewhere.write_bytes(THREE_INVOICES)
    folder = importer.inbox / ADM
    folder.mkdir(parents=True)
    (folder / "openstaand.csv").symlink_to(elsewhere)
    watcher = DropFolderWatcher(importer.ctx)
    assert await watcher.scan() == []
    assert not (folder / "openstaand.csv").is_symlink()
    reason = (folder / "rejected" / "openstaand.csv.reason.txt").read_text()
    assert "symbolic link" in reason
    assert elsewhere.read_bytes() == THREE_INVOICES  # the file it pointed at is left alone


async def test_a_run_left_running_by_a_killed_importer_is_failed_when_it_starts_again(
    sqlite_database: str, tmp_path: Path
):
    from settle_importer.adapters.runs import RunRepository
    from settle_importer.app import SERVICE
    from settle_importer.application.importing import start_run
    from settle_shared.db import transaction
    from settle_shared.testing.service import running_service

    settings = {
        "inbox_dir": str(tmp_path / "inbox"),
        "uploads_dir": str(tmp_path / "uploads"),
        "scheduler_enabled": False,
        "replica_name": "importer-0",
    }
    async with running_service(SERVICE, sqlite_database, **settings) as before:
        await before.administration(ADM)
        ctx = before.runtime.app.state.importer
        left = await start_run(ctx, ADM, source="csv", source_name="a.csv", trigger="upload")
        async with transaction(ctx.sessions) as session:  # running when the process was killed
            await RunRepository(session, ADM).start(left, ctx.clock.now())
    async with running_service(SERVICE, sqlite_database, **settings) as after:
        # What the service runs as it starts (the harness starts no background loops).
        (on_start,) = [
            task for task in after.runtime.background if task.__name__ == "fail_what_a_restart_left"
        ]
        await asyncio.wait_for(on_start(asyncio.Event()), 10)
        runs = f"/internal/v1/administrations/{ADM}/runs"
        detail = (await after.client.get(f"{runs}/{left}")).json()
        assert detail["status"] == "failed"
        assert "the importer running it was restarted" in detail["error"]
        response = await after.client.post(
            f"/internal/v1/administrations/{ADM}/imports",
            files={"file": ("b.csv", THREE_INVOICES)},
        )
        assert response.status_code == 202, response.text


async def test_a_run_left_by_an_earlier_instance_does_not_block_the_next_import(
    sqlite_database: str, tmp_path: Path
):
    from settle_importer.app import SERVICE
    from settle_importer.application.importing import start_run
    from settle_shared.testing.service import running_service

    settings = {
        "inbox_dir": str(tmp_path / "inbox"),
        "uploads_dir": str(tmp_path / "uploads"),
        "scheduler_enabled": False,
        "replica_name": "importer-0",
    }
    async with running_service(SERVICE, sqlite_database, **settings) as before:
        await before.administration(ADM)
        ctx = before.runtime.app.state.importer
        left = await start_run(ctx, ADM, source="csv", source_name="a.csv", trigger="upload")
    async with running_service(SERVICE, sqlite_database, **settings) as after:
        response = await after.client.post(
            f"/internal/v1/administrations/{ADM}/imports",
            files={"file": ("b.csv", THREE_INVOICES)},
        )
        assert response.status_code == 202, response.text
        runs = f"/internal/v1/administrations/{ADM}/runs"
        assert (await after.client.get(f"{runs}/{left}")).json()["status"] == "failed"
        importer = Importer(after, tmp_path / "inbox")
        await importer.finished()


async def test_a_run_without_a_heartbeat_for_the_lease_is_failed_by_the_next_one(
    importer: Importer,
):
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from settle_importer.application.importing import start_run
    from settle_importer.domain.runs import RunOwner

    clock = importer.now(datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
    elsewhere = replace(importer.ctx, owner=RunOwner.alone("another replica"))
    stuck = await start_run(elsewhere, ADM, source="csv", source_name="x", trigger="upload")
    clock.advance(timedelta(seconds=20))  # within the lease: its owner may be busy
    busy = await importer.upload("b.csv", THREE_INVOICES)
    assert busy.status_code == 409
    clock.advance(timedelta(seconds=40))  # a minute without a heartbeat: its owner is gone
    run = await importer.import_file("b.csv", THREE_INVOICES)
    assert run["status"] == "succeeded"
    assert (await importer.run(stuck))["status"] == "failed"


async def test_a_live_run_keeps_its_lease_with_its_heartbeat(importer: Importer, tmp_path: Path):
    from dataclasses import replace
    from datetime import timedelta

    from settle_importer.application.importing import RunOptions, execute_run, start_run

    from .test_importing import Stalls

    settings = importer.ctx.settings.model_copy(update={"stale_run_after_s": 0.3})
    ctx = replace(importer.ctx, settings=settings)
    importer.harness.runtime.app.state.importer = ctx
    clock = importer.now(ctx.clock.now())
    path = tmp_path / "a.csv"
    path.write_bytes(THREE_INVOICES)
    source = Stalls(path)
    run_id = await start_run(importer.ctx, ADM, source="csv", source_name="a", trigger="cli")
    running = asyncio.create_task(
        execute_run(importer.ctx, ADM, run_id, lambda: source, RunOptions())
    )
    await asyncio.to_thread(source.stalled.wait, 10)
    clock.advance(timedelta(seconds=1))
    await asyncio.sleep(0.4)  # a heartbeat at the advanced time
    busy = await importer.upload("b.csv", THREE_INVOICES)
    assert busy.status_code == 409, busy.text
    source.go_on.set()
    assert (await running).status == "succeeded"


async def test_an_interrupted_run_is_failed_with_a_reason_and_frees_the_administration(
    importer: Importer, tmp_path: Path
):
    from settle_importer.application.importing import RunOptions, execute_run, start_run

    from .test_importing import Stalls

    path = tmp_path / "a.csv"
    path.write_bytes(THREE_INVOICES)
    source = Stalls(path)
    run_id = await start_run(importer.ctx, ADM, source="csv", source_name="a", trigger="cli")
    running = asyncio.create_task(
        execute_run(importer.ctx, ADM, run_id, lambda: source, RunOptions())
    )
    await asyncio.to_thread(source.stalled.wait, 10)
    running.cancel()  # what asyncio.run does with the command's task on Ctrl-C
    with pytest.raises(asyncio.CancelledError):
        await running
    source.go_on.set()
    detail = await importer.run(run_id)
    assert detail["status"] == "failed"
    assert "interrupted" in detail["error"]
    run = await importer.import_file("b.csv", THREE_INVOICES)
    assert run["status"] == "succeeded"


async def test_upload_folders_a_stopped_replica_left_are_removed_when_a_replica_starts(
    importer: Importer,
):
    import os
    import time

    uploads = importer.ctx.settings.uploads_dir
    day_old = time.time() - importer.ctx.settings.abandoned_upload_after_s - 60
    for name in ("upload-left", "preview-left", "upload-under-way", "kept-by-hand"):
        (uploads / name).mkdir(parents=True)
        (uploads / name / "openstaand.csv").write_bytes(THREE_INVOICES)
        if name != "upload-under-way":
            os.utime(uploads / name, (day_old, day_old))
    (on_start,) = [
        task
        for task in importer.harness.runtime.background
        if task.__name__ == "remove_abandoned_uploads"
    ]
    await asyncio.wait_for(on_start(asyncio.Event()), 10)
    assert sorted(p.name for p in uploads.iterdir()) == ["kept-by-hand", "upload-under-way"]
