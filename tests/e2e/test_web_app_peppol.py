"""A Peppol e-invoice through the web app alone: uploaded on the Imports screen of the running
stack, it shows in the run's counts, in the invoice list with its amount, and on its invoice
page with the buyer as debtor. The same browser and checks as the credit manager's journey."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from settle_shared.testing.infra import missing

from .conftest import Stack, stack_ports
from .test_web_app_journey import (
    CHROMIUM,
    check_screen,
    nav,
    poll,
    shown_after_reloads,
    sign_in,
)

pytestmark = pytest.mark.e2e

PEPPOL = Path(__file__).parents[2] / "services" / "importer" / "tests" / "data" / "base-example.xml"


def test_a_peppol_invoice_uploaded_in_the_browser_shows_in_the_lists(tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        missing("Debian's chromium is not installed (apt-get install chromium)")
    monkeypatch.setenv("SETTLE_DUNNING_DAILY_RUN_ENABLED", "false")
    var = tmp_path / "var"
    ports = stack_ports()
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        login_line = next(line for line in stack.output.splitlines() if " login " in line)
        demo = (login_line.split()[3], login_line.split()[5])
        poll("the importer to know the demo administration", (var / "inbox" / "demo").is_dir)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 860})
            page = context.new_page()
            sign_in(page, gateway, demo)

            # No connection is needed: the file says what it is.
            nav(page, "Imports")
            page.get_by_label("Bestand").set_input_files(PEPPOL)
            page.get_by_role("button", name="Importeren", exact=True).click()
            run = page.get_by_role("region", name="Import", exact=True)
            expect(run).to_contain_text("klaar", timeout=60_000)
            expect(run).to_contain_text("nieuw: 1")
            check_screen(page, "imports-peppol")

            # The invoice in the list with its amount, and its page with the buyer.
            nav(page, "Facturen")
            invoice_link = page.get_by_role("link", name="Snippet1")
            shown_after_reloads(page, invoice_link, "the Peppol invoice")
            expect(page.get_by_role("row", name="Snippet1").first).to_contain_text("€ 1.656,25")
            invoice_link.first.click()
            expect(page.get_by_role("heading", name="Factuur Snippet1")).to_be_visible()
            expect(page.locator("main")).to_contain_text(re.compile("Buyer"))
            check_screen(page, "invoice-peppol")
            browser.close()
    finally:
        stack.stop()
