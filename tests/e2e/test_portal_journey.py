"""A debtor pays a reminder online, in a real browser: the reminder in var/mail links to the
debtor portal, the debtor pays one of its two invoices there through the local PSP's checkout
and sees that it is paid; the gateway shows the invoice paid online, dunning holds it, and the
next daily run reminds the debtor of the other invoice only.

The browser is Debian's chromium driven by Playwright (`.ci/run` installs it when missing)."""

import email
import re
import subprocess
import sys
import time
from datetime import date
from email import policy
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, sync_playwright

from settle_importer.domain.snapshot import document_id
from settle_shared.testing.infra import missing

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ADMINISTRATION = "demo"
HEADERS = {"Authorization": "Bearer change-me"}  # the embedded stack's service token
FIRST_RUN = date(2026, 11, 25)  # a Wednesday: both invoices get their first reminder
NEXT_RUN = date(2026, 12, 9)  # two weeks later, when the second reminder is due


def export(folder: Path) -> None:
    """Two overdue invoices of one debtor, as a Dutch bookkeeping export."""
    header = (
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;"
        "Naam;Type;E-mail;Adres;Postcode;Plaats;Land;Taal"
    )
    debtor = (
        "Bakkerij De Vries B.V.;zakelijk;boekhouding@devries.example;Dorpsstraat 1;"
        "1234 AB;Utrecht;NL;nl"
    )
    rows = [
        header,
        f"2026-0042;D-7;26-09-2026;26-10-2026;1.234,56;1.234,56;EUR;{debtor}",
        f"2026-0043;D-7;27-09-2026;27-10-2026;250,00;250,00;EUR;{debtor}",
    ]
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder.parent / "export.csv.partial"
    staging.write_text("\n".join(rows) + "\n", encoding="utf-8")
    staging.replace(folder / "openstaande-posten.csv")


def poll(what, check, timeout_s=60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def mails(var: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted((var / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime)
    ]


def set_clock(var: Path, day: date) -> None:
    subprocess.run(
        [sys.executable, "-m", "settle_shared.cli.main", "clock", "set", day.isoformat(),
         "--file", str(var / "clock.json")],
        check=True,
        capture_output=True,
    )  # fmt: skip


def run_day(dunning: str, day: date) -> None:
    ran = httpx.post(
        f"{dunning}/internal/v1/administrations/{ADMINISTRATION}/runs",
        json={"business_date": day.isoformat()},
        headers=HEADERS,
        timeout=30,
    )
    assert ran.status_code == 200, ran.text


def pay_in_the_portal(page: Page, link: str, screenshots: Path) -> str:
    """What the debtor does: open the link, pay the first invoice, choose Paid at the PSP."""
    page.goto(link)
    assert page.locator("html").get_attribute("lang") == "nl"
    assert page.get_by_role("heading", level=1).inner_text() == "Uw openstaande facturen"
    first, second = page.get_by_label("2026-0042"), page.get_by_label("2026-0043")
    assert first.is_checked() and second.is_checked()  # the reminder's invoices
    page.screenshot(path=screenshots / "portal.png", full_page=True)
    second.uncheck()
    page.get_by_role("button", name="Gekozen facturen betalen").click()
    # The local PSP's checkout, for the amount the payments service knows.
    page.wait_for_url(re.compile(r".*/checkout/.*"))
    assert "1234.56" in page.get_by_test_id("amount").inner_text()
    page.get_by_role("button", name="Paid").click()
    page.wait_for_url(re.compile(r".*/portal/.*/return/.*"))
    # The webhook may still be on its way: the page asks again when the debtor does.
    for _ in range(20):
        if page.locator("main").get_attribute("data-outcome") == "paid":
            break
        time.sleep(0.5)
        page.get_by_role("link", name="Opnieuw controleren").click()
    page.screenshot(path=screenshots / "outcome.png", full_page=True)
    assert page.locator("main").get_attribute("data-outcome") == "paid"
    return page.get_by_role("status").inner_text()


def test_a_debtor_pays_a_reminder_online_and_is_not_reminded_of_it_again(tmp_path):
    if not CHROMIUM.exists():
        missing("Debian's chromium is not installed (apt-get install chromium)")
    ports = stack_ports()
    var = tmp_path / "var"
    var.mkdir()
    set_clock(var, FIRST_RUN)
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        importer = service_url(stack, "importer")
        dunning = service_url(stack, "dunning")
        base = f"/internal/v1/administrations/{ADMINISTRATION}"
        export(var / "inbox" / ADMINISTRATION)

        def imported():
            runs = httpx.get(f"{importer}{base}/runs", headers=HEADERS, timeout=5).json()
            return [r for r in runs["runs"] if r["status"] == "succeeded"]

        poll("the import", imported)
        numbers = ("2026-0042", "2026-0043")
        invoice_ids = [document_id(ADMINISTRATION, "invoice", n) for n in numbers]
        poll(
            "dunning to know both invoices",
            lambda: all(
                httpx.get(f"{dunning}{base}/invoices/{i}", headers=HEADERS, timeout=5).status_code
                == 200
                for i in invoice_ids
            ),
        )
        run_day(dunning, FIRST_RUN)
        [reminder] = poll("the reminder in var/mail", lambda: mails(var))
        html = reminder.get_body(preferencelist=("html",)).get_content()
        assert "2026-0042" in html and "2026-0043" in html  # one reminder, both invoices
        [link] = set(re.findall(r'href="(http://127\.0\.0\.1:\d+/portal/[A-Za-z0-9_-]+)"', html))
        text = reminder.get_body(preferencelist=("plain",)).get_content()
        assert link in text  # the letter and the plain text carry it too

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            try:
                page = browser.new_page(locale="nl-NL", viewport={"width": 390, "height": 844})
                said = pay_in_the_portal(page, link, tmp_path)
            finally:
                browser.close()
        assert "Wij hebben uw betaling van € 1.234,56 ontvangen." in said.replace("\xa0", " ")

        # The user sees it in the gateway: the invoice is paid online, dunning holds it.
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        login_line = next(line for line in stack.output.splitlines() if " login " in line)
        address, password = login_line.split()[3], login_line.split()[5]
        signed_in = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": address, "password": password},
            timeout=10,
        )
        user = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        api = f"{gateway}/api/v1/administrations/{ADMINISTRATION}"
        listed = httpx.get(f"{api}/invoices", headers=user, timeout=10).json()["items"]
        paid_id = next(i["invoice_id"] for i in listed if i["number"] == "2026-0042")

        def held():
            detail = httpx.get(f"{api}/invoices/{paid_id}", headers=user, timeout=10).json()
            reasons = {item["reason"] for item in detail["attention"]}
            return (
                detail["paid_online"] == "1234.56"
                and ("online_payment_registered" in reasons)
                and detail
            )

        detail = poll("the gateway to show the invoice paid online and held", held)
        [payment] = [e for e in detail["timeline"] if e["kind"] == "payment"]
        assert (payment["state"], payment["amount"]) == ("paid", "1234.56")
        board = httpx.get(f"{api}/dashboard", headers=user, timeout=10).json()
        assert board["paid_online_not_booked"] == [
            {"currency": "EUR", "count": 1, "total": "1234.56"}
        ]

        # Two weeks later the second reminder is due: only the unpaid invoice gets it.
        set_clock(var, NEXT_RUN)
        time.sleep(1.5)  # the stack follows the clock file within a second
        run_day(dunning, NEXT_RUN)
        _, second = poll("the second reminder", lambda: len(mails(var)) >= 2 and mails(var))
        body = second.get_body(preferencelist=("plain",)).get_content()
        assert "2026-0043" in body and "2026-0042" not in body
        time.sleep(3)
        assert len(mails(var)) == 2
    finally:
        stack.stop()
