"""Imports through the gateway, against the real importer: connections with their source,
schedule, time zone, ignore lists and column mapping; the mapping's presets and a preview of a
Dutch export; import now and upload; a run with its counts and rejected records."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from .conftest import ADM, Gateway, Neighbours

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
DUTCH_EXPORT = (
    b"Factuurnummer;Debiteurnummer;Naam;Type;E-mail;Factuurdatum;Vervaldatum;Totaal;"
    b"Openstaand;Valuta\n"
    b"2025-001;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
    b"01-03-2025;31-03-2025;1.210,00;1.210,00;EUR\n"
    b"2025-002;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
    b"05-03-2025;04-04-2025;tweehonderd;100,00;EUR\n"
    b"2025-003;D2;P. de Vries;particulier;p@devries.example;10-03-2025;09-04-2025;60,50;60,50;EUR\n"
)


async def finished(neighbours: Neighbours) -> None:
    tasks = neighbours.importer.runtime.app.state.importer.tasks
    while tasks:
        await asyncio.gather(*list(tasks))


async def preview(
    gateway: Gateway, content: bytes, email: str = "sam@a.example", **form: Any
) -> Any:
    data = {k: json.dumps(v) if k == "mapping" else str(v) for k, v in form.items()}
    return await gateway.post(
        f"{API}/mapping-preview",
        email,
        files={"file": ("openstaand.csv", content, "text/csv")},
        data=data,
    )


async def test_a_dutch_export_is_mapped_with_a_preview_then_imported(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    presets = (await gateway.get(f"{API}/mapping-presets", "rita@a.example")).json()
    assert [p["name"] for p in presets["presets"]] == ["english", "dutch"]
    assert presets["fields"][0] == {
        "name": "invoice_number",
        "required": True,
        "meaning": "the invoice (or credit note) number",
    }

    # The export calls its amount "Totaal": no preset fits, and the preview says what lacks.
    first = await preview(gateway, DUTCH_EXPORT[:300], partial=True)
    assert first.status_code == 200, first.text
    shown = first.json()
    assert shown["preset"] is None and shown["rows"] == []
    assert {p["name"]: p["lacking"] for p in shown["presets"]}["dutch"] == ["Bedrag"]
    assert "Totaal" in shown["header"]

    # The Dutch preset with the amount's column picked: the rows in our fields, the mistake
    # on the second row shown before anything is imported.
    mapping = {"preset": "dutch", "amount": "Totaal"}
    shown = (await preview(gateway, DUTCH_EXPORT, mapping=mapping)).json()
    assert shown["problem"] is None
    assert {c["title"]: c["field"] for c in shown["columns"]}["Totaal"] == "amount"
    one, two, three = shown["rows"]
    assert (one["fields"]["amount"], one["fields"]["due_date"]) == ("1210.00", "2025-03-31")
    assert two["error"] == "amount 'tweehonderd' is not an amount like 1.234,56"
    assert three["fields"]["debtor_type"] == "consumer"

    saved = await gateway.put(
        f"{API}/connections/uploads",
        json={
            "name": "Exports from bookkeeping",
            "mapping": shown["mapping"],
            "schedule": "on_delivery",
            "time_zone": "Europe/Amsterdam",
            "ignore_debtor_numbers": ["D900-D999"],
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["mapping"] == mapping
    assert saved.json()["ignore_debtor_numbers"] == ["D900-D999"]
    listed = (await gateway.get(f"{API}/connections", "rita@a.example")).json()
    assert [(c["id"], c["source_kind"]) for c in listed] == [("uploads", "upload")]
    # The connection's mapping is what a preview without one uses.
    by_connection = (await preview(gateway, DUTCH_EXPORT, connection_id="uploads")).json()
    assert by_connection["mapping"] == mapping and len(by_connection["rows"]) == 3

    uploaded = await gateway.post(
        f"{API}/imports", "sam@a.example", files={"file": ("openstaand.csv", DUTCH_EXPORT)}
    )
    assert uploaded.status_code == 202, uploaded.text
    await finished(neighbours)
    run = (await gateway.get(f"{API}/imports/{uploaded.json()['run_id']}")).json()
    assert run["status"] == "succeeded" and run["counts"]["rejected"] == 1
    assert [(r["position"], r["reference"]) for r in run["rejected"]] == [("line 3", "2025-002")]
    assert run["rejected"][0]["reason"] == "amount 'tweehonderd' is not an amount like 1.234,56"


async def test_a_mapping_the_importer_refuses_comes_back_as_a_sentence(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    refused = await gateway.put(
        f"{API}/connections/uploads",
        json={"name": "Uploads", "mapping": {"preset": "dutsch"}},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith(
        'the column mapping cannot be used: there is no preset "dutsch" (did you mean "dutch"?)'
    )
    wrong_zone = await gateway.put(
        f"{API}/connections/uploads", json={"name": "Uploads", "time_zone": "Mars/Olympus"}
    )
    assert wrong_zone.status_code == 422 and "Mars/Olympus" in wrong_zone.json()["detail"]
    daily = await gateway.put(
        f"{API}/connections/uploads",
        json={"name": "Uploads", "schedule": "daily", "schedule_time": "07:30"},
    )
    assert daily.json()["schedule_time"] == "07:30:00"
    clerk = await gateway.put(f"{API}/connections/uploads", "sam@a.example", json={"name": "x"})
    assert clerk.status_code == 403


async def test_no_server_path_or_address_is_set_through_the_api(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    path = await gateway.put(
        f"{API}/connections/exports",
        json={"name": "Server file", "source_kind": "file", "mapping": {"preset": "dutch"}},
    )
    assert path.status_code == 422 and "only the command line sets" in path.json()["detail"]
    extra = await gateway.put(
        f"{API}/connections/mb",
        json={
            "name": "Moneybird",
            "source_kind": "moneybird",
            "moneybird": {"administration_id": "123", "token": "t", "base_url": "http://x"},
        },
    )
    assert extra.status_code == 422
    assert extra.json()["errors"][0]["field"] == "moneybird.base_url"
    # A Moneybird connection keeps its token, which is never shown.
    saved = await gateway.put(
        f"{API}/connections/mb",
        json={
            "name": "Moneybird",
            "source_kind": "moneybird",
            "schedule": "daily",
            "moneybird": {"administration_id": "123", "token": "secret-token"},
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["moneybird"] == {
        "administration_id": "123",
        "states": None,
        "token_set": True,
    }
    assert "secret-token" not in saved.text
    renamed = await gateway.put(
        f"{API}/connections/mb",
        json={
            "name": "Moneybird, daily",
            "source_kind": "moneybird",
            "schedule": "daily",
            "moneybird": {"administration_id": "123"},
        },
    )
    assert renamed.json()["moneybird"]["token_set"] is True
    stored = await neighbours.importer.client.get(f"/internal/v1/administrations/{ADM}/connections")
    assert stored.json()[0]["config"]["token"] == "secret-token"
    one = await gateway.get(f"{API}/connections/mb")
    assert one.json()["name"] == "Moneybird, daily" and "secret-token" not in one.text
    assert (await gateway.get(f"{API}/connections/nope")).status_code == 404


async def test_import_now_from_a_connection_that_receives_files_is_refused(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await gateway.put(f"{API}/connections/uploads", json={"name": "Uploads"})
    refused = await gateway.post(f"{API}/connections/uploads/imports", "sam@a.example")
    assert refused.status_code == 422
    assert refused.json()["detail"] == "this connection receives files: upload one instead"
    assert (
        await gateway.post(f"{API}/connections/uploads/imports", "rita@a.example")
    ).status_code == 403
