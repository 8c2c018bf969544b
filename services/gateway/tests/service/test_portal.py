"""The debtor portal: a reminder's link opens the debtor's open invoices in their language,
paying goes through the payments service (a stand-in over real HTTP) to its checkout, the
outcome page says what became of it, and a reply reaches the reminder's thread in messaging."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from settle_messaging.app import SERVICE as MESSAGING
from settle_shared.events import importer, messaging, payments
from settle_shared.events.dunning import MessageDebtor, MessageInvoice, MessageRequested
from settle_shared.portal_links import DEVELOPMENT_SECRET, PortalLink, sign_portal_link
from settle_shared.testing.service import ServiceHarness, running_service

from .conftest import ADM, NOW, Gateway, gateway_with
from .fake_payments import FakePayments, serving_fake_payments

pytestmark = pytest.mark.service

MAX_FAILURES = 4
THREAD = "7d1f0c3e-5a0b-4c7e-9f55-0d6c1c1d2a10"


@dataclass
class Portal:
    gateway: Gateway
    payments: FakePayments

    @property
    def client(self) -> httpx.AsyncClient:
        client: httpx.AsyncClient = self.gateway.client
        return client

    def link(
        self,
        debtor_id: str = "deb-1",
        invoice_ids: tuple[str, ...] = ("inv-1",),
        *,
        thread_id: str | None = THREAD,
        expires_in: timedelta = timedelta(days=30),
        administration_id: str = ADM,
    ) -> str:
        """The portal path of a link as messaging signs it into a reminder."""
        token = sign_portal_link(
            PortalLink(administration_id, debtor_id, invoice_ids, thread_id, NOW + expires_in),
            DEVELOPMENT_SECRET.encode(),
        )
        return f"/portal/{token}"

    async def page(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(path, params=params)

    async def pay(
        self, path: str, invoices: list[str], *, form: dict[str, str] | None = None, **extra: str
    ) -> httpx.Response:
        """Choose the invoices on the page and press pay (the page's own form fields)."""
        fields = form if form is not None else hidden_fields((await self.page(path)).text)
        body: dict[str, Any] = {**fields, **extra, "invoice": invoices}
        return await self.client.post(f"{path}/pay", data=body)

    async def invoices(self, *facts: tuple[str, str, str]) -> None:
        """Invoices (id, debtor, open amount) in the read model and in the payments service."""
        debtors = {debtor for _, debtor, _ in facts}
        for debtor in sorted(debtors):
            await self.gateway.debtor(debtor, name=f"Bakkerij {debtor}")
        for invoice_id, debtor, amount in facts:
            await self.gateway.invoice(invoice_id, amount=amount, debtor_id=debtor)
            self.payments.invoices[invoice_id] = (debtor, Decimal(amount), "EUR")


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))


@pytest.fixture
async def portal(template_database: Path, tmp_path: Path) -> AsyncIterator[Portal]:
    async with serving_fake_payments() as fake:
        async with gateway_with(
            template_database,
            tmp_path,
            payments_url=fake.url,
            portal_max_failures_per_address=MAX_FAILURES,
        ) as gateway:
            yield Portal(gateway, fake)


async def test_a_reminders_link_shows_the_debtors_open_invoices_in_their_language(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "1234.56"), ("inv-2", "deb-1", "100.00"))
    await portal.invoices(("inv-9", "deb-2", "999.00"))
    await portal.gateway.deliver(
        messaging.MessageSent(
            administration_id=ADM,
            message_id="msg-1",
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id=THREAD,
            channel="email",
            recipients=["deb-1@example.nl"],
            template_key="friendly_reminder",
            sent_at=NOW,
        )
    )
    page = await portal.page(portal.link())
    assert page.status_code == 200, page.text
    html = page.text
    assert '<html lang="nl">' in html and "Uw openstaande facturen" in html
    assert "Bakkerij deb-1" in html and "F-inv-1" in html and "F-inv-2" in html
    assert "F-inv-9" not in html  # another debtor's invoice
    assert "€ 1.234,56" in html.replace("\xa0", " ")
    # The reminder's invoice is chosen, the other one is offered.
    assert re.search(r'value="inv-1" id="invoice-\d+" checked>', html)
    assert re.search(r'value="inv-2" id="invoice-\d+">', html)
    # Every control has a label; the reminder sent is listed, with its invoice.
    for control in re.findall(r'id="(invoice-\d+)"', html):
        assert f'<label for="{control}">' in html
    assert "Herinneringen die wij u stuurden" in html and "20 mrt 2025 · e-mail" in html
    # No script anywhere, and the page says so to the browser.
    assert "<script" not in html
    assert "script-src" not in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    # The debtor may read it in another language.
    for language, heading in [
        ("en", "Your open invoices"),
        ("de", "Ihre offenen Rechnungen"),
        ("fr", "Vos factures à régler"),
    ]:
        other = await portal.page(portal.link(), lang=language)
        assert f'<html lang="{language}">' in other.text and heading in other.text


async def test_paying_asks_the_payments_service_for_the_chosen_invoices_and_goes_to_checkout(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"), ("inv-2", "deb-1", "100.00"))
    path = portal.link()
    form = hidden_fields((await portal.page(path)).text)
    # What the form says of amounts and currencies is not ours to pass on.
    paid = await portal.pay(
        path, ["inv-1", "inv-2"], form=form, amount="0.01", currency="USD", invoice_amount="1"
    )
    assert paid.status_code == 303, paid.text
    [request] = portal.payments.requests
    assert paid.headers["location"] == f"{portal.payments.url}/checkout/pay-1"
    assert set(request) == {
        "administration_id",
        "debtor_id",
        "invoice_ids",
        "idempotency_key",
        "redirect_url",
        "locale",
    }
    assert request["locale"] == "nl_NL"  # the checkout speaks the debtor's language
    assert (request["debtor_id"], request["invoice_ids"]) == ("deb-1", ["inv-1", "inv-2"])
    assert request["redirect_url"] == (f"http://service{path}/return/{request['idempotency_key']}")
    assert portal.payments.payments["pay-1"]["amount"] == "221.00"
    # The same click again (a double click, a reload): the same payment, not a second one.
    again = await portal.pay(path, ["inv-1", "inv-2"], form=form)
    assert again.headers["location"] == f"{portal.payments.url}/checkout/pay-1"
    assert len(portal.payments.payments) == 1
    assert {r["idempotency_key"] for r in portal.payments.requests} == {request["idempotency_key"]}
    # A new rendering of the page is a new form: a new payment (after one failed, say).
    await portal.pay(path, ["inv-1"])
    assert len(portal.payments.payments) == 2


@pytest.mark.parametrize(
    ("status", "outcome", "sentence"),
    [
        (
            "paid",
            "paid",
            "Wij hebben uw betaling van € 221,00 ontvangen. Zolang wij uw betaling verwerken, "
            "sturen wij voor deze facturen geen herinneringen.",
        ),
        ("open", "pending", "Uw betaling van € 221,00 is nog niet afgerond."),
        ("pending", "pending", "wordt door uw bank verwerkt"),
        ("canceled", "failed", "U heeft de betaling van € 221,00 geannuleerd."),
        ("failed", "failed", "De betaling van € 221,00 is mislukt."),
        ("expired", "failed", "De betaling van € 221,00 is verlopen"),
    ],
)
async def test_the_outcome_page_asks_the_payments_service_once_and_says_what_became_of_it(
    portal: Portal, status: str, outcome: str, sentence: str
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"), ("inv-2", "deb-1", "100.00"))
    path = portal.link()
    await portal.pay(path, ["inv-1", "inv-2"])
    back = urlsplit(portal.payments.requests[0]["redirect_url"]).path
    portal.payments.settle("pay-1", status)
    reads = portal.payments.reads
    page = await portal.page(back)
    assert page.status_code == 200, page.text
    assert portal.payments.reads == reads + 1
    assert f'data-outcome="{outcome}"' in page.text
    assert sentence in page.text.replace("\xa0", " ")
    assert ("Opnieuw proberen" in page.text) is (outcome == "failed")
    assert ("Opnieuw controleren" in page.text) is (outcome == "pending")


async def test_an_invoice_paid_online_is_shown_so_and_cannot_be_paid_again(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"), ("inv-2", "deb-1", "100.00"))
    covered = [payments.CoveredInvoice(invoice_id="inv-1", amount=Decimal("121.00"))]
    await portal.gateway.deliver(
        payments.PaymentStatusChanged(
            administration_id=ADM,
            payment_id="pay-x",
            debtor_id="deb-1",
            invoices=covered,
            amount=Decimal("121.00"),
            currency="EUR",
            status="paid",
            previous_status="open",
            psp_status="paid",
            method="ideal",
            changed_at=NOW,
        )
    )
    path = portal.link()
    html = (await portal.page(path)).text
    assert "Online betaald, wordt verwerkt" in html
    assert 'value="inv-1"' not in html  # nothing to choose
    assert "Uw online betalingen" in html and "betaald" in html
    refused = await portal.pay(path, ["inv-1"])
    assert refused.status_code == 422
    assert "Een van de gekozen facturen is al online betaald." in refused.text
    assert portal.payments.requests == []


async def test_the_reply_form_sends_the_message_to_the_reminders_thread_in_messaging(
    portal: Portal, tmp_path: Path
) -> None:
    async with running_service(
        MESSAGING,
        f"sqlite+aiosqlite:///{tmp_path / 'messaging.db'}",
        inbound_smtp_port=0,
        rate_limit_per_minute=0,
        portal_base_url="http://service",
    ) as messaging_service:
        _mount(portal.gateway, "messaging", messaging_service)
        await portal.invoices(("inv-1", "deb-1", "121.00"))
        await messaging_service.deliver(_reminder(), administration_id=ADM)
        # The link in the reminder messaging wrote opens the portal: one secret, both sides.
        mail = await _first_message(messaging_service)
        reply_path = re.search(r"http://service(/portal/[A-Za-z0-9_-]+/reply)", mail)
        assert reply_path is not None, mail
        path = reply_path.group(1)
        form = await portal.page(path)
        assert form.status_code == 200 and '<label for="message">Uw bericht</label>' in form.text
        fields = hidden_fields(form.text)
        text = "<b>Betaald</b> op 12 maart, zie bijlage."
        sent = await portal.client.post(path, data={**fields, "message": text})
        assert sent.status_code == 200, sent.text
        assert "Bedankt, uw bericht is ontvangen." in sent.text
        assert "&lt;b&gt;Betaald&lt;/b&gt;" in sent.text and "<b>Betaald" not in sent.text
        inbox = await messaging_service.client.get(f"/internal/v1/administrations/{ADM}/inbox")
        [reply] = inbox.json()["items"]
        assert reply["body_text"] == text and reply["unread"] is True
        assert reply["invoice_ids"] == ["inv-1"]
        # An empty message is asked for again; a form without its token does nothing.
        empty = await portal.client.post(path, data={**fields, "message": "   "})
        assert empty.status_code == 422 and "Schrijf eerst een bericht." in empty.text
        forged = await portal.client.post(path, data={"message": "hi", "lang": "nl"})
        assert forged.status_code == 403
        inbox = await messaging_service.client.get(f"/internal/v1/administrations/{ADM}/inbox")
        assert len(inbox.json()["items"]) == 1


def _mount(gateway: Gateway, name: str, service: ServiceHarness) -> None:
    upstreams = gateway.harness.runtime.app.state.gateway.upstreams
    old = upstreams.clients[name]
    upstreams.clients[name] = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=service.runtime.app),
        base_url=f"http://{name}",
        headers={"Authorization": old.headers["Authorization"]},
    )


async def _first_message(service: ServiceHarness) -> str:
    answer = await service.client.get(f"/internal/v1/administrations/{ADM}/messages")
    [message] = answer.json()["items"]
    return str(message["body_text"])


def _reminder() -> MessageRequested:
    return MessageRequested(
        message_request_id="req-1",
        administration_id=ADM,
        flow_id="default",
        business_date=date(2025, 3, 20),
        debtor=MessageDebtor(
            debtor_id="deb-1",
            number="Ddeb-1",
            name="Bakkerij deb-1",
            kind="business",
            emails=["deb-1@example.nl"],
        ),
        invoices=[
            MessageInvoice(
                invoice_id="inv-1",
                number="F-inv-1",
                invoice_date=date(2025, 2, 1),
                due_date=date(2025, 3, 3),
                amount=Decimal("121.00"),
                open_amount=Decimal("121.00"),
                currency="EUR",
                step_id="reminder-1",
                phase="reminder_1",
                legally_required=False,
            )
        ],
        total_open_amount=Decimal("121.00"),
        currency="EUR",
        channels=["email"],
        template_key="friendly_reminder",
        tone="formal",
        language="nl",
        fallback_language="en",
        phase="reminder_1",
        legally_required=False,
    )


async def test_a_refused_choice_is_shown_again_as_the_debtor_made_it(portal: Portal) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"), ("inv-2", "deb-1", "100.00"))
    path = portal.link(invoice_ids=("inv-1",))
    nothing = await portal.pay(path, [])
    assert nothing.status_code == 422
    assert "Kies ten minste één factuur om te betalen." in nothing.text
    assert 'role="alert"' in nothing.text
    assert not re.search(r'value="inv-\d" id="invoice-\d+" checked>', nothing.text)
    assert portal.payments.requests == []


async def test_the_debtors_open_credit_notes_are_shown_with_the_amount_due_after_them(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    for credit_note_id, currency in (("cn-1", "EUR"), ("cn-usd", "USD")):
        await portal.gateway.deliver(
            importer.CreditNoteImported(
                administration_id=ADM,
                credit_note_id=credit_note_id,
                number=f"C-{credit_note_id}",
                version=1,
                run_id="run-1",
                debtor_id="deb-1",
                debtor_number="Ddeb-1",
                invoice_date=date(2025, 2, 10),
                amount=Decimal("-60.50"),
                open_amount=Decimal("-60.50"),
                currency=currency,
            )
        )
    page = await portal.page(portal.link())
    assert page.status_code == 200, page.text
    text = unescape(page.text).replace("\xa0", " ")
    assert "Openstaand bedrag van de facturen in de herinnering: € 121,00" in text
    assert "Af: uw creditnota C-cn-1, € 60,50" in text
    assert "C-cn-usd" not in text  # another currency than the reminder's
    assert "Te betalen na aftrek van uw creditnota's: € 60,50" in text
    assert "uw creditnota's worden daarbij niet afgetrokken" in text
    # The online payment still charges the invoice in full (the payments contract is unchanged).
    await portal.pay(portal.link(), ["inv-1"])
    [payment] = portal.payments.payments.values()
    assert payment["amount"] == "121.00"
