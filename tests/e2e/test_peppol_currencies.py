"""Peppol e-invoices through the whole running system: the eight OpenPEPPOL examples
(services/importer/tests/data, see its README) dropped in the drop folder import without a
rejection and show in the gateway with their currency; a British debtor with one invoice in GBP
and one in EUR gets two reminders, each in its currency and in English (the documents carry no
language: the debtor's country decides)."""

import email
import re
import time
from datetime import date, timedelta
from email import policy
from pathlib import Path

import holidays
import httpx
import pytest

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ADMINISTRATION = "demo"
HEADERS = {"Authorization": "Bearer change-me"}  # the embedded stack's development token
DATA = Path(__file__).parents[2] / "services" / "importer" / "tests" / "data"
EIGHT = [
    "base-example.xml",
    "base-creditnote-correction.xml",
    "base-negative-inv-correction.xml",
    "vat-category-E.xml",
    "vat-category-O.xml",
    "Allowance-example.xml",
    "Vat-category-S.xml",
    "vat-category-Z.xml",
]
BRITISH_BUYER = """<cac:AccountingCustomerParty>
        <cac:Party>
            <cac:PartyIdentification><cbc:ID>GB-777</cbc:ID></cac:PartyIdentification>
            <cac:PartyName><cbc:Name>Thames Trading Ltd</cbc:Name></cac:PartyName>
            <cac:PostalAddress>
                <cbc:StreetName>1 Riverside</cbc:StreetName>
                <cbc:CityName>London</cbc:CityName>
                <cbc:PostalZone>SE1 9PX</cbc:PostalZone>
                <cac:Country><cbc:IdentificationCode>GB</cbc:IdentificationCode></cac:Country>
            </cac:PostalAddress>
            <cac:PartyLegalEntity>
                <cbc:RegistrationName>Thames Trading Ltd</cbc:RegistrationName>
                <cbc:CompanyID>01234567</cbc:CompanyID>
            </cac:PartyLegalEntity>
            <cac:Contact><cbc:ElectronicMail>accounts@thames.example</cbc:ElectronicMail></cac:Contact>
        </cac:Party>
    </cac:AccountingCustomerParty>"""


def run_date() -> date:
    """A sending day ahead of today (the automatic daily run may have run today already): a
    Wednesday at least a week on, not a Dutch public holiday."""
    day = date.today() + timedelta(days=7)
    dutch = holidays.country_holidays("NL", years=[day.year, day.year + 1])
    while day.weekday() != 2 or day in dutch:
        day += timedelta(days=1)
    return day


def british_invoice(number: str, currency: str, payable: str, due: date) -> bytes:
    """base-example.xml for a British buyer, in `currency`, due on `due`."""
    text = (DATA / "base-example.xml").read_text(encoding="utf-8")
    text = re.sub(
        r"<cac:AccountingCustomerParty>.*?</cac:AccountingCustomerParty>",
        BRITISH_BUYER,
        text,
        flags=re.DOTALL,
    )
    text = text.replace("<cbc:ID>Snippet1</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1)
    text = text.replace("2017-11-13", (due - timedelta(days=30)).isoformat())
    text = text.replace("2017-12-01", due.isoformat())
    text = text.replace(">EUR<", f">{currency}<").replace('"EUR"', f'"{currency}"')
    text = text.replace(
        f'<cbc:PayableAmount currencyID="{currency}">1656.25</cbc:PayableAmount>',
        f'<cbc:PayableAmount currencyID="{currency}">{payable}</cbc:PayableAmount>',
    )
    return text.encode("utf-8")


def drop(folder: Path, name: str, content: bytes) -> None:
    """Arrives whole, as a real export job delivers it."""
    staging = folder.parent / f"{name}.partial"
    staging.write_bytes(content)
    staging.replace(folder / name)


def poll(what: str, check, timeout_s: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def test_peppol_invoices_in_three_currencies_reach_the_gateway_and_the_debtor(tmp_path):
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        importer = service_url(stack, "importer")
        dunning = service_url(stack, "dunning")
        base = f"/internal/v1/administrations/{ADMINISTRATION}"
        day = run_date()
        due = day - timedelta(days=30)

        inbox = var / "inbox" / ADMINISTRATION
        inbox.mkdir(parents=True, exist_ok=True)
        # One run per file, in this order (the drop folder takes them by name).
        documents = [(name, (DATA / name).read_bytes()) for name in EIGHT] + [
            ("thames-eur.xml", british_invoice("TT-EUR-1", "EUR", "1656.25", due)),
            ("thames-gbp.xml", british_invoice("TT-GBP-1", "GBP", "1200.00", due)),
        ]
        for n, (name, content) in enumerate(documents):
            drop(inbox, f"{n:02d}-{name}", content)

        def finished_runs():
            runs = httpx.get(
                f"{importer}{base}/runs", params={"limit": 50}, headers=HEADERS, timeout=5
            ).json()["runs"]
            done = [r for r in runs if r["status"] in ("succeeded", "failed")]
            return done if len(done) == len(documents) else None

        runs = poll("ten import runs", finished_runs, timeout_s=180)
        for run in runs:
            assert run["status"] == "succeeded", run
            assert run["counts"]["rejected"] == 0, run
        assert not (inbox / "rejected").exists()
        assert len(list((inbox / "processed").iterdir())) == len(documents)

        # The gateway, as the demo user sees it.
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

        def invoices():
            listed = httpx.get(
                f"{api}/invoices", params={"status": "all", "limit": 50}, headers=user, timeout=10
            ).json()["items"]
            # Credit notes are listed beside the invoices (kind "credit_note"): read below.
            shown = {i["number"]: i for i in listed if i["kind"] == "invoice"}
            return shown if len(shown) == 5 else None

        shown = poll("the invoices in the gateway", invoices)
        assert {n: i["currency"] for n, i in shown.items()} == {
            "Snippet1": "EUR",
            "Vat-Z": "GBP",
            "Vat-O": "SEK",
            "TT-EUR-1": "EUR",
            "TT-GBP-1": "GBP",
        }
        assert shown["Vat-O"]["due_date_source"] == "payment_terms"

        def credit_notes():
            listed = httpx.get(
                f"{api}/credit-notes", params={"status": "all"}, headers=user, timeout=10
            ).json()["items"]
            return listed if len(listed) == 2 else None

        credits = poll("the credit notes in the gateway", credit_notes)
        assert {(c["number"], c["currency"], c["corrects_invoice_number"]) for c in credits} == {
            ("Snippet1", "EUR", "Snippet1"),  # the CreditNote
            ("Correction1", "EUR", "Snippet1"),  # the negative Invoice
        }

        # Dunning learns every invoice through Kafka; the day is run once they are all in.
        def all_in_dunning():
            return all(
                httpx.get(
                    f"{dunning}{base}/invoices/{i['invoice_id']}", headers=HEADERS, timeout=5
                ).status_code
                == 200
                for i in shown.values()
            )

        poll("every invoice in dunning", all_in_dunning)
        ran = httpx.post(
            f"{dunning}{base}/runs",
            json={"business_date": day.isoformat()},
            headers=HEADERS,
            timeout=30,
        )
        assert ran.status_code == 200, ran.text
        # Two reminders: the British debtor's, one per currency. The Swedish buyer's credit
        # notes cover its invoice (held back); the other buyers have no email address.
        assert ran.json()["messages_requested"] == 2, ran.json()
        mails = poll("two reminders in var/mail", lambda: _mails(var, 2))
        by_currency = {}
        for message in mails:
            [to] = message["To"].addresses
            assert to.addr_spec == "accounts@thames.example"
            text = message.get_body(preferencelist=("plain",)).get_content()
            assert "According to our records" in text  # English: the buyer is in GB
            currency = "GBP" if "£" in text else "EUR"
            assert ("€" in text) is (currency == "EUR")  # never two currencies in one mail
            by_currency[currency] = text
        assert set(by_currency) == {"EUR", "GBP"}
        assert "TT-GBP-1" in by_currency["GBP"] and "£1,200.00" in by_currency["GBP"]
        assert "TT-EUR-1" in by_currency["EUR"] and "€1,656.25" in by_currency["EUR"]
        assert "TT-EUR-1" not in by_currency["GBP"]
        time.sleep(2)
        assert len(list((var / "mail").glob("*.eml"))) == 2

        thames = shown["TT-GBP-1"]["debtor_id"]
        debtor = httpx.get(f"{api}/debtors/{thames}", headers=user, timeout=10).json()
        assert [(t["currency"], t["total"]) for t in debtor["open_totals"]] == [
            ("EUR", "1656.25"),
            ("GBP", "1200.00"),
        ]
        board = httpx.get(f"{api}/dashboard", headers=user, timeout=10).json()
        assert {t["currency"] for t in board["open"]} == {"EUR", "GBP", "SEK"}
    finally:
        stack.stop()


def _mails(var: Path, count: int) -> list[email.message.EmailMessage] | None:
    paths = sorted((var / "mail").glob("*.eml"))
    if len(paths) < count:
        return None
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in paths
    ]
