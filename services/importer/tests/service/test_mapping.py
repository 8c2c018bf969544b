"""Column mappings refused with a sentence where a person sets them: a connection saved through
the API, `settle import --preset`, and a delivered file whose header fits no preset."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from settle_importer.app import SERVICE
from settle_importer.application.connections import Connection
from settle_shared.db import transaction
from settle_shared.migrations import upgrade
from settle_shared.testing.service import announce_administration

from .conftest import ADM, THREE_INVOICES, Importer

pytestmark = pytest.mark.service

CONNECTIONS = f"/internal/v1/administrations/{ADM}/connections"


async def save(importer: Importer, mapping: object) -> tuple[int, dict]:
    response = await importer.client.put(
        f"{CONNECTIONS}/uploads", json={"name": "Uploads", "config": {"mapping": mapping}}
    )
    return response.status_code, response.json()


async def test_a_preset_that_does_not_exist_is_refused_when_the_connection_is_saved(
    importer: Importer,
):
    status, body = await save(importer, {"preset": "dutsch"})

    assert status == 422
    assert body == {
        "detail": 'the column mapping cannot be used: there is no preset "dutsch" (did you '
        'mean "dutch"?); the presets are "dutch" and "english"'
    }
    assert (await importer.client.get(CONNECTIONS)).json() == []


async def test_a_wrong_field_is_refused_with_a_sentence_without_a_link(importer: Importer):
    status, body = await save(importer, {"preset": "dutch", "decimal_comma": "ja", "amout": 3})

    assert status == 422
    assert body == {
        "detail": "the column mapping cannot be used: decimal_comma must be true or false, not "
        "\"ja\"; there is no field 'amout' (did you mean 'amount'?)"
    }


async def test_a_file_that_fits_no_preset_fails_its_run_saying_what_each_needs(
    importer: Importer,
):
    export = THREE_INVOICES.replace(b"Bedrag", b"Totaal")

    run = await importer.import_file("openstaand.csv", export)

    assert run["status"] == "failed"
    assert run["error"].startswith(
        "openstaand.csv lacks the columns of every column mapping preset: the English preset "
        "needs invoice_number, debtor_number, invoice_date, due_date and amount; the Dutch "
        "preset needs Factuurnummer, Debiteurnummer, Factuurdatum, Vervaldatum and Bedrag "
        "(this file lacks Bedrag). Its header has 'Factuurnummer', "
    )
    assert run["error"].endswith('such as {"preset": "dutch", "amount": "<your column>"}')

    status, _ = await save(importer, {"preset": "dutch", "amount": "Totaal"})
    assert status == 200
    run = await importer.import_file("openstaand.csv", export)
    assert run["status"] == "succeeded", run
    assert run["counts"]["new"] == 3


async def test_a_mapping_stored_before_it_was_checked_fails_the_run_with_the_sentence(
    importer: Importer,
):
    stored = Connection(
        administration_id=ADM,
        id="uploads",
        name="Uploads",
        source_kind="upload",
        config={"mapping": {"preset": "dutsch"}},
        schedule="on_delivery",
    )
    async with transaction(importer.ctx.sessions) as session:
        connections = importer.ctx.repositories(session).connections()
        await connections.save(stored, importer.ctx.clock.now(), date(2025, 4, 1))

    run = await importer.import_file("openstaand.csv", THREE_INVOICES)

    assert run["status"] == "failed"
    assert run["error"] == (
        'the connection\'s column mapping cannot be used: there is no preset "dutsch" (did '
        'you mean "dutch"?); the presets are "dutch" and "english"'
    )


def test_the_command_line_refuses_a_preset_that_does_not_exist(tmp_path: Path, monkeypatch):
    database = f"sqlite+aiosqlite:///{tmp_path / 'importer.db'}"
    upgrade(SERVICE.migrations_dir, database)
    monkeypatch.setenv("SETTLE_IMPORTER_DATABASE_URL", database)
    asyncio.run(announce_administration(SERVICE, database, ADM, inbox_dir=str(tmp_path / "inbox")))
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES.replace(b"Bedrag", b"Totaal"))
    assert SERVICE.cli is not None
    runner = CliRunner()

    refused = runner.invoke(
        SERVICE.cli, ["import", str(export), "--administration", ADM, "--preset", "dutsch"]
    )
    assert refused.exit_code == 2, refused.output
    assert refused.output.strip() == (
        'refused: the column mapping cannot be used: there is no preset "dutsch" (did you '
        'mean "dutch"?); the presets are "dutch" and "english"'
    )

    # English headers read with the preset given, where the file alone would fit it too.
    english = tmp_path / "open.csv"
    english.write_bytes(
        b"invoice_number,debtor_number,invoice_date,due_date,amount\n"
        b"2025-001,D1,2025-03-01,2025-03-31,121.00\n"
    )
    wrong = runner.invoke(
        SERVICE.cli, ["import", str(english), "--administration", ADM, "--preset", "dutch"]
    )
    assert wrong.exit_code == 1, wrong.output
    assert 'the file fits the English preset: configure {"preset": "english"}' in wrong.output
    right = runner.invoke(
        SERVICE.cli, ["import", str(english), "--administration", ADM, "--preset", "english"]
    )
    assert right.exit_code == 0, right.output
    assert "succeeded (open.csv)" in right.output
    assert ["imported", "1"] in [line.split() for line in right.output.splitlines()]
