"""The importer SIGKILLed in the middle of a drop-folder import, on the embedded stack: the
next export dropped must still be imported (issue 21, item 9)."""

import time
from datetime import timedelta

import httpx
import pytest

from .harness import FaultStack
from .suite import FIRST_DAY, HEADERS, Load, Options

pytestmark = pytest.mark.e2e

PAID_ROWS = 60_000  # paid history in the export: long enough a run to be killed in


def paid_history() -> str:
    return "".join(
        f"OLD-{n:06d};OLDD-{n % 500:04d};01-01-2026;31-01-2026;100,00;0,00;EUR;Oud {n} B.V.;"
        f"zakelijk;boekhouding@oud{n % 500}.example;Straat 1;1234 AB;Utrecht;NL;nl\n"
        for n in range(PAID_ROWS)
    )


def test_an_import_killed_midway_does_not_hold_up_the_drop_folder(tmp_path):
    var = tmp_path / "var"
    stack = FaultStack(var)
    load = Load(stack, Options())
    load.set_clock(FIRST_DAY - timedelta(days=3))
    stack.start()
    try:
        load.model.add(FIRST_DAY, 5)
        inbox = var / "inbox" / "demo"
        inbox.mkdir(parents=True, exist_ok=True)
        staging = inbox / "big.csv.partial"
        staging.write_text(load.model.export() + paid_history(), encoding="utf-8")
        staging.replace(inbox / "big.csv")
        runs = f"{stack.urls['importer']}/internal/v1/administrations/demo/runs"
        deadline = time.monotonic() + 60
        running = None
        while running is None and time.monotonic() < deadline:
            try:
                listed = httpx.get(runs, headers=HEADERS, timeout=5).json()["runs"]
            except httpx.HTTPError:
                listed = []
            running = next((r for r in listed if r["status"] == "running"), None)
            time.sleep(0.05)
        assert running is not None, "the big import was never seen running"
        stack.kill_service("importer", 0.5, "in the middle of an import")

        load.drop("openstaande-posten.csv")
        load.options.step_timeout_s = 60.0
        load.wait_import("openstaande-posten.csv")
        listed = httpx.get(runs, headers=HEADERS, timeout=5).json()["runs"]
        states = [(r["source_name"], r["status"], r["error"]) for r in listed]
        assert not load.findings, (load.findings, states)
        assert ("openstaande-posten.csv", "succeeded", None) in states, states
    finally:
        stack.stop()
