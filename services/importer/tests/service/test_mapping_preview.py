"""A preview of a column mapping on the start of an export: the header, the preset that fits,
each column's field and the first rows as an import would read them. Nothing is imported."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import pytest
from openpyxl import Workbook

from .conftest import ADM, THREE_INVOICES, Importer, dutch_csv

pytestmark = pytest.mark.service

API = f"/internal/v1/administrations/{ADM}"


async def preview(
    importer: Importer, content: bytes, name: str = "openstaand.csv", **form: Any
) -> Any:
    data = {k: json.dumps(v) if k == "mapping" else str(v) for k, v in form.items()}
    return await importer.client.post(
        f"{API}/mapping-preview", files={"file": (name, content, "text/csv")}, data=data
    )


async def test_a_dutch_export_is_read_with_the_dutch_preset_without_configuring_it(
    importer: Importer,
) -> None:
    response = await preview(importer, THREE_INVOICES, rows=2)
    assert response.status_code == 200, response.text
    shown = response.json()
    assert shown["header"][:3] == ["Factuurnummer", "Debiteurnummer", "Naam"]
    assert {p["name"]: p["fits"] for p in shown["presets"]} == {"english": False, "dutch": True}
    assert shown["preset"] == "dutch" and shown["mapping"] == {"preset": "dutch"}
    assert shown["problem"] is None and shown["delimiter"] == ";"
    fields = {c["title"]: c["field"] for c in shown["columns"]}
    assert fields["Factuurnummer"] == "invoice_number" and fields["E-mail"] == "debtor_emails"
    assert fields["Openstaand"] == "open_amount"
    [first, second] = shown["rows"]
    assert first["position"] == "line 2" and first["error"] is None
    assert first["fields"]["amount"] == "1210.00" and first["fields"]["due_date"] == "2025-03-31"
    assert first["fields"]["debtor_name"] == "Bakkerij Jansen B.V."
    assert second["fields"]["open_amount"] == "100.00"
    # Nothing was imported.
    assert (await importer.client.get(f"{API}/runs")).json()["runs"] == []


async def test_each_row_says_what_is_wrong_with_it(importer: Importer) -> None:
    export = dutch_csv(
        "2025-001;D1;Jansen;zakelijk;info@jansen.example;01-03-2025;31-03-2025;1.210,00;"
        "1.210,00;EUR",
        "2025-002;D1;Jansen;zakelijk;info@jansen.example;01-03-2025;04-04-2025;twee;2,00;EUR",
    )
    shown = (await preview(importer, export)).json()
    assert [row["error"] is None for row in shown["rows"]] == [True, False]
    assert shown["rows"][1]["error"] == "amount 'twee' is not an amount like 1.234,56"
    assert shown["rows"][1]["reference"] == "2025-002"


async def test_a_mapping_with_an_override_and_a_cut_off_file(importer: Importer) -> None:
    export = THREE_INVOICES.replace(b"Bedrag", b"Totaal")
    fits_none = (await preview(importer, export)).json()
    assert fits_none["rows"] == [] and fits_none["preset"] is None
    assert "lacks the columns of every column mapping preset" in fits_none["problem"]
    assert {p["name"]: p["lacking"] for p in fits_none["presets"]}["dutch"] == ["Bedrag"]

    cut = export[: export.index(b"2025-003") + 12]  # the start of a longer file
    shown = (
        await preview(importer, cut, mapping={"preset": "dutch", "amount": "Totaal"}, partial=True)
    ).json()
    assert shown["problem"] is None
    assert [row["reference"] for row in shown["rows"]] == ["2025-001", "2025-002"]
    assert {c["title"]: c["field"] for c in shown["columns"]}["Totaal"] == "amount"

    wrong = (await preview(importer, export, mapping={"preset": "dutsch"})).json()
    assert wrong["problem"].startswith("the column mapping cannot be used: there is no preset")
    assert wrong["header"][0] == "Factuurnummer"  # still shown, to pick columns from


async def test_the_connections_mapping_is_previewed_and_a_workbook_too(importer: Importer) -> None:
    saved = await importer.client.put(
        f"{API}/connections/uploads",
        json={"name": "Uploads", "config": {"mapping": {"preset": "dutch", "amount": "Totaal"}}},
    )
    assert saved.status_code == 200, saved.text
    export = THREE_INVOICES.replace(b"Bedrag", b"Totaal")
    shown = (await preview(importer, export, connection_id="uploads")).json()
    assert shown["mapping"] == {"preset": "dutch", "amount": "Totaal"} and len(shown["rows"]) == 3

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["invoice_number", "debtor_number", "invoice_date", "due_date", "amount"])
    sheet.append(["X-1", "D9", "2025-03-01", "2025-03-31", 99.5])
    content = io.BytesIO()
    book.save(content)
    workbook = (await preview(importer, content.getvalue(), name="export.xlsx")).json()
    assert workbook["kind"] == "xlsx" and workbook["preset"] == "english"
    assert workbook["rows"][0]["fields"]["amount"] == "99.50"
    partial = await preview(importer, content.getvalue()[:100], name="export.xlsx", partial=True)
    assert partial.status_code == 422 and "read whole" in partial.json()["detail"]


async def test_what_has_no_columns_or_no_administration_is_refused(importer: Importer) -> None:
    xml = await preview(importer, b"<Invoice/>", name="invoice.xml")
    assert xml.status_code == 415 and "no columns to map" in xml.json()["detail"]
    unknown = await importer.client.post(
        "/internal/v1/administrations/nosuch/mapping-preview",
        files={"file": ("a.csv", THREE_INVOICES, "text/csv")},
    )
    assert unknown.status_code == 404
    not_json = await importer.client.post(
        f"{API}/mapping-preview",
        files={"file": ("a.csv", THREE_INVOICES, "text/csv")},
        data={"mapping": "{preset: dutch"},
    )
    assert not_json.status_code == 422 and "not JSON" in not_json.json()["detail"]
    empty = await preview(importer, b"")
    assert empty.status_code == 422
    too_many = await preview(importer, THREE_INVOICES, rows=51)
    assert too_many.status_code == 422 and "rows" in too_many.json()["detail"]
    importer.harness.runtime.app.state.importer = replace(
        importer.ctx, settings=importer.ctx.settings.model_copy(update={"preview_max_bytes": 100})
    )
    too_large = await preview(importer, THREE_INVOICES)
    assert too_large.status_code == 413 and "larger than" in too_large.json()["detail"]
    assert list(importer.ctx.settings.uploads_dir.iterdir()) == []  # nothing left behind


async def test_the_presets_are_listed_with_their_columns(importer: Importer) -> None:
    catalogue = (await importer.client.get(f"{API}/mapping-presets")).json()
    required = [f["name"] for f in catalogue["fields"] if f["required"]]
    assert required == ["invoice_number", "debtor_number", "invoice_date", "due_date", "amount"]
    dutch = next(p for p in catalogue["presets"] if p["name"] == "dutch")
    assert dutch["columns"]["invoice_number"] == "Factuurnummer"
    assert dutch["columns"]["debtor_address_lines"] == ["Adres", "Adres 2"]
    assert (dutch["delimiter"], dutch["decimal_comma"], dutch["date_format"]) == (
        ";",
        True,
        "%d-%m-%Y",
    )
