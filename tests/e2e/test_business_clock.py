"""One business clock for the stack and the commands beside it: with the clock set far from
today, an import started with `settle import` and the reminder step `settle dunning run` then
executes carry that business date, as the gateway shows them."""

import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from settle_shared.clock import FileClock

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ADMINISTRATION = "demo"  # seeded by the embedded stack
HEADERS = {"Authorization": "Bearer change-me"}  # the development service token
AMSTERDAM = ZoneInfo("Europe/Amsterdam")  # the business dates of the embedded stack
FAR_AWAY = date(2031, 6, 4)  # a Wednesday, years from today, no Dutch holiday


def settle(folder: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """`settle …` as a user types it in the folder the stack was started from: no settings of
    its own, so the defaults (var/…) apply."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    return subprocess.run(
        [sys.executable, "-m", "settle_shared.cli.main", *arguments],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def poll(what: str, check, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_commands_beside_the_stack_stamp_in_its_business_time(tmp_path, monkeypatch):
    # The daily run stays off here, so the step is the command's own doing.
    monkeypatch.setenv("SETTLE_DUNNING_DAILY_RUN_ENABLED", "false")
    stack = Stack(tmp_path / "var", stack_ports())
    stack.wait_ready()
    try:
        clock = settle(tmp_path, "clock", "set", FAR_AWAY.isoformat())
        assert clock.returncode == 0, clock.stderr
        business_day = FileClock(tmp_path / "var" / "clock.json").now().astimezone(AMSTERDAM)
        assert abs(business_day.date() - FAR_AWAY) <= timedelta(days=1)
        due = FAR_AWAY - timedelta(days=30)
        export = tmp_path / "openstaand.csv"
        export.write_text(
            "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;"
            "Naam;Type;E-mail\n"
            f"2031-0042;D-7;{due - timedelta(days=30):%d-%m-%Y};{due:%d-%m-%Y};1.234,56;"
            "1.234,56;EUR;Bakkerij De Vries B.V.;zakelijk;boekhouding@devries.example\n",
            encoding="utf-8",
        )

        imported = settle(tmp_path, "import", str(export), "--administration", ADMINISTRATION)
        assert imported.returncode == 0, imported.stderr
        run_id = imported.stdout.split()[1]
        importer = service_url(stack, "importer")
        run = httpx.get(
            f"{importer}/internal/v1/administrations/{ADMINISTRATION}/runs/{run_id}",
            headers=HEADERS,
            timeout=10,
        ).json()
        started = datetime.fromisoformat(run["started_at"]).astimezone(AMSTERDAM)
        assert started.date() == business_day.date()

        dunning = service_url(stack, "dunning")
        poll(
            "the invoice in dunning",
            lambda: (
                httpx.get(
                    f"{dunning}/internal/v1/administrations/{ADMINISTRATION}",
                    headers=HEADERS,
                    timeout=5,
                ).status_code
                == 200
            ),
        )
        ran = settle(tmp_path, "dunning", "run", "--administration", ADMINISTRATION)
        assert ran.returncode == 0, ran.stderr
        assert f"{ADMINISTRATION} {business_day.date().isoformat()}: 1 due" in ran.stdout

        # The gateway's timeline: the step executed on the business date, at that date.
        gateway = service_url(stack, "gateway")
        login = next(line for line in stack.output.splitlines() if " login " in line).split()
        signed_in = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": login[3], "password": login[5]},
            timeout=10,
        )
        user = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        api = f"{gateway}/api/v1/administrations/{ADMINISTRATION}"

        def executed_steps():  # type: ignore[no-untyped-def]
            listed = httpx.get(f"{api}/invoices", headers=user, timeout=10).json()["items"]
            if not listed:
                return None
            detail = httpx.get(
                f"{api}/invoices/{listed[0]['invoice_id']}", headers=user, timeout=10
            ).json()
            return [entry for entry in detail["timeline"] if entry["kind"] == "step"]

        [step] = poll("the executed step at the gateway", executed_steps)
        assert step["executed_on"] == business_day.date().isoformat()
        at = datetime.fromisoformat(step["at"]).astimezone(AMSTERDAM)
        assert at.date() == business_day.date()
    finally:
        stack.stop()
