"""Through the API and the daily run on SQLite: a person resolves an assumed due date, a user
chooses a debtor's language, a reminder states the debtor's credit notes and the amount that
remains, and a debtor owing in two currencies gets one reminder per currency."""

from datetime import date
from decimal import Decimal

import pytest

from settle_shared.events import importer

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

BASE = f"/internal/v1/administrations/{ADM}"
DAY = date(2025, 3, 10)  # the first reminder of an invoice due 3 March


def imported(invoice_id: str, currency: str, amount: str, **extra: object):
    return importer.InvoiceImported(
        administration_id=ADM,
        invoice_id=invoice_id,
        number=f"F-{invoice_id}",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="Ddeb-1",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3),
        amount=Decimal(amount),
        open_amount=Decimal(amount),
        currency=currency,
        **extra,
    )


def credit(credit_note_id: str, currency: str, amount: str) -> importer.CreditNoteImported:
    return importer.CreditNoteImported(
        administration_id=ADM,
        credit_note_id=credit_note_id,
        number=f"C-{credit_note_id}",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="Ddeb-1",
        invoice_date=date(2025, 2, 20),
        amount=Decimal(amount),
        open_amount=Decimal(amount),
        currency=currency,
        corrects_invoice_id="inv-eur",
        corrects_invoice_number="F-inv-eur",
    )


async def test_a_person_resolves_an_assumed_due_date(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.deliver(imported("inv-1", "EUR", "100.00", due_date_source="default_term"))
    [item] = await dunning.attention()
    assert item["reason"] == "due_date_assumed" and item["subject_id"] == "inv-1"

    resolve = {"subject": "invoice", "subject_id": "inv-1", "reason": "due_date_assumed"}
    resolved = await dunning.client.post(
        f"{BASE}/attention/resolve", json={**resolve, "note": "30 days, as agreed"}
    )

    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution"] == "Resolved by a user: 30 days, as agreed"
    assert await dunning.attention() == []
    [event] = await dunning.events("attention.resolved")
    assert (event["reason"], event["subject_id"]) == ("due_date_assumed", "inv-1")
    again = await dunning.client.post(f"{BASE}/attention/resolve", json=resolve)
    assert again.status_code == 404  # no such item is open any more
    assert len(await dunning.events("attention.resolved")) == 1
    unknown = await dunning.client.post(
        f"{BASE}/attention/resolve", json={**resolve, "reason": "nonsense"}
    )
    assert unknown.status_code == 422


async def test_an_item_that_resolves_itself_is_refused(dunning: Dunning) -> None:
    await dunning.debtor(emails=[])
    await dunning.deliver(imported("inv-1", "EUR", "100.00"))
    assert (await dunning.run(DAY)).status_code == 200
    [item] = await dunning.attention()
    assert item["reason"] == "email_missing"

    refused = await dunning.client.post(
        f"{BASE}/attention/resolve",
        json={"subject": "debtor", "subject_id": "deb-1", "reason": "email_missing"},
    )

    assert refused.status_code == 409
    assert "not by hand" in refused.json()["detail"]


async def test_a_chosen_language_survives_the_import_and_writes_the_reminder(
    dunning: Dunning,
) -> None:
    await dunning.debtor(language=None)
    await dunning.deliver(imported("inv-1", "EUR", "100.00"))

    chosen = await dunning.client.put(f"{BASE}/debtors/deb-1/language", json={"language": "en"})
    assert chosen.status_code == 204, chosen.text
    await dunning.debtor(language="nl")  # bookkeeping's next import has its own say
    bad = await dunning.client.put(f"{BASE}/debtors/deb-1/language", json={"language": "english"})
    assert bad.status_code == 422
    unknown = await dunning.client.put(f"{BASE}/debtors/nobody/language", json={"language": "en"})
    assert unknown.status_code == 404

    assert (await dunning.run(DAY)).json()["messages_requested"] == 1
    [request] = await dunning.events("message.requested")
    assert (request["language"], request["debtor"]["language"]) == ("en", "en")
    [event] = await dunning.events("debtor.language_chosen")
    assert (event["debtor_id"], event["language"]) == ("deb-1", "en")

    # Given back to bookkeeping: its language counts again.
    cleared = await dunning.client.put(f"{BASE}/debtors/deb-1/language", json={"language": None})
    assert cleared.status_code == 204
    await dunning.deliver(imported("inv-2", "EUR", "50.00"))
    dunning.today(date(2025, 3, 17))
    await dunning.run(date(2025, 3, 17))
    requests = await dunning.events("message.requested")
    assert requests[-1]["language"] == "nl"


async def test_two_currencies_give_two_reminders_each_with_its_own_credit_notes(
    dunning: Dunning,
) -> None:
    await dunning.debtor(language=None, country="GB")
    await dunning.deliver(imported("inv-eur", "EUR", "1000.00"))
    await dunning.deliver(imported("inv-gbp", "GBP", "1200.00"))
    await dunning.deliver(credit("cn-eur", "EUR", "-250.00"))

    ran = await dunning.run(DAY)

    assert ran.json()["messages_requested"] == 2
    requests = {r["currency"]: r for r in await dunning.events("message.requested")}
    assert set(requests) == {"EUR", "GBP"}
    eur, gbp = requests["EUR"], requests["GBP"]
    assert [i["invoice_id"] for i in eur["invoices"]] == ["inv-eur"]
    assert (eur["total_open_amount"], eur["amount_due"]) == ("1000.00", "750.00")
    [note] = eur["credit_notes"]
    assert (note["number"], note["open_amount"], note["corrects_invoice_number"]) == (
        "C-cn-eur",
        "-250.00",
        "F-inv-eur",
    )
    assert [i["invoice_id"] for i in gbp["invoices"]] == ["inv-gbp"]
    assert (gbp["total_open_amount"], gbp["amount_due"], gbp["credit_notes"]) == (
        "1200.00",
        "1200.00",
        [],
    )
    assert eur["debtor"]["country"] == "GB" and eur["debtor"]["language"] is None


async def test_credit_notes_that_cover_everything_hold_the_reminder_until_matched(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.deliver(imported("inv-eur", "EUR", "100.00"))
    await dunning.deliver(credit("cn-eur", "EUR", "-100.00"))

    assert (await dunning.run(DAY)).json()["messages_requested"] == 0
    assert (await dunning.invoice_view("inv-eur"))["blocked_by"] == "unmatched_credit_note"
    [item] = await dunning.attention()
    assert item["reason"] == "unmatched_credit_note" and "cover" in item["sentence"]

    # Bookkeeping matches the credit note (it is settled): the invoice's plan resumes.
    await dunning.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="cn-eur",
            number="C-cn-eur",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )
    assert (await dunning.invoice_view("inv-eur"))["blocked_by"] is None
