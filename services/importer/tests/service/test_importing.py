"""Importing files through the importer's API: runs with counts, events in the outbox,
re-imports that change nothing, bad rows and hostile files."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from .conftest import ADM, DATA, DUTCH_HEADER, THREE_INVOICES, Importer, dutch_csv

pytestmark = pytest.mark.service

# Peppol BIS Billing 3.0 example invoice Snippet1, copied unchanged from
# shared/testdata/peppol-ubl/base-example.xml (see tests/data/README.md).
PEPPOL_BASE_EXAMPLE = (DATA / "base-example.xml").read_bytes()


def types(events: list[tuple[str, dict]]) -> Counter[str]:
    return Counter(event_type.removeprefix("settle.importer.") for event_type, _ in events)


async def test_a_peppol_invoice_and_a_dutch_csv_are_imported_once(importer: Importer):
    peppol = await importer.import_file("base-example.xml", PEPPOL_BASE_EXAMPLE)
    assert peppol["status"] == "succeeded", peppol
    assert peppol["source"] == "ubl"
    assert peppol["counts"]["new"] == 1
    assert peppol["progress"] == {"done": 1, "total": 1}

    csv = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert csv["status"] == "succeeded", csv
    assert csv["source"] == "csv"
    assert csv["counts"]["new"] == 3
    assert csv["counts"]["rejected"] == 0

    events = await importer.outbox()
    assert types(events) == {
        "invoice.imported": 4,
        "debtor.upserted": 3,
        "run.finished": 2,
    }
    imported = {p["number"]: p for t, p in events if t.endswith("invoice.imported")}
    assert imported["Snippet1"]["open_amount"] == "1656.25"
    assert imported["Snippet1"]["due_date"] == "2017-12-01"
    assert imported["2025-001"]["amount"] == "1210.00"
    assert imported["2025-002"]["open_amount"] == "100.00"
    assert imported["2025-003"]["debtor_number"] == "D2"
    debtors = {p["number"]: p for t, p in events if t.endswith("debtor.upserted")}
    assert debtors["D2"]["kind"] == "consumer"
    assert imported["2025-003"]["debtor_id"] == debtors["D2"]["debtor_id"]
    assert all(p["administration_id"] == ADM for _, p in events)

    again = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert again["status"] == "succeeded"
    assert again["counts"]["new"] == 0
    assert again["counts"]["unchanged"] == 3
    after = await importer.outbox()
    assert types(after[len(events) :]) == {"run.finished": 1}  # nothing else published


async def test_a_payment_booked_in_bookkeeping_changes_then_settles_the_invoice(
    importer: Importer,
):
    await importer.import_file("a.csv", THREE_INVOICES)
    partly_paid = THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;210,00")
    run = await importer.import_file("b.csv", partly_paid)
    assert run["counts"]["changed"] == 1 and run["counts"]["unchanged"] == 2
    paid = THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;0,00")
    run = await importer.import_file("c.csv", paid)
    assert run["counts"]["settled"] == 1
    events = await importer.outbox()
    changed = [p for t, p in events if t.endswith("invoice.changed")]
    assert changed[0]["open_amount"] == "210.00" and changed[0]["previous_open_amount"] == "1210.00"
    assert changed[0]["version"] == 2
    settled = [p for t, p in events if t.endswith("invoice.settled")]
    assert settled[0]["reason"] == "paid" and settled[0]["version"] == 3


async def test_one_bad_row_is_listed_with_its_reason_and_the_rest_is_imported(
    importer: Importer,
):
    content = dutch_csv(
        "2025-010;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;100,00;100,00;EUR",
        "2025-011;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;honderd;100,00;EUR",
        "2025-012;D1;Jansen;zakelijk;;01-03-2025;31-03-2025;50,00;50,00;EUR",
    )
    run = await importer.import_file("met-fout.csv", content)
    assert run["status"] == "succeeded"
    assert run["counts"]["new"] == 2
    assert run["counts"]["rejected"] == 1
    [bad] = run["rejected"]
    assert bad["position"] == "line 3"
    assert bad["reference"] == "2025-011"
    assert "honderd" in bad["reason"]


async def test_an_uploaded_spreadsheet_is_imported_with_its_typed_cells(importer: Importer):
    # Excel exports keep dates and amounts as typed cells, not Dutch text.
    from datetime import date
    from decimal import Decimal

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title.strip() for title in DUTCH_HEADER.split(";")])
    sheet.append(
        [
            "2025-101", "D7", "Garage Smit B.V.", "zakelijk", "smit@garage.example",
            date(2025, 3, 1), date(2025, 3, 31), Decimal("1210.00"), 1210, "EUR",
        ]
    )  # fmt: skip
    sheet.append(
        [
            "2025-102", "D7", "Garage Smit B.V.", "zakelijk", "smit@garage.example",
            date(2025, 3, 2), date(2025, 4, 1), "veel", 10, "EUR",
        ]
    )  # fmt: skip
    content = io.BytesIO()
    book.save(content)

    run = await importer.import_file("openstaand.xlsx", content.getvalue())
    assert run["status"] == "succeeded", run
    assert run["source"] == "xlsx"
    assert run["counts"]["new"] == 1 and run["counts"]["rejected"] == 1
    [rejected] = run["rejected"]
    assert rejected["position"] == "row 3" and rejected["reference"] == "2025-102"
    events = await importer.outbox()
    [imported] = [p for t, p in events if t.endswith("invoice.imported")]
    assert imported["due_date"] == "2025-03-31"
    assert Decimal(imported["open_amount"]) == Decimal("1210.00")


async def test_a_file_that_cannot_be_read_fails_the_run_and_applies_nothing(importer: Importer):
    run = await importer.import_file("leeg.csv", b"\n  \n")
    assert run["status"] == "failed"
    assert "empty" in run["error"]
    latin1 = (
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag\n"
        "F1;D1;01-03-2025;31-03-2025;1,00\n"
        "F2;Café;01-03-2025;31-03-2025;1,00\n"
    ).encode("latin-1")
    run = await importer.import_file("latin1.csv", latin1)
    assert run["status"] == "failed"
    assert "utf-8" in run["error"]
    events = await importer.outbox()
    assert types(events) == {"run.finished": 2}
    assert all(p["status"] == "failed" for _, p in events)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol2;</Invoice>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&xxe;</Invoice>"""


@pytest.mark.parametrize(
    ("name", "content", "status", "says"),
    [
        ("laughs.xml", BILLION_LAUGHS, 422, "DOCTYPE"),
        ("xxe.xml", EXTERNAL_ENTITY, 422, "DOCTYPE"),
        ("corrupt.zip", b"PK\x03\x04 not really a zip", 422, "not a zip"),
        ("program.exe", b"MZ\x90\x00", 415, ".exe"),
        ("empty.csv", b"", 422, "empty"),
    ],
)
async def test_hostile_files_are_refused_at_the_door(
    importer: Importer, name: str, content: bytes, status: int, says: str
):
    response = await importer.upload(name, content)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    runs = await importer.client.get(f"/internal/v1/administrations/{ADM}/runs")
    assert runs.json()["runs"] == []


async def test_a_file_larger_than_the_limit_is_refused(importer: Importer):
    from dataclasses import replace

    importer.harness.runtime.app.state.importer = replace(
        importer.ctx, settings=importer.ctx.settings.model_copy(update={"upload_max_bytes": 100})
    )
    response = await importer.upload("big.csv", THREE_INVOICES)
    assert response.status_code == 413
    assert "larger than" in response.json()["detail"]
    declared = await importer.client.post(
        f"/internal/v1/administrations/{ADM}/imports",
        files={"file": ("huge.csv", THREE_INVOICES * 30_000)},
    )
    assert declared.status_code == 413
    assert list(importer.ctx.settings.uploads_dir.iterdir()) == []  # nothing left behind


async def test_an_upload_without_a_declared_size_is_cut_off_at_the_limit(importer: Importer):
    # A chunked body has no Content-Length to refuse up front: it is refused once it grows
    # past the limit, without reading (or spooling to disk) the rest.
    from dataclasses import replace

    importer.harness.runtime.app.state.importer = replace(
        importer.ctx, settings=importer.ctx.settings.model_copy(update={"upload_max_bytes": 100})
    )
    boundary = "settle-test-boundary"
    sent = 0

    async def body():
        nonlocal sent
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="huge.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        for _ in range(1_000):
            sent += 1
            yield THREE_INVOICES[:80] * 128  # about 10 kB a chunk, 10 MB in all
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await importer.client.post(
        f"/internal/v1/administrations/{ADM}/imports",
        content=body(),
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 413, response.text
    assert "larger than" in response.json()["detail"]
    assert sent < 20  # stopped after the limit (64 kB of multipart headroom), not at 10 MB
    assert list(importer.ctx.settings.uploads_dir.iterdir()) == []
    runs = await importer.client.get(f"/internal/v1/administrations/{ADM}/runs")
    assert runs.json()["runs"] == []


async def test_runs_are_scoped_to_their_administration_and_paginated(importer: Importer):
    first = await importer.import_file("a.csv", THREE_INVOICES)
    importer.now(datetime(2025, 4, 1, 9, 0, tzinfo=UTC))
    second = await importer.import_file("b.csv", THREE_INVOICES)
    other = await importer.client.get(f"/internal/v1/administrations/adm-2/runs/{first['id']}")
    assert other.status_code == 404
    assert (await importer.client.get("/internal/v1/administrations/adm-2/runs")).json()[
        "runs"
    ] == []

    page = (await importer.client.get(f"/internal/v1/administrations/{ADM}/runs?limit=1")).json()
    assert [r["id"] for r in page["runs"]] == [second["id"]]
    rest = (
        await importer.client.get(
            f"/internal/v1/administrations/{ADM}/runs",
            params={"limit": 1, "cursor": page["next_cursor"]},
        )
    ).json()
    assert [r["id"] for r in rest["runs"]] == [first["id"]]
    assert rest["next_cursor"] is None
    bad = await importer.client.get(
        f"/internal/v1/administrations/{ADM}/runs", params={"cursor": "nonsense"}
    )
    assert bad.status_code == 422
    assert (await importer.client.get("/internal/v1/administrations/a b/runs")).status_code == 422


async def test_a_second_run_for_the_same_administration_waits_its_turn(importer: Importer):
    from settle_importer.application.importing import start_run

    await start_run(importer.ctx, ADM, source="csv", source_name="x.csv", trigger="upload")
    busy = await importer.upload("b.csv", THREE_INVOICES)
    assert busy.status_code == 409
    assert "already has an import" in busy.json()["detail"]
    await importer.administration("adm-2")
    elsewhere = await importer.upload("b.csv", THREE_INVOICES, administration_id="adm-2")
    assert elsewhere.status_code == 202


async def test_a_run_whose_replica_died_is_failed_when_the_next_one_is_asked_for(
    importer: Importer,
):
    from datetime import timedelta

    from settle_importer.application.importing import start_run

    clock = importer.now(datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
    stuck = await start_run(importer.ctx, ADM, source="csv", source_name="x", trigger="upload")
    clock.advance(timedelta(hours=1))  # no heartbeat for longer than stale_run_after_s
    run = await importer.import_file("b.csv", THREE_INVOICES)
    assert run["status"] == "succeeded"
    abandoned = await importer.run(stuck)
    assert abandoned["status"] == "failed"
    assert "stopped without finishing" in abandoned["error"]


class Stalls:
    """An API-like source (read in a worker thread) that stalls after its records until let
    go, as a replica that stopped for a while."""

    def __init__(self, path) -> None:
        import threading

        from settle_importer.adapters.sources import CsvMapping, CsvSource

        self.csv = CsvSource(path, CsvMapping.dutch())
        self.stalled, self.go_on = threading.Event(), threading.Event()

    @property
    def total(self) -> int:
        return self.csv.total

    def content_digest(self) -> None:
        return None

    def records(self):
        yield from self.csv.records()
        self.stalled.set()
        self.go_on.wait(10)


async def test_a_run_failed_as_abandoned_that_comes_back_writes_nothing_more(
    importer: Importer, tmp_path
):
    import asyncio
    from datetime import timedelta

    from settle_importer.application.importing import RunOptions, execute_run, start_run

    clock = importer.now(datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
    path = tmp_path / "betaald.csv"
    path.write_bytes(THREE_INVOICES.replace(b"1.210,00;1.210,00", b"1.210,00;210,00"))
    source = Stalls(path)
    stalled_id = await start_run(importer.ctx, ADM, source="csv", source_name="x", trigger="cli")
    stalled = asyncio.create_task(
        execute_run(importer.ctx, ADM, stalled_id, lambda: source, RunOptions())
    )
    await asyncio.to_thread(source.stalled.wait, 10)
    clock.advance(timedelta(hours=1))  # its heartbeat is long stale: the next run fails it
    run = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert run["status"] == "succeeded" and run["counts"]["new"] == 3
    events = await importer.outbox()

    source.go_on.set()  # the stalled run comes back and would import its records now
    outcome = await stalled
    assert outcome.status == "failed"
    detail = await importer.run(stalled_id)
    assert detail["status"] == "failed" and "stopped without finishing" in detail["error"]
    # Nothing of it was written: no invoices, and no second run.finished for it.
    assert await importer.outbox() == events
    again = await importer.import_file("openstaand.csv", THREE_INVOICES)
    assert again["counts"]["unchanged"] == 3


async def test_the_readmes_example_export_imports_cleanly_with_the_dutch_preset(
    importer: Importer,
):
    example = Path(__file__).parents[4] / "docs" / "examples" / "openstaande-posten.csv"
    run = await importer.import_file(example.name, example.read_bytes())
    assert run["status"] == "succeeded", run
    assert run["source"] == "csv"
    assert run["counts"]["new"] == 4
    assert run["counts"]["rejected"] == 0

    events = await importer.outbox()
    assert types(events) == {"invoice.imported": 4, "debtor.upserted": 3, "run.finished": 1}
    imported = {p["number"]: p for t, p in events if t.endswith("invoice.imported")}
    assert imported["2026-101"]["due_date"] == "2026-11-12"  # overdue in the walk-through
    assert imported["2026-118"]["open_amount"] == "1452.00"
    debtors = {p["number"]: p for t, p in events if t.endswith("debtor.upserted")}
    assert debtors["D1002"]["kind"] == "consumer"
    assert not any(t.endswith("credit_note.imported") for t, _ in events)


async def test_an_upload_is_written_under_the_uploads_dir_and_removed_once_imported(
    importer: Importer,
):
    from dataclasses import replace

    uploads = importer.ctx.settings.uploads_dir
    checked: list[Path] = []

    class Watching:
        """The sources, noting where each uploaded file was written."""

        def __init__(self, sources: Any) -> None:
            self.sources = sources

        def __getattr__(self, name: str) -> Any:
            return getattr(self.sources, name)

        def check_file(self, path: Path, name: str) -> None:
            checked.append(path)
            self.sources.check_file(path, name)

    importer.harness.runtime.app.state.importer = replace(
        importer.ctx, sources=Watching(importer.ctx.sources)
    )
    run = await importer.import_file("../../elders/openstaand.csv", THREE_INVOICES)
    assert run["status"] == "succeeded" and run["source_name"] == "openstaand.csv"
    [path] = checked
    assert path.parent.parent == uploads and path.name == "openstaand.csv"
    assert list(uploads.iterdir()) == []  # removed once imported

    refused = [
        await importer.upload("leeg.csv", b""),
        await importer.client.post(
            f"/internal/v1/administrations/{ADM}/imports", files={"bestand": ("a.csv", b"x")}
        ),
    ]
    assert [r.status_code for r in refused] == [422, 422]
    assert "empty" in refused[0].json()["detail"]
    assert "in the field 'file'" in refused[1].json()["detail"]
    assert list(uploads.iterdir()) == []
