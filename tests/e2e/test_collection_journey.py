"""A collection case from start to bailiff, through the running system: two consumers' overdue
invoices go through the reminder flow and the 14-day letter, the business clock passes the
letter's term, cases open, costs and interest are charged, a partial payment booked in
bookkeeping is allocated to costs first; one case goes to a bailiff with a direct integration
(the example program in examples/bailiff, which knows only the AsyncAPI document) that
validates the handoff and reports a payment, the other to an own partner, whose dossier
arrives by email; the case pages and the dashboard show it all."""

import email
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from pathlib import Path

import httpx
import pytest

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
ADMINISTRATION = "demo"
HEADERS = {"Authorization": "Bearer change-me"}
DUE = date(2027, 3, 1)  # a Monday; the flow's steps fall on working days
# The 14-day letter goes out on 5 April 2027; counted as received two days later, its term
# ends on 21 April: costs may be charged from 22 April.
PAST_THE_TERM = date(2027, 4, 23)


def export(folder: Path, name: str, open_amounts: tuple[str, str]) -> None:
    rows = [
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;"
        "Naam;Type;E-mail;Adres;Postcode;Plaats;Land;Taal",
    ]
    for number, debtor, person, amount in (
        ("2027-0101", "P-1", "Jan de Vries", open_amounts[0]),
        ("2027-0102", "P-2", "Els Jansen", open_amounts[1]),
    ):
        rows.append(
            f"{number};{debtor};{DUE - timedelta(days=30):%d-%m-%Y};{DUE:%d-%m-%Y};1.000,00;"
            f"{amount};EUR;{person};particulier;{debtor.lower()}@thuis.example;Dorpsstraat 1;"
            "1234 AB;Utrecht;NL;nl"
        )
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / f"{name}.partial"
    staging.write_text("\n".join(rows) + "\n", encoding="utf-8")
    staging.replace(folder / f"{name}.csv")


def poll(what: str, check, timeout_s: float = 90.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def settle(folder: Path, *arguments: str) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    done = subprocess.run(
        [sys.executable, "-m", "settle_shared.cli.main", *arguments],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_cases_go_from_the_fourteen_day_letter_to_a_bailiff_and_an_own_partner(
    tmp_path, monkeypatch
):
    # The days are run by hand below, each with its business date.
    monkeypatch.setenv("SETTLE_DUNNING_DAILY_RUN_ENABLED", "false")
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    stack.wait_ready()
    bailiff = None
    try:
        gateway = service_url(stack, "gateway")
        dunning = service_url(stack, "dunning")
        login = next(line for line in stack.output.splitlines() if " login " in line).split()
        signed_in = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": login[3], "password": login[5]},
            timeout=10,
        )
        user = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        api = f"{gateway}/api/v1/administrations/{ADMINISTRATION}"

        def call(method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
            answer = httpx.request(method, f"{api}{path}", headers=user, timeout=30, **kwargs)
            assert answer.status_code < 300, f"{method} {path}: {answer.text}"
            return answer.json()

        settings = call("GET", "/collection/settings")
        call(
            "PUT",
            "/collection/settings",
            json={**settings, "opening": "automatic", "partner_id": "example-bailiff"},
        )

        # The bailiff: a process of its own, reading only the published contract.
        inbox = tmp_path / "bailiff"
        bailiff = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "examples" / "bailiff" / "bailiff.py"),
                "--bootstrap",
                f"127.0.0.1:{ports['kafka']}",
                "--asyncapi",
                str(ROOT / "docs" / "asyncapi" / "bailiffs.json"),
                "--partner-id",
                "example-bailiff",
                "--inbox",
                str(inbox),
                "--pay",
                "100.00",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

        export(var / "inbox" / ADMINISTRATION, "openstaand", ("1.000,00", "1.000,00"))
        base = f"{dunning}/internal/v1/administrations/{ADMINISTRATION}"

        def invoices() -> list[dict]:
            listed = httpx.get(f"{api}/invoices", headers=user, timeout=10).json()["items"]
            return listed if len(listed) == 2 else []

        known = {i["number"]: i for i in poll("the invoices at the gateway", invoices)}
        poll(
            "dunning to know the invoices",
            lambda: (
                httpx.get(
                    f"{base}/invoices/{known['2027-0101']['invoice_id']}",
                    headers=HEADERS,
                    timeout=5,
                ).status_code
                == 200
            ),
        )

        def phase() -> str:
            view = httpx.get(
                f"{base}/invoices/{known['2027-0101']['invoice_id']}", headers=HEADERS, timeout=5
            )
            return str(view.json()["phase"])

        day, moved_clock = DUE, False
        while phase() != "ready_for_collection":
            day += timedelta(days=1)
            assert day < DUE + timedelta(days=70), f"the flow did not end: {phase()}"
            if phase() == "final_reminder" and not moved_clock:
                # The 14-day letter went out; the business clock passes its term.
                settle(tmp_path, "clock", "set", PAST_THE_TERM.isoformat())
                moved_clock = True
            ran = httpx.post(
                f"{base}/runs", json={"business_date": day.isoformat()}, headers=HEADERS, timeout=30
            )
            assert ran.status_code == 200, ran.text
        assert moved_clock and day == date(2027, 4, 22)

        def two_open_cases() -> list[dict]:
            items = call("GET", "/cases", params={"status": "open"})["items"]
            return items if len(items) == 2 else []

        cases = {c["invoice_ids"][0]: c for c in poll("two open cases", two_open_cases)}
        direct = cases[known["2027-0101"]["invoice_id"]]["case_id"]
        own = cases[known["2027-0102"]["invoice_id"]]["case_id"]

        case = call("GET", f"/cases/{direct}")
        assert case["consumer"] and case["fourteen_day_letter"]["sent_on"] == "2027-04-05"
        assert case["fourteen_day_letter"]["costs_from"] == "2027-04-22"
        case = call("POST", f"/cases/{direct}/charges", json={"part": "costs"})
        assert case["balance"]["costs_open"] == "150.00"
        case = call("POST", f"/cases/{direct}/charges", json={"part": "interest"})
        assert case["balance"]["interest_claimed"]

        # Bookkeeping books 300.00 of the first invoice: costs first (art. 6:44 BW).
        export(var / "inbox" / ADMINISTRATION, "openstaand-2", ("700,00", "1.000,00"))

        def allocated() -> dict | None:
            shown = call("GET", f"/cases/{direct}")
            return shown if shown["payments"] else None

        case = poll("the payment in the case", allocated)
        [payment] = case["payments"]
        assert (payment["source"], payment["amount"], payment["costs"]) == (
            "bookkeeping",
            "300.00",
            "150.00",
        )
        assert Decimal(payment["principal"]) + Decimal(payment["interest"]) == 150

        # Forwarded to the bailiff with a direct integration.
        call("POST", f"/cases/{direct}/forward")
        [handoff_file] = poll(
            "the handoff in the bailiff's inbox", lambda: list(inbox.glob("*.json"))
        )
        handoff = json.loads(handoff_file.read_text())
        assert handoff["case_id"] == direct and handoff["debtor"]["name"] == "Jan de Vries"
        assert handoff["fourteen_day_letter"]["sent_on"] == "2027-04-05"
        assert not list((inbox / "rejected").glob("*"))

        def bailiff_paid() -> dict | None:
            shown = call("GET", f"/cases/{direct}")
            partner = [p for p in shown["payments"] if p["source"] == "partner"]
            return shown if partner and shown["partner_status"] == "accepted" else None

        case = poll("the bailiff's payment in the case", bailiff_paid)
        assert case["step"] == "pre_court" and case["balance"]["paid"] == "400.00"

        def on_the_dashboard() -> list[dict]:
            board = call("GET", "/dashboard")
            return [c for c in board["cases"] if c["step"] == "pre_court" and c["count"] == 1]

        poll("the forwarded case on the dashboard", on_the_dashboard)
        listed = call("GET", "/cases", params={"step": "pre_court"})["items"]
        assert [c["case_id"] for c in listed] == [direct]

        # The other case goes to the administration's own bailiff, by email.
        settings = call("GET", "/collection/settings")
        call(
            "PUT",
            "/collection/settings",
            json={
                **settings,
                "partner_id": "own_partner",
                "partner_email": "dossiers@deurwaarder.example",
            },
        )
        call("POST", f"/cases/{own}/forward")

        def dossier_mail():  # type: ignore[no-untyped-def]
            for path in sorted((var / "mail").glob("*.eml")):
                message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                if message["To"] == "dossiers@deurwaarder.example":
                    return message
            return None

        mail = poll("the dossier in the mailbox", dossier_mail)
        assert mail["Subject"].startswith("Incassodossier Els Jansen")
        [attachment] = list(mail.iter_attachments())
        archive = zipfile.ZipFile(io.BytesIO(attachment.get_content()))
        names = archive.namelist()
        assert {"summary.pdf", "handoff.json"} <= set(names)
        assert any(name.startswith("messages/") for name in names)
        assert json.loads(archive.read("handoff.json"))["case_id"] == own
        assert call("GET", f"/cases/{own}")["step"] == "pre_court"
    finally:
        if bailiff is not None:
            bailiff.terminate()
            output = bailiff.communicate(timeout=20)[0]
            assert "handoff refused" not in output, output
        stack.stop()
