"""A credit manager's day in the web app, in a real browser against the whole stack started as
processes: sign in, map the Dutch export in the connection editor with a preview of its first
rows (the mistake in one shown before the import), upload it, see the invoices and the credit
note, run the day with the business clock, read the reminder and its text on the invoice's
timeline, pause and resume it, open the debtor's reply in its conversation, read and answer it,
change a flow and the bounce policy and see them kept, preview a template in each language, and
change a colleague's role, after which the colleague no longer sees what that role may not do.
Every screen is checked for labelled, keyboard-reachable controls (axe-core, and a walk with the
Tab key) and saved as a screenshot under var/test-output/web/.

The browser is Debian's chromium driven by Playwright (`.ci/run` installs it when missing)."""

import email
import re
import smtplib
import subprocess
import sys
import time
from datetime import date, timedelta
from email import policy
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from settle_shared.testing.infra import missing

from .conftest import Stack, service_url, stack_ports

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "test-output" / "web"
ADMINISTRATION = "demo"
SERVICE_HEADERS = {"Authorization": "Bearer change-me"}  # the embedded stack's service token
BUSINESS_DATE = date(2026, 11, 25)  # a Wednesday, no Dutch holiday
DUE = BUSINESS_DATE - timedelta(days=30)
CLERK = ("clerk@settle.example", "a clerk's long password")
# The axe-core rules about names and keyboard use: every control labelled, nothing hidden
# from assistive technology that can be focused, the page's language stated.
AXE_RULES = [
    "label",
    "button-name",
    "link-name",
    "select-name",
    "input-button-name",
    "aria-input-field-name",
    "aria-allowed-attr",
    "aria-required-attr",
    "aria-hidden-focus",
    "nested-interactive",
    "tabindex",
    "duplicate-id-aria",
    "html-has-lang",
    "document-title",
    "empty-heading",
    "list",
    "listitem",
]


def export(folder: Path) -> Path:
    """A Dutch bookkeeping export with an overdue invoice, a credit note and a row whose amount
    is no amount. Its package calls the amount "Totaal": the Dutch preset alone does not fit."""
    header = (
        "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Totaal;Openstaand;Valuta;Soort;"
        "Naam;Type;E-mail;Adres;Postcode;Plaats;Land;Taal"
    )
    debtor = (
        "Bakkerij De Vries B.V.;zakelijk;boekhouding@devries.example;Dorpsstraat 1;"
        "1234 AB;Utrecht;NL;nl"
    )
    issued = DUE - timedelta(days=30)
    rows = [
        header,
        f"2026-0042;D-7;{issued:%d-%m-%Y};{DUE:%d-%m-%Y};1.234,56;1.234,56;EUR;factuur;{debtor}",
        f"2026-C007;D-7;{issued:%d-%m-%Y};{issued:%d-%m-%Y};-50,00;-50,00;EUR;creditnota;{debtor}",
        f"2026-0043;D-7;{issued:%d-%m-%Y};{DUE:%d-%m-%Y};tweehonderd;200,00;EUR;factuur;{debtor}",
    ]
    path = folder / "openstaande-posten.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def settle(*args: str, var: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "settle_shared.cli.main", *args],
        env={
            "PATH": "/usr/bin:/bin",
            "SETTLE_GATEWAY_DATABASE_URL": f"sqlite+aiosqlite:///{var}/gateway.db",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def poll(what, check, timeout_s=60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"timed out waiting for {what}")


def shown_after_reloads(page: Page, locator, what: str, timeout_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    """The read model follows the services' events moments later: reload until it shows."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            expect(locator.first).to_be_visible(timeout=2_000)
            return
        except AssertionError:
            page.reload()
    pytest.fail(f"timed out waiting for {what}")


def check_screen(page: Page, name: str) -> None:
    """Every control of the screen is labelled and reachable with the keyboard; screenshot."""
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except PlaywrightTimeoutError:
        # A screen with inert preview frames (srcdoc) may never report network idle in
        # Chromium although no request is pending; its content was awaited by the caller.
        pass
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (rules) => {
            const result = await axe.run(document, {runOnly: {type: "rule", values: rules}});
            return result.violations.map((v) => ({rule: v.id, nodes: v.nodes.map((n) => n.html)}));
        }""",
        AXE_RULES,
    )
    assert violations == [], f"{name}: {violations}"
    controls = page.evaluate(
        """() => {
            const found = [...document.querySelectorAll(
                "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), "
                + "textarea:not([disabled])")].filter((e) => e.getClientRects().length > 0);
            found.forEach((e, i) => { e.dataset.control = String(i); });
            return found.length;
        }"""
    )
    page.evaluate("() => { document.activeElement?.blur(); window.scrollTo(0, 0); }")
    reached: set[str] = set()
    # A date field takes a Tab per part (day, month, year): more presses than controls.
    for _ in range(controls * 4 + 3):
        page.keyboard.press("Tab")
        index = page.evaluate("() => document.activeElement?.dataset?.control ?? null")
        if index is not None:
            reached.add(index)
        if len(reached) == controls:
            break
    unreached = controls - len(reached)
    assert unreached == 0, f"{name}: {unreached} controls not reachable by Tab"
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def sign_in(page: Page, gateway: str, login: tuple[str, str]) -> None:
    page.goto(gateway)
    page.get_by_label("E-mailadres").fill(login[0])
    page.get_by_label("Wachtwoord").fill(login[1])
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible(timeout=20_000)


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name).click()


def send_reply(mail: Path, inbound_port: int) -> None:
    """The debtor answers the reminder, through the inbound SMTP server."""
    message = email.message_from_bytes(mail.read_bytes(), policy=policy.default)
    reply = email.message.EmailMessage()
    reply["From"] = "boekhouding@devries.example"
    reply["To"] = message["Reply-To"]
    reply["Subject"] = f"Re: {message['Subject']}"
    reply["In-Reply-To"] = message["Message-ID"]
    # Markup in a debtor's text is shown as the letters they typed, never as HTML.
    reply.set_content("Wij betalen vrijdag. <b>Met vriendelijke groet</b>, Jan de Vries")
    with smtplib.SMTP("127.0.0.1", inbound_port, timeout=10) as smtp:
        smtp.send_message(reply)


def test_a_credit_manager_works_through_the_day_in_the_browser(tmp_path, monkeypatch):
    if not CHROMIUM.exists():
        missing("Debian's chromium is not installed (apt-get install chromium)")
    # The day is run with the business clock below; the automatic run for the machine's
    # date (due a minute after start past 06:00) would refuse an earlier date after it.
    monkeypatch.setenv("SETTLE_DUNNING_DAILY_RUN_ENABLED", "false")
    assert AXE.exists(), "web/node_modules is missing: run make web"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    ports = stack_ports()
    var = tmp_path / "var"
    stack = Stack(var, ports)
    stack.wait_ready()
    try:
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        dunning = service_url(stack, "dunning")
        login_line = next(line for line in stack.output.splitlines() if " login " in line)
        demo = (login_line.split()[3], login_line.split()[5])
        poll("the importer to know the demo administration", (var / "inbox" / "demo").is_dir)
        file = export(tmp_path)

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 860})
            page = context.new_page()

            # Sign in; the app speaks Dutch to a Dutch browser.
            sign_in(page, gateway, demo)
            assert page.locator("html").get_attribute("lang") == "nl"
            check_screen(page, "dashboard-empty")

            # Map the export in the connection editor: the preview says what the Dutch preset
            # lacks, the amount's column is picked, and the rows show in our fields with the
            # mistake in the third before anything is imported.
            nav(page, "Imports")
            page.get_by_role("link", name="Koppeling toevoegen").click()
            expect(page.get_by_role("heading", name="Nieuwe koppeling", level=1)).to_be_visible()
            page.get_by_label("Naam", exact=True).fill("Exports uit de boekhouding")
            page.get_by_label("Voorbeeldbestand").set_input_files(file)
            preview = page.get_by_role("region", name="Voorbeeld", exact=True)
            expect(preview).to_contain_text("Nederlandse voorinstelling: mist de kolommen Bedrag")
            page.get_by_label("Voorinstelling").select_option("dutch")
            page.get_by_label("Kolom voor bedrag", exact=True).select_option("Totaal")
            expect(preview).to_contain_text("1 van deze regels zouden worden geweigerd")
            first_row = preview.get_by_role("row", name="2026-0042")
            expect(first_row).to_contain_text("1234.56")
            expect(first_row).to_contain_text(DUE.isoformat())
            expect(preview.get_by_role("row", name="2026-0043")).to_contain_text(
                "amount 'tweehonderd' is not an amount like 1.234,56"
            )
            check_screen(page, "connection-editor")
            page.get_by_role("button", name="Koppeling opslaan").click()
            expect(page.get_by_role("status").filter(has_text="is opgeslagen")).to_be_visible()
            page.get_by_role("link", name="Terug naar imports").click()
            expect(page.get_by_role("row", name="Exports uit de boekhouding")).to_contain_text(
                "Nederlandse voorinstelling"
            )

            # Upload the export; the run's outcome shows when the importer is done.
            page.get_by_label("Bestand").set_input_files(file)
            page.get_by_role("button", name="Importeren", exact=True).click()
            run = page.get_by_role("region", name="Import", exact=True)
            expect(run).to_contain_text("klaar", timeout=60_000)
            expect(run).to_contain_text("nieuw: 2")
            expect(run).to_contain_text("tweehonderd")
            check_screen(page, "imports")

            # The invoice and the credit note, marked as one.
            nav(page, "Facturen")
            invoice_link = page.get_by_role("link", name="2026-0042")
            shown_after_reloads(page, invoice_link, "the imported invoice")
            credit_notes = page.get_by_role("region", name="Creditnota's")
            shown_after_reloads(page, credit_notes.get_by_text("2026-C007"), "the credit note")
            expect(credit_notes.get_by_text("creditnota", exact=True)).to_be_visible()
            expect(page.get_by_role("row", name="2026-0042")).to_contain_text("€ 1.234,56")
            check_screen(page, "invoices")

            # The day runs with the business clock: the first reminder goes out.
            settle("clock", "set", BUSINESS_DATE.isoformat(), "--file", str(var / "clock.json"),
                   var=var)  # fmt: skip
            ran = httpx.post(
                f"{dunning}/internal/v1/administrations/{ADMINISTRATION}/runs",
                json={"business_date": BUSINESS_DATE.isoformat()},
                headers=SERVICE_HEADERS,
                timeout=30,
            )
            assert ran.status_code == 200, ran.text
            [mail] = poll("the reminder in var/mail", lambda: sorted((var / "mail").glob("*.eml")))

            # The invoice's timeline shows the reminder as the debtor read it.
            invoice_link.click()
            expect(page.get_by_role("heading", name="Factuur 2026-0042")).to_be_visible()
            timeline = page.get_by_role("region", name="Tijdlijn")
            shown_after_reloads(page, timeline.get_by_text("Verstuurd"), "the reminder")
            reminder = email.message_from_bytes(mail.read_bytes(), policy=policy.default)
            expect(timeline).to_contain_text(str(reminder["Subject"]))
            expect(timeline).to_contain_text("Herinnering 1")
            # Opened, the reminder shows its text: the invoice and the amount due.
            timeline.get_by_role("button", name="Tekst tonen").click()
            reminder_text = timeline.locator("pre")
            expect(reminder_text).to_contain_text("nog niet betaald")
            expect(reminder_text).to_contain_text("2026-0042")
            expect(reminder_text).to_contain_text("€ 1.234,56")
            check_screen(page, "invoice")

            # Pause and resume it.
            page.get_by_role("button", name="Pauzeren").click()
            expect(page.get_by_role("status").filter(has_text="gepauzeerd")).to_be_visible()
            page.get_by_role("button", name="Hervatten").click()
            expect(page.get_by_role("status").filter(has_text="gaat verder")).to_be_visible()
            expect(page.get_by_role("button", name="Pauzeren")).to_be_visible()

            # The dashboard's charts show what is open this month, each with its figures as a
            # table for who cannot see the chart.
            nav(page, "Dashboard")
            charts = page.get_by_role("region", name="In de tijd")
            chart = charts.get_by_role("figure", name=re.compile("^Openstaand aan het eind"))
            expect(chart.get_by_role("img")).to_have_attribute(
                "aria-label", re.compile(r"nu €\s1\.234,56\.$"), timeout=20_000
            )
            expect(chart.locator("canvas").first).to_be_visible()
            chart.get_by_text("Toon als tabel").click()
            this_month = chart.get_by_role("row", name=re.compile("tot nu"))
            expect(this_month).to_contain_text("€ 1.234,56")
            expect(charts.get_by_role("figure", name=re.compile("DSO"))).to_be_visible()
            expect(charts.get_by_role("figure", name=re.compile("^Ouderdom"))).to_be_visible()
            check_screen(page, "dashboard")

            # The debtor answers; the reply is in the inbox, unread; read it and answer.
            send_reply(mail, ports["inbound"])
            nav(page, "Inbox")
            thread = page.get_by_role("article", name="Gesprek met Bakkerij De Vries B.V.")
            shown_after_reloads(page, thread.get_by_text("ongelezen"), "the reply in the inbox")
            # Opening the conversation shows the reply's text, markup and all as plain text.
            thread.get_by_role("button", name="Gesprek openen").click()
            reply_text = thread.locator("pre").filter(has_text="Wij betalen vrijdag.")
            expect(reply_text).to_contain_text("<b>Met vriendelijke groet</b>, Jan de Vries")
            expect(thread.locator("pre b")).to_have_count(0)
            thread.get_by_role("button", name="Markeer als gelezen").click()
            expect(thread.get_by_role("button", name="Markeer als ongelezen")).to_be_visible()
            thread.get_by_label("Bericht").fill("Dank u wel, dan zien wij de betaling vrijdag.")
            thread.get_by_role("button", name="Versturen").click()
            expect(thread.get_by_role("status")).to_have_text("Het bericht is onderweg.")
            check_screen(page, "inbox")
            poll("the answer in var/mail", lambda: len(list((var / "mail").glob("*.eml"))) == 2)

            # Settings: a flow's bundling and blocked dates are changed and kept; the messages'
            # bounce policy too; a template is previewed in each of its languages.
            nav(page, "Instellingen")
            check_screen(page, "settings")
            page.get_by_role("link", name=re.compile(r"^Het verloop .* bewerken$")).first.click()
            between = page.get_by_label("Minimaal aantal dagen tussen twee herinneringen")
            between.fill("10")
            page.get_by_label("Te blokkeren datum").fill("2026-12-24")
            page.get_by_role("button", name="Deze datum blokkeren").click()
            check_screen(page, "flow-editor")
            page.get_by_role("button", name="Verloop opslaan").click()
            expect(page.get_by_role("status").filter(has_text="is opgeslagen")).to_be_visible()
            page.reload()
            expect(between).to_have_value("10")
            blocked = page.get_by_role("button", name="Geblokkeerde datum 24 dec 2026 verwijderen")
            expect(blocked).to_be_visible()
            page.get_by_role("link", name="Terug naar instellingen").click()
            bounces = page.get_by_label("Als een e-mailadres onbestelbaar blijkt")
            bounces.select_option("both")
            page.get_by_role("button", name="Opslaan", exact=True).click()
            expect(page.get_by_role("status").filter(has_text="Opgeslagen.")).to_be_visible()
            page.reload()
            expect(bounces).to_have_value("both")
            page.get_by_role("link", name="Het sjabloon Vriendelijke herinnering bewerken").click()
            for language in ("Nederlands", "Engels"):
                shown = page.get_by_role("article", name=f"Voorbeeld in het {language}")
                expect(shown).to_be_visible()
            check_screen(page, "template-editor")

            # A clerk is invited, then made read-only before they first sign in.
            nav(page, "Gebruikers")
            invite = page.get_by_role("form", name="Iemand uitnodigen")
            invite.get_by_label("E-mailadres").fill(CLERK[0])
            invite.get_by_label("Naam").fill("Clara Klerk")
            invite.get_by_label("Rol").select_option("standard")
            invite.get_by_role("button", name="Uitnodigen").click()
            link = invite.get_by_role("status").locator("code").inner_text()
            assert "/invitation#token=" in link
            page.get_by_label("Rol van Clara Klerk").select_option("restricted")
            expect(page.get_by_role("status").filter(has_text="is gewijzigd")).to_be_visible()
            check_screen(page, "members")

            # The choice of language is remembered.
            page.get_by_label("Taal").select_option("en")
            page.reload()
            expect(page.get_by_role("heading", name="Members", level=1)).to_be_visible()
            assert page.locator("html").get_attribute("lang") == "en"
            page.get_by_label("Language").select_option("nl")
            page.get_by_role("button", name="Afmelden").click()

            # The clerk opens the invitation and chooses a password.
            page.goto(link)
            page.get_by_label("Nieuw wachtwoord").fill(CLERK[1])
            check_screen(page, "invitation")
            page.get_by_role("button", name="Opslaan en aanmelden").click()
            expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

            # The clerk reads the invoice but may not pause it or write to the debtor.
            expect(page.get_by_text("alleen lezen")).to_be_visible()
            nav(page, "Facturen")
            page.get_by_role("link", name="2026-0042").click()
            expect(page.get_by_role("heading", name="Factuur 2026-0042")).to_be_visible()
            expect(page.get_by_role("region", name="Tijdlijn")).to_contain_text("Herinnering 1")
            expect(page.get_by_role("button", name="Pauzeren")).to_have_count(0)
            expect(page.get_by_role("button", name="Versturen")).to_have_count(0)
            expect(page.get_by_role("link", name="Instellingen")).to_have_count(0)
            check_screen(page, "invoice-read-only")
            browser.close()

        # What the app no longer offers, the gateway refuses too.
        tokens = httpx.post(
            f"{gateway}/api/v1/auth/login",
            json={"email": CLERK[0], "password": CLERK[1]},
            timeout=10,
        ).json()
        invoices = httpx.get(
            f"{gateway}/api/v1/administrations/{ADMINISTRATION}/invoices",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=10,
        ).json()["items"]
        refused = httpx.post(
            f"{gateway}/api/v1/administrations/{ADMINISTRATION}/invoices/"
            f"{invoices[0]['invoice_id']}/pause",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            timeout=10,
        )
        assert refused.status_code == 403
    finally:
        stack.stop()
