"""A request for a debtor without a language of their own is written in their country's
language where the administration has the template in it; a request with credit notes states
them and asks for what remains; a free message without a language follows the same rule."""

from datetime import date
from decimal import Decimal

import pytest

from settle_shared.events.dunning import MessageAddress, MessageCreditNote, MessageDebtor

from .conftest import BASE, MessagingHarness, make_request

pytestmark = pytest.mark.service


def debtor(country: str, language: str | None = None) -> MessageDebtor:
    return MessageDebtor(
        debtor_id="deb-1",
        number="12345678",
        name="The Buyercompany",
        kind="business",
        emails=["ap@buyer.example"],
        address=MessageAddress(
            street="Anystreet 8", postal_code="101", city="Anytown", country=country
        ),
        language=language,
        country=country,
    )


async def test_a_british_debtor_without_a_language_gets_an_english_reminder(
    service: MessagingHarness,
):
    await service.deliver(make_request(debtor=debtor("GB")))  # language "nl": the default

    [message] = await service.messages()
    assert message.language == "en"
    assert "According to our records" in message.body_text


async def test_a_swedish_debtor_gets_the_administrations_default_without_swedish_templates(
    service: MessagingHarness,
):
    await service.deliver(make_request(debtor=debtor("SE")))
    [message] = await service.messages()
    assert message.language == "nl"

    own = {"subject": "Påminnelse {{ invoices[0].number }}", "text": "Hej {{ debtor.name }}!"}
    saved = await service.client.put(f"{BASE}/templates/friendly_reminder/sv", json=own)
    assert saved.status_code == 204, saved.text
    await service.deliver(make_request(message_request_id="req-2", debtor=debtor("SE")))
    swedish = (await service.messages())[-1]
    assert swedish.language == "sv"
    assert swedish.body_text.startswith("Hej The Buyercompany!")


async def test_the_debtors_own_language_goes_before_the_country(service: MessagingHarness):
    await service.deliver(make_request(debtor=debtor("GB", language="de"), language="de"))
    [message] = await service.messages()
    assert message.language == "de"


async def test_a_reminder_states_the_credit_notes_and_what_remains(service: MessagingHarness):
    credit = MessageCreditNote(
        credit_note_id="cn-1",
        number="Correction1",
        invoice_date=date(2025, 1, 20),
        amount=Decimal("-494.50"),
        open_amount=Decimal("-494.50"),
        currency="EUR",
        corrects_invoice_number="2025-0001",
    )
    await service.deliver(make_request(credit_notes=[credit], amount_due=Decimal("1000.00")))

    [message] = await service.messages()
    text = message.body_text.replace("\xa0", " ")
    assert "Creditnota Correction1" in text and "bij factuur 2025-0001" in text
    assert "€ -494,50" in text
    assert "Te betalen: € 1.000,00" in text
    assert "het openstaande bedrag van € 1.000,00" in text


async def test_a_free_message_without_a_language_follows_the_debtors_country(
    service: MessagingHarness,
):
    answer = await service.client.post(
        f"{BASE}/messages",
        json={
            "debtor": debtor("GB").model_dump(mode="json"),
            "subject": "Your invoice",
            "body": "Thank you for your message.",
            "sender_name": "Sanne",
        },
    )
    assert answer.status_code == 202, answer.text
    [message] = await service.messages()
    assert message.language == "en"
