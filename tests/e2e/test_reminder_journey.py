"""A user's journey through the running system: bookkeeping drops an export, the day runs, and
the debtor's reminder arrives in the mailbox; the debtor answers and the reply is in the inbox;
the user, signed in at the gateway, sees it all, writes back and pauses the administration."""

import email
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from email import policy
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ADMINISTRATION = "demo"  # the administration the embedded stack seeds for its demo user
TOKEN = "change-me"  # the embedded stack's development service token
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
BUSINESS_DATE = date(2026, 11, 25)  # a Wednesday, no Dutch holiday
DUE = BUSINESS_DATE - timedelta(days=30)


def export(folder: Path) -> Path:
    """A Dutch bookkeeping export (`;`, decimal commas, dd-mm-yyyy) dropped in the folder the
    importer made for the administration."""
    rows = [
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;"
        "Naam;Type;E-mail;Adres;Postcode;Plaats;Land;Taal",
        f"2026-0042;D-7;{(DUE - timedelta(days=30)):%d-%m-%Y};{DUE:%d-%m-%Y};1.234,56;1.234,56;"
        "EUR;Bakkerij De Vries B.V.;zakelijk;boekhouding@devries.example;Dorpsstraat 1;"
        "1234 AB;Utrecht;NL;nl",
    ]
    staging = folder.parent / "export.csv.partial"
    staging.write_text("\n".join(rows) + "\n", encoding="utf-8")
    target = folder / "openstaande-posten.csv"
    staging.replace(target)  # arrives whole, as a real export job would deliver it
    return target


def poll(what: str, check, timeout_s: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def mails(var: Path) -> list[Path]:
    return sorted((var / "mail").glob("*.eml"))


def test_an_imported_overdue_invoice_becomes_a_reminder_in_the_mailbox(tmp_path):
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        importer = service_url(stack, "importer")
        dunning = service_url(stack, "dunning")
        messaging = service_url(stack, "messaging")
        base = f"/internal/v1/administrations/{ADMINISTRATION}"

        # The gateway created the demo administration and told every service: the importer
        # made its drop folder, as the README says, without anyone making it by hand.
        folder = var / "inbox" / ADMINISTRATION
        poll("the importer to make the demo drop folder", folder.is_dir, timeout_s=30)
        poll(
            "dunning to know the administration",
            lambda: httpx.get(f"{dunning}{base}", headers=HEADERS, timeout=5).status_code == 200,
            timeout_s=30,
        )
        dropped = export(folder)

        def finished_run():
            runs = httpx.get(f"{importer}{base}/runs", headers=HEADERS, timeout=5).json()
            done = [r for r in runs["runs"] if r["status"] in ("succeeded", "failed")]
            return done[0] if done else None

        run = poll("the import run", finished_run)
        assert run["status"] == "succeeded", run
        assert run["counts"]["new"] == 1
        assert (dropped.parent / "processed" / dropped.name).exists()

        # An administration nobody created in the gateway is refused, saying how to create it.
        nosuch = subprocess.run(
            [
                str(Path(sys.executable).with_name("settle")),
                "import",
                str(dropped.parent / "processed" / dropped.name),
                "--administration",
                "nosuch",
            ],
            env={
                **os.environ,
                "SETTLE_IMPORTER_DATABASE_URL": f"sqlite+aiosqlite:///{var}/importer.db",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert nosuch.returncode != 0
        assert "unknown administration 'nosuch'" in nosuch.stderr
        assert "settle gateway administration-create" in nosuch.stderr
        ran = httpx.post(
            f"{dunning}{base}/runs",
            json={"business_date": BUSINESS_DATE.isoformat()},
            headers=HEADERS,
            timeout=30,
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["messages_requested"] == 1

        [eml] = poll("the reminder in var/mail", lambda: mails(var))
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        [to] = message["To"].addresses
        assert (to.addr_spec, to.display_name) == (
            "boekhouding@devries.example",
            "Bakkerij De Vries B.V.",
        )
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "2026-0042" in text and "2026-0042" in html
        assert "€ 1.234,56" in text.replace("\xa0", " ")  # Dutch formatting of the amount
        reply_to = message["Reply-To"]
        assert reply_to.startswith("reply+")

        # Running the same day again requests nothing and sends nothing.
        again = httpx.post(
            f"{dunning}{base}/runs",
            json={"business_date": BUSINESS_DATE.isoformat()},
            headers=HEADERS,
            timeout=30,
        )
        assert again.json()["messages_requested"] == 0
        time.sleep(3)
        assert len(mails(var)) == 1

        # The debtor answers the mail; the reply lands in the inbox, unread.
        reply = email.message.EmailMessage()
        reply["From"] = "boekhouding@devries.example"
        reply["To"] = reply_to
        reply["Subject"] = f"Re: {message['Subject']}"
        reply["In-Reply-To"] = message["Message-ID"]
        reply.set_content("Wij betalen vrijdag. Met vriendelijke groet, Jan de Vries")
        aiosmtplib_send(reply, ports["inbound"])

        def unread():
            inbox = httpx.get(
                f"{messaging}{base}/inbox", params={"unread": "true"}, headers=HEADERS, timeout=5
            ).json()
            return inbox["items"]

        [received] = poll("the reply in the inbox", unread)
        assert "Wij betalen vrijdag" in str(received)

        # The user signs in at the gateway with the demo login the stack printed and sees
        # the same story: the dashboard counts the reminded invoice, its detail shows when.
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        login_line = next(line for line in stack.output.splitlines() if " login " in line)
        email_address, password = login_line.split()[3], login_line.split()[5]
        signed_in = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": email_address, "password": password},
            timeout=10,
        )
        assert signed_in.status_code == 200, signed_in.text
        user = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        api = f"{gateway}/api/v1/administrations/{ADMINISTRATION}"

        def reminded_on_dashboard():
            answer = httpx.get(f"{api}/dashboard", headers=user, timeout=10)
            assert answer.status_code == 200, answer.text
            board = answer.json()
            return [p for p in board["phases"] if p["phase"] == "reminder_1" and p["count"] == 1]

        [phase] = poll("the dashboard to show the reminder", reminded_on_dashboard)
        assert phase["total"] == "1234.56"
        invoices = httpx.get(f"{api}/invoices", headers=user, timeout=10).json()
        [invoice] = [i for i in invoices["items"] if i["number"] == "2026-0042"]
        detail = httpx.get(f"{api}/invoices/{invoice['invoice_id']}", headers=user, timeout=10)
        assert detail.status_code == 200
        assert "reminder-1" in detail.text

        # Wherever the reminder and the answer appear, they carry the subject the debtor read
        # (never the template's key), and the debtor's page names the debtor.
        def reminder_on_timeline():
            answer = httpx.get(f"{api}/invoices/{invoice['invoice_id']}", headers=user, timeout=10)
            timeline = answer.json()["timeline"]
            return [e for e in timeline if e["kind"] == "message" and e["direction"] == "outbound"]

        [on_timeline] = poll("the reminder on the invoice's timeline", reminder_on_timeline)
        assert on_timeline["subject"] == message["Subject"]
        [answered] = poll(
            "the reply in the gateway's inbox",
            lambda: httpx.get(f"{api}/inbox", headers=user, timeout=10).json()["items"],
        )
        assert answered["subject"] == f"Re: {message['Subject']}"
        debtor_page = httpx.get(f"{api}/debtors/{invoice['debtor_id']}", headers=user, timeout=10)
        subjects = {m["subject"] for m in debtor_page.json()["messages"]}
        assert subjects == {message["Subject"], f"Re: {message['Subject']}"}
        assert {m["debtor_name"] for m in debtor_page.json()["messages"]} == {
            "Bakkerij De Vries B.V."
        }

        # The user writes to the debtor: the message is in the debtor's thread at once, and
        # shows as sent once messaging has mailed it and said so through Kafka.
        debtor_id = invoice["debtor_id"]
        written = httpx.post(
            f"{api}/messages",
            json={
                "debtor_id": debtor_id,
                "subject": "Uw betaling van factuur 2026-0042",
                "body": "Dank voor uw bericht; wij zien de betaling vrijdag tegemoet.",
                "invoice_ids": [invoice["invoice_id"]],
            },
            headers=user,
            timeout=10,
        )
        assert written.status_code == 202, written.text
        message_id = written.json()["message_id"]

        def thread_states():
            answer = httpx.get(f"{api}/debtors/{debtor_id}", headers=user, timeout=10).json()
            return {m["message_id"]: m["state"] for m in answer["messages"]}

        assert message_id in thread_states()
        poll("the message sent, in the thread", lambda: thread_states()[message_id] == "sent")
        sent = [
            email.message_from_bytes(path.read_bytes(), policy=policy.default)
            for path in mails(var)
        ]
        assert [m["Subject"] for m in sent if "2026-0042" in m["Subject"]][-1] == (
            "Uw betaling van factuur 2026-0042"
        )

        # Pausing the administration shows at once on the invoice; a debtor paused in dunning
        # directly reaches the gateway's read model through Kafka.
        paused = httpx.post(f"{api}/pause", json={"mode": "fully_paused"}, headers=user, timeout=10)
        assert paused.status_code == 200 and paused.json()["pause"] == "fully_paused"
        listed = httpx.get(f"{api}/invoices", params={"paused": "true"}, headers=user, timeout=10)
        assert [i["paused_by"] for i in listed.json()["items"]] == ["administration"]
        held = httpx.post(
            f"{dunning}{base}/debtors/{debtor_id}/pause",
            json={"mode": "reminders_paused"},
            headers=HEADERS,
            timeout=10,
        )
        assert held.status_code == 204, held.text

        def debtor_paused():
            answer = httpx.get(f"{api}/debtors/{debtor_id}", headers=user, timeout=10).json()
            return answer["pause"] == "reminders_paused" and answer

        assert (
            poll("the debtor's pause in the gateway", debtor_paused)["invoices"][0]["paused_by"]
            == "debtor"
        )

        # The demo user sees the demo administration only; without a token, nothing at all.
        other = f"{gateway}/api/v1/administrations/someone-else/dashboard"
        assert httpx.get(other, headers=user, timeout=10).status_code == 404
        assert httpx.get(f"{api}/dashboard", timeout=10).status_code == 401
    finally:
        stack.stop()


def aiosmtplib_send(message: email.message.EmailMessage, port: int) -> None:
    import asyncio

    asyncio.run(aiosmtplib.send(message, hostname="127.0.0.1", port=port))
