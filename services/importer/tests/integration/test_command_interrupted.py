"""`settle import` stopped with Ctrl-C: the run is failed as interrupted, at once, so the
administration can import again (it stayed "running" for the 15 minutes of the old lease)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from settle_importer.app import SERVICE
from settle_shared.testing.service import announce_administration

pytestmark = pytest.mark.integration

HEADER = "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand\n"


def _run_status(database: Path) -> tuple[str, str | None] | None:
    try:
        with sqlite3.connect(database) as connection:
            row = connection.execute("SELECT status, error FROM import_runs").fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else (row[0], row[1])


def test_ctrl_c_of_the_import_command_fails_its_run_with_a_reason(tmp_path: Path):
    database = tmp_path / "importer.db"
    export = tmp_path / "groot.csv"
    with export.open("w", encoding="utf-8") as file:
        file.write(HEADER)
        for n in range(400_000):
            file.write(f"2024-{n:07d};D{n % 1000};Jansen;01-03-2024;31-03-2024;121,00;121,00\n")
    env = {
        **os.environ,
        "SETTLE_IMPORTER_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "SETTLE_IMPORTER_ENVIRONMENT": "test",
    }
    settle = [str(Path(sys.executable).with_name("settle"))]
    subprocess.run([*settle, "migrate", "importer"], env=env, check=True, capture_output=True)
    asyncio.run(
        announce_administration(
            SERVICE,
            f"sqlite+aiosqlite:///{database}",
            "adm-1",
            inbox_dir=str(tmp_path / "inbox"),
        )
    )
    command = [*settle, "import", str(export), "--administration", "adm-1"]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # As from a terminal: a test runner started in the background ignores SIGINT, and its
        # children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while _run_status(database) != ("running", None):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the run did not start"
            time.sleep(0.1)
        time.sleep(2)  # chunks being written
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    status = _run_status(database)
    assert status is not None and status[0] == "failed", stderr[-3000:]
    assert "interrupted" in (status[1] or "")
