"""A payment plan through the whole running system: bookkeeping drops an export, a user signed
in at the gateway gives the debtor a plan of two instalments, the business clock moves through
them: the debtor gets the schedule and a reminder before each instalment, pays the first at the
local PSP's checkout and misses the second; the plan expires with attention on the invoice and
the debtor; the user ends it and the invoice's reminders resume with one step from that day."""

import email
import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from email import policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ADMINISTRATION = "demo"  # seeded by the embedded stack
HEADERS = {"Authorization": "Bearer change-me"}  # the development service token
START = date(2031, 6, 4)  # a Wednesday, years from today: the business clock is set to it
DUE = START - timedelta(days=30)
FIRST = date(2031, 6, 16)  # instalment 1 (a Monday); instalment 2 a month later
REMINDED_1 = FIRST - timedelta(days=3)  # SETTLE_DUNNING_PAYMENT_PLAN_REMINDER_DAYS
REMINDED_2 = date(2031, 7, 13)
MISSED = date(2031, 7, 19)  # 16 July + the 2 grace days passed
ENDED = date(2031, 7, 21)  # a Monday: the resumed reminder goes out that day


def settle(folder: Path, *arguments: str) -> None:
    """`settle …` typed in the folder the stack was started from."""
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


def poll(what: str, check, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def export(folder: Path) -> None:
    rows = [
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;"
        "Naam;Type;E-mail;Adres;Postcode;Plaats;Land;Taal",
        f"2031-0007;D-9;{(DUE - timedelta(days=30)):%d-%m-%Y};{DUE:%d-%m-%Y};300,00;300,00;"
        "EUR;Drukkerij Smit B.V.;zakelijk;administratie@smit.example;Kerkstraat 9;"
        "3511 AB;Utrecht;NL;nl",
    ]
    staging = folder.parent / "export.csv.partial"
    staging.write_text("\n".join(rows) + "\n", encoding="utf-8")
    staging.replace(folder / "openstaande-posten.csv")


def mail_texts(var: Path) -> list[str]:
    """The plain text of every mail in var/mail, oldest first."""
    texts = []
    for path in sorted((var / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        texts.append(f"{message['Subject']}\n{body}".replace("\xa0", " "))
    return texts


def at_least(var: Path, count: int) -> list[str]:
    """The mails once there are `count` of them (none before)."""
    texts = mail_texts(var)
    return texts if len(texts) >= count else []


def test_a_plan_is_paid_in_part_missed_expires_and_ending_it_resumes_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The days are run by hand, each on the business date the clock is set to.
    monkeypatch.setenv("SETTLE_DUNNING_DAILY_RUN_ENABLED", "false")
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        dunning = service_url(stack, "dunning")
        importer = service_url(stack, "importer")
        base = f"/internal/v1/administrations/{ADMINISTRATION}"
        settle(tmp_path, "clock", "set", START.isoformat())

        def run(day: date) -> dict[str, Any]:
            settle(tmp_path, "clock", "set", day.isoformat())
            time.sleep(1.5)  # every process reads the clock file within a second
            answer = httpx.post(
                f"{dunning}{base}/runs",
                json={"business_date": day.isoformat()},
                headers=HEADERS,
                timeout=60,
            )
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        folder = var / "inbox" / ADMINISTRATION
        poll("the demo drop folder", folder.is_dir, timeout_s=30)
        export(folder)

        def imported() -> bool:
            runs = httpx.get(f"{importer}{base}/runs", headers=HEADERS, timeout=5).json()
            return any(r["status"] == "succeeded" for r in runs["runs"])

        poll("the import", imported)

        gateway = f"http://127.0.0.1:{ports['gateway']}"
        login_line = next(line for line in stack.output.splitlines() if " login " in line)
        signed_in = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": login_line.split()[3], "password": login_line.split()[5]},
            timeout=10,
        )
        user = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        api = f"{gateway}/api/v1/administrations/{ADMINISTRATION}"

        def the_invoice() -> dict[str, Any] | None:
            items = httpx.get(f"{api}/invoices", headers=user, timeout=10).json()["items"]
            return next((i for i in items if i["number"] == "2031-0007"), None)

        invoice = poll("the invoice in the gateway", the_invoice)
        time.sleep(2)  # dunning has the invoice too (the gateway and dunning read the same fact)

        # The user gives the debtor a plan: 300.00 in two monthly instalments.
        created = httpx.post(
            f"{api}/plans",
            json={
                "invoice_ids": [invoice["invoice_id"]],
                "kind": "monthly",
                "first_date": FIRST.isoformat(),
                "instalments": 2,
            },
            headers=user,
            timeout=30,
        )
        assert created.status_code == 201, created.text
        plan = created.json()
        assert [(i["due_on"], i["amount"]) for i in plan["instalments"]] == [
            ("2031-06-16", "150.00"),
            ("2031-07-16", "150.00"),
        ]
        plan_url = f"{api}/plans/{plan['plan_id']}"
        [confirmation] = poll("the schedule in the mailbox", lambda: mail_texts(var))
        assert "betalingsregeling" in confirmation.lower() and "150,00" in confirmation

        # Three days before instalment 1: its reminder, and nothing of the invoice's flow.
        day = run(REMINDED_1)
        assert day["steps_executed"] == 0 and day["messages_requested"] == 1
        texts = poll("the instalment's reminder", lambda: mail_texts(var)[1:])
        assert "termijn 1 van 2" in texts[0].lower()

        # The debtor follows the reminder's link for instalment 1 to the portal, presses pay
        # and then Paid at the local PSP's checkout.
        [link] = re.findall(r"(http://\S+/portal/\S+/plans/\S+/instalments/1)\b", texts[0])
        with httpx.Client(timeout=30, follow_redirects=False) as browser:
            page = browser.get(link)
            assert page.status_code == 200, page.text
            assert "150,00" in page.text.replace("\xa0", " ")
            fields = dict(
                re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text)
            )
            pressed = browser.post(f"{link}/pay", data=fields)
            assert pressed.status_code == 303, pressed.text
            checkout = pressed.headers["location"]
            assert "EUR 150.00" in browser.get(checkout).text
            paid = browser.post(checkout, data={"outcome": "paid", "method": "ideal"})
            assert paid.status_code == 303
            back = browser.get(paid.headers["location"])
            assert back.status_code == 200, back.text

        def instalment_paid() -> dict[str, Any] | None:
            shown = httpx.get(plan_url, headers=user, timeout=10).json()
            return shown if shown["instalments"][0]["status"] == "paid" else None

        shown = poll("the paid instalment in the gateway", instalment_paid)
        assert shown["paid_amount"] == "150.00" and shown["left_amount"] == "150.00"

        # Instalment 2 is reminded of, then missed: the plan expires.
        run(REMINDED_2)
        run(MISSED)
        texts = poll("the missed notice", lambda: at_least(var, 4))
        assert "termijn 2 van 2" in texts[2].lower()  # its reminder
        assert "nog niet ontvangen" in texts[3].lower()  # its missed notice

        def expired_items() -> list[dict[str, Any]]:
            items = httpx.get(
                f"{api}/attention",
                params={"reason": "payment_plan_expired"},
                headers=user,
                timeout=10,
            ).json()["items"]
            return items if len(items) == 2 else []

        items = poll("the expired plan's attention items", expired_items)
        assert {i["subject_type"] for i in items} == {"invoice", "debtor"}
        listed = httpx.get(f"{api}/plans", params={"status": "expired"}, headers=user, timeout=10)
        assert [p["plan_id"] for p in listed.json()["items"]] == [plan["plan_id"]]

        # The user ends the expired plan: the reminders resume from that day, one step.
        settle(tmp_path, "clock", "set", ENDED.isoformat())
        time.sleep(1.5)
        ended = httpx.post(f"{plan_url}/end", headers=user, timeout=30)
        assert ended.status_code == 200, ended.text
        poll(
            "the attention items resolved",
            lambda: (
                not httpx.get(
                    f"{api}/attention", params={"reason": "payment_plan_expired"}, headers=user
                ).json()["items"]
            ),
        )
        day = run(ENDED)
        assert day["steps_executed"] == 1
        texts = poll("the resumed reminder", lambda: at_least(var, 5))
        assert "2031-0007" in texts[4] and "betalingsregeling" not in texts[4].lower()
        time.sleep(2)
        assert len(mail_texts(var)) == 5
    finally:
        stack.stop()
