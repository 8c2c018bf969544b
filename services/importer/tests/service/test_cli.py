"""`settle importer import FILE --administration ID` against the configured database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from settle_importer.app import SERVICE
from settle_shared.migrations import upgrade
from settle_shared.testing.service import announce_administration

from .conftest import THREE_INVOICES

pytestmark = pytest.mark.service


def migrated(tmp_path: Path, monkeypatch, *administrations: str) -> str:
    """The importer's database, with the administrations the gateway announced."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'importer.db'}"
    upgrade(SERVICE.migrations_dir, database)
    monkeypatch.setenv("SETTLE_IMPORTER_DATABASE_URL", database)
    for administration in administrations:
        asyncio.run(
            announce_administration(
                SERVICE, database, administration, inbox_dir=str(tmp_path / "inbox")
            )
        )
    return database


def test_a_file_is_imported_from_the_command_line(tmp_path: Path, monkeypatch):
    migrated(tmp_path, monkeypatch, "adm-1")
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES)
    assert SERVICE.cli is not None
    runner = CliRunner()

    first = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])
    assert first.exit_code == 0, first.output
    assert "succeeded: 3 records; 3 new" in first.output
    again = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])
    assert "0 new" in again.output and "3 unchanged" in again.output
    # The run's notices are shown: here that the file was the one imported before.
    assert "notice: The source is the same as that of run" in again.output

    refused = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "a b"])
    assert refused.exit_code == 2
    assert "not an administration id" in refused.output


def test_the_command_line_refuses_an_administration_the_gateway_never_created(
    tmp_path: Path, monkeypatch
):
    migrated(tmp_path, monkeypatch, "adm-1")
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES)
    assert SERVICE.cli is not None
    refused = CliRunner().invoke(SERVICE.cli, ["import", str(export), "--administration", "nosuch"])
    assert refused.exit_code == 2
    assert "unknown administration 'nosuch'" in refused.output
    assert "settle gateway administration-create --administration nosuch" in refused.output
    # Nothing was imported, and the run list of the administration stays empty.
    assert "succeeded" not in refused.output


def test_settle_import_is_offered_at_the_top_level_too(tmp_path: Path, monkeypatch):
    from settle_shared.cli.main import app

    migrated(tmp_path, monkeypatch, "adm-1")
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES)
    result = CliRunner().invoke(app, ["import", str(export), "--administration", "adm-1"])
    assert result.exit_code == 0, result.output
    assert "succeeded: 3 records; 3 new" in result.output
