"""`settle import FILE --administration ID` against the configured database: what it prints,
and the business clock it stamps with."""

from __future__ import annotations

import asyncio
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from settle_importer.adapters.tables import import_runs, metadata
from settle_importer.app import SERVICE
from settle_shared.db import aware, create_engine
from settle_shared.migrations import upgrade
from settle_shared.outbox import stored_events
from settle_shared.testing.service import announce_administration

from .conftest import THREE_INVOICES, dutch_csv

pytestmark = pytest.mark.service


def migrated(tmp_path: Path, monkeypatch, *administrations: str) -> str:
    """The importer's database, with the administrations the gateway announced."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'importer.db'}"
    upgrade(SERVICE.migrations_dir, database)
    monkeypatch.setenv("SETTLE_IMPORTER_DATABASE_URL", database)
    for variable in ("SETTLE_CLOCK_FILE", "SETTLE_IMPORTER_CLOCK_FILE"):
        monkeypatch.delenv(variable, raising=False)  # no business clock but what a test sets
    for administration in administrations:
        asyncio.run(
            announce_administration(
                SERVICE, database, administration, inbox_dir=str(tmp_path / "inbox")
            )
        )
    return database


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated importer database the commands use, that knows the administration adm-1."""
    return migrated(tmp_path, monkeypatch, "adm-1")


def test_a_file_is_imported_from_the_command_line(tmp_path: Path, monkeypatch):
    migrated(tmp_path, monkeypatch, "adm-1")
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES)
    assert SERVICE.cli is not None
    runner = CliRunner()

    first = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])
    assert first.exit_code == 0, first.output
    assert "succeeded (openstaand.csv)" in first.stdout
    assert counts_in(first.stdout)[:2] == [("read", 3), ("imported", 3)]
    again = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])
    assert ("imported", 0) in counts_in(again.stdout)
    assert ("unchanged", 3) in counts_in(again.stdout)
    # The run's notices are shown: here that the file was the one imported before.
    assert "notice: The source is the same as that of run" in again.stdout

    refused = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "a b"])
    assert refused.exit_code == 2
    assert "not an administration id" in refused.stderr


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
    assert ("imported", 3) in counts_in(result.stdout)


def counts_in(output: str) -> list[tuple[str, int]]:
    """The counts of the summary ("  closed, not imported   1"), in their order."""
    found = []
    for line in output.splitlines():
        label, _, number = line.strip().rpartition(" ")
        if line.startswith("  ") and number.isdigit():
            found.append((label.strip(), int(number)))
    return found


def rows_with_rejections(bad: int) -> bytes:
    good = (
        "2025-001;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
        "01-03-2025;31-03-2025;1.210,00;1.210,00;EUR"
    )
    closed = (
        "2025-002;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
        "05-03-2025;04-04-2025;242,00;0,00;EUR"
    )
    broken = [
        f"2025-1{n:02d};D2;P. de Vries;particulier;p@devries.example;"
        f"10-03-2025;09-04-2025;tien euro;10,00;EUR"
        for n in range(bad)
    ]
    return dutch_csv(good, closed, *broken, good)


def test_the_summary_names_the_counts_and_each_rejected_record_with_its_reason(
    tmp_path: Path, database: str
):
    export = tmp_path / "openstaand.csv"
    export.write_bytes(rows_with_rejections(bad=23))
    assert SERVICE.cli is not None
    runner = CliRunner()

    result = runner.invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    run_id = lines[0].split()[1]
    assert lines[0] == f"run {run_id} succeeded (openstaand.csv)"
    assert counts_in(result.stdout) == [
        ("read", 26),
        ("imported", 1),
        ("changed", 0),
        ("settled", 0),
        ("reopened", 0),
        ("unchanged", 0),
        ("ignored", 0),
        ("closed, not imported", 1),
        ("possible bookkeeping errors", 0),
        ("rejected", 24),
    ]
    rejected = lines[lines.index("rejected records:") + 1 :]
    # The first twenty, each with where it is, its number and why; then where the rest are.
    assert rejected[0] == "  line 4 (2025-100): amount 'tien euro' is not an amount like 1.234,56"
    assert rejected[19].startswith("  line 23 (2025-119): amount 'tien euro'")
    assert rejected[20:] == [
        f"  … and 4 more: settle importer show {run_id} --administration adm-1 lists them all"
    ]
    # Standard output holds the summary alone: the progress bar and log lines go elsewhere.
    assert "━" not in result.stdout and "[warning" not in result.stdout

    shown = runner.invoke(SERVICE.cli, ["show", run_id, "--administration", "adm-1"])
    assert shown.exit_code == 0, shown.output
    listed = shown.stdout.splitlines()
    every = listed[listed.index("rejected records:") + 1 :]
    assert len(every) == 24
    assert every[-1] == (
        "  line 27 (2025-001): invoice number 2025-001 occurs more than once in this import; "
        "only the first (line 2) was used"
    )
    unknown = runner.invoke(SERVICE.cli, ["show", "nope", "--administration", "adm-1"])
    assert unknown.exit_code == 2 and "no import run 'nope'" in unknown.stderr


def test_a_failed_run_says_why_on_standard_error_and_keeps_its_summary_on_standard_output(
    tmp_path: Path, database: str
):
    export = tmp_path / "kapot.csv"
    export.write_bytes(b"Factuurnummer;Bedrag\nF1;1,00\n")
    assert SERVICE.cli is not None

    result = CliRunner().invoke(SERVICE.cli, ["import", str(export), "--administration", "adm-1"])

    assert result.exit_code == 1
    assert " failed (kapot.csv)" in result.stdout.splitlines()[0]
    assert "lacks the column" in result.stderr
    # The importer's own log line about the failure is on standard error only.
    assert "import run failed" in result.stderr
    assert "import run failed" not in result.stdout


def test_a_command_stamps_with_the_business_clock_of_the_stack(
    tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
):
    from settle_shared.cli.main import app

    # Beside a stack started here (`settle up` keeps its clock in var/clock.json), run as of
    # a day far from today.
    monkeypatch.chdir(tmp_path)
    business_day = date(2031, 6, 4)
    runner = CliRunner()
    clock = runner.invoke(app, ["clock", "set", business_day.isoformat()])
    assert clock.exit_code == 0, clock.output
    assert (tmp_path / "var" / "clock.json").exists()
    export = tmp_path / "openstaand.csv"
    export.write_bytes(THREE_INVOICES)

    result = runner.invoke(app, ["import", str(export), "--administration", "adm-1"])

    assert result.exit_code == 0, result.output
    run_times, event_times = asyncio.run(stamps(database))
    # The business date is the date in the business zone (at any hour of the UTC day).
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert {moment.astimezone(amsterdam).date() for moment in run_times} == {business_day}
    assert event_times
    assert {moment.astimezone(amsterdam).date() for moment in event_times} == {business_day}
    # Only for the command: the process's environment is as it was.
    assert "SETTLE_IMPORTER_CLOCK_FILE" not in os.environ


async def stamps(url: str) -> tuple[list[datetime], list[datetime]]:
    """When the runs were created, started and finished; when their events happened."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    sa.select(
                        import_runs.c.created_at,
                        import_runs.c.started_at,
                        import_runs.c.finished_at,
                    )
                )
            ).one()
        async with AsyncSession(engine) as session:
            events = await stored_events(session, metadata)
    finally:
        await engine.dispose()
    return [aware(moment) for moment in row], [envelope.time for _, envelope in events]
