"""A zip of CSV or XLSX exports is read like a zip of UBL files: each member with the
connection's column mapping (or the preset it fits), the rows of all members one run, and a bad
member rejected alone with its name."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from .conftest import ADM, DATA, DUTCH_HEADER, THREE_INVOICES, Importer, dutch_csv

pytestmark = pytest.mark.service

ENGLISH = (
    b"invoice_number,debtor_number,debtor_name,invoice_date,due_date,amount,open_amount\n"
    b"INV-7,E1,Harbour Supplies Ltd,2025-03-03,2025-04-02,99.95,99.95\n"
)
PEPPOL = (DATA / "base-example.xml").read_bytes()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([title.strip() for title in DUTCH_HEADER.split(";")])
    for row in rows:
        sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    return content.getvalue()


def imported(events: list[tuple[str, dict]]) -> dict[str, dict]:
    return {p["number"]: p for t, p in events if t.endswith("invoice.imported")}


async def test_a_zip_of_a_dutch_and_an_english_csv_is_one_run(importer: Importer):
    archive = zip_of({"noord/openstaand.csv": THREE_INVOICES, "export-uk.csv": ENGLISH})

    run = await importer.import_file("exports.zip", archive)

    assert run["status"] == "succeeded", run
    assert run["source"] == "zip"
    assert run["counts"]["new"] == 4 and run["counts"]["rejected"] == 0
    invoices = imported(await importer.outbox())
    assert invoices["2025-001"]["amount"] == "1210.00"  # 1.210,00 with a decimal comma
    assert invoices["2025-002"]["open_amount"] == "100.00"
    assert invoices["INV-7"]["amount"] == "99.95"

    again = await importer.import_file("exports.zip", archive)
    assert again["counts"]["new"] == 0 and again["counts"]["unchanged"] == 4


async def test_the_members_are_read_with_the_connections_mapping(importer: Importer):
    saved = await importer.client.put(
        f"/internal/v1/administrations/{ADM}/connections/uploads",
        json={"name": "Uploads", "config": {"mapping": {"preset": "dutch", "amount": "Totaal"}}},
    )
    assert saved.status_code == 200, saved.text
    renamed = THREE_INVOICES.replace(b"Bedrag", b"Totaal")
    later = dutch_csv(
        "2025-004;D3;Garage Smit B.V.;zakelijk;smit@garage.example;"
        "12-03-2025;11-04-2025;2.420,00;2.420,00;EUR"
    ).replace(b"Bedrag", b"Totaal")

    run = await importer.import_file("maart.zip", zip_of({"a.csv": renamed, "b.csv": later}))

    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 4 and run["counts"]["rejected"] == 0
    assert imported(await importer.outbox())["2025-004"]["amount"] == "2420.00"


async def test_a_zip_with_a_spreadsheet_is_read_row_by_row(importer: Importer):
    sheet = workbook(
        [
            "2025-101", "D7", "Garage Smit B.V.", "zakelijk", "smit@garage.example",
            date(2025, 3, 1), date(2025, 3, 31), Decimal("1210.00"), 1210, "EUR",
        ],
        [
            "2025-102", "D7", "Garage Smit B.V.", "zakelijk", "smit@garage.example",
            date(2025, 3, 2), date(2025, 4, 1), "veel", 10, "EUR",
        ],
    )  # fmt: skip

    run = await importer.import_file(
        "facturen.zip", zip_of({"openstaand.xlsx": sheet, "a.xml": PEPPOL})
    )

    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 2 and run["counts"]["rejected"] == 1
    [rejected] = run["rejected"]
    assert rejected["position"] == "facturen.zip/openstaand.xlsx row 3"
    assert rejected["reference"] == "2025-102"
    assert "'veel' is not an amount" in rejected["reason"]
    invoices = imported(await importer.outbox())
    assert invoices["2025-101"]["due_date"] == "2025-03-31"
    assert "Snippet1" in invoices


@pytest.mark.parametrize(
    ("member", "content", "says"),
    [
        (
            "kapot.csv",
            b"Nummer;Klant;Totaal\n1;2;3\n",
            "facturen.zip/kapot.csv lacks the columns of every column mapping preset",
        ),
        ("kapot.xlsx", b"PK\x03\x04 not a workbook", "facturen.zip/kapot.xlsx is refused"),
        (
            "latin1.csv",
            THREE_INVOICES.replace(b"Bakkerij", "Bäkkerij".encode("latin-1")),
            "facturen.zip/latin1.csv is not valid utf-8",
        ),
        ("../../etc/cron.d/evil.csv", THREE_INVOICES, "path traversal"),
        ("binnen.csv", zip_of({"a.csv": THREE_INVOICES}), "archives inside an archive"),
    ],
)
async def test_a_malformed_member_is_rejected_alone_with_its_name(
    importer: Importer, member: str, content: bytes, says: str
):
    good = dutch_csv(
        "2025-201;D9;Kapsalon Els;particulier;els@kapsalon.example;"
        "01-03-2025;31-03-2025;45,00;45,00;EUR"
    )

    run = await importer.import_file("facturen.zip", zip_of({"goed.csv": good, member: content}))

    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 1 and run["counts"]["rejected"] == 1
    [rejected] = run["rejected"]
    assert rejected["position"] == f"facturen.zip/{member}"
    assert says in rejected["reason"]
    assert list(imported(await importer.outbox())) == ["2025-201"]


async def test_a_number_in_two_members_is_imported_once(importer: Importer):
    run = await importer.import_file(
        "dubbel.zip", zip_of({"a.csv": THREE_INVOICES, "b.csv": THREE_INVOICES})
    )

    assert run["counts"]["new"] == 3 and run["counts"]["rejected"] == 3
    first = run["rejected"][0]
    assert first["position"] == "dubbel.zip/b.csv line 2"
    assert "occurs more than once" in first["reason"]
    assert "dubbel.zip/a.csv line 2" in first["reason"]
