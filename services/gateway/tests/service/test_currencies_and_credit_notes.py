"""The read model never adds two currencies, shows credit notes with their currency and the
invoice they correct, where a due date came from, and a language a user chose."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import dunning, importer

from .conftest import ADM, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def invoice(invoice_id: str, currency: str, amount: str, **extra: Any) -> importer.InvoiceImported:
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


def credit_note(version: int = 1, **changes: Any) -> importer.CreditNoteImported:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "credit_note_id": "cn-1",
        "number": "Correction1",
        "version": version,
        "run_id": "run-1",
        "debtor_id": "deb-1",
        "debtor_number": "Ddeb-1",
        "invoice_date": date(2025, 2, 10),
        "amount": Decimal("-100.00"),
        "open_amount": Decimal("-100.00"),
        "currency": "GBP",
        "corrects_invoice_id": "inv-gbp",
        "corrects_invoice_number": "F-inv-gbp",
    }
    return importer.CreditNoteImported(**{**values, **changes})


async def test_a_debtor_owing_in_two_currencies_has_a_total_per_currency(gateway: Gateway):
    await gateway.debtor()
    await gateway.deliver(invoice("inv-eur", "EUR", "1000.00"))
    await gateway.deliver(invoice("inv-gbp", "GBP", "1200.00"))
    await gateway.deliver(invoice("inv-gbp2", "GBP", "34.50"))

    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["open_invoices"] == 3
    assert debtor["open_totals"] == [
        {"currency": "EUR", "count": 1, "total": "1000.00"},
        {"currency": "GBP", "count": 2, "total": "1234.50"},
    ]
    [listed] = (await gateway.get(f"{API}/debtors")).json()["items"]
    assert listed["open_totals"] == debtor["open_totals"]
    board = await gateway.dashboard()
    assert board["open"] == [
        {"currency": "EUR", "count": 1, "total": "1000.00"},
        {"currency": "GBP", "count": 2, "total": "1234.50"},
    ]
    await gateway.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="inv-gbp2",
            number="F-inv-gbp2",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["open_totals"][1] == {"currency": "GBP", "count": 1, "total": "1200.00"}


async def test_an_invoice_says_where_its_due_date_came_from(gateway: Gateway):
    await gateway.debtor()
    await gateway.deliver(invoice("inv-1", "GBP", "10.00", due_date_source="default_term"))
    await gateway.deliver(invoice("inv-2", "GBP", "10.00", due_date_source="payment_terms"))

    shown = (await gateway.get(f"{API}/invoices/inv-1")).json()
    assert (shown["due_date_source"], shown["currency"]) == ("default_term", "GBP")
    listed = {i["invoice_id"]: i for i in (await gateway.get(f"{API}/invoices")).json()["items"]}
    assert listed["inv-2"]["due_date_source"] == "payment_terms"


async def test_a_credit_note_shows_with_its_currency_debtor_and_invoice(gateway: Gateway):
    await gateway.debtor()
    await gateway.deliver(invoice("inv-gbp", "GBP", "1200.00"))
    await gateway.deliver(credit_note())

    [listed] = (await gateway.get(f"{API}/credit-notes")).json()["items"]
    assert listed == {
        "credit_note_id": "cn-1",
        "number": "Correction1",
        "debtor_id": "deb-1",
        "invoice_date": "2025-02-10",
        "amount": "-100.00",
        "open_amount": "-100.00",
        "currency": "GBP",
        "status": "open",
        "corrects_invoice_id": "inv-gbp",
        "corrects_invoice_number": "F-inv-gbp",
    }
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert [c["number"] for c in debtor["credit_notes"]] == ["Correction1"]
    # A credit note is no open invoice: the totals are the invoice's alone.
    assert debtor["open_totals"] == [{"currency": "GBP", "count": 1, "total": "1200.00"}]
    corrected = (await gateway.get(f"{API}/invoices/inv-gbp")).json()
    assert [c["credit_note_id"] for c in corrected["credit_notes"]] == ["cn-1"]


async def test_a_matched_credit_note_is_settled_and_never_becomes_an_invoice(gateway: Gateway):
    await gateway.debtor()
    await gateway.deliver(credit_note())
    await gateway.deliver(
        importer.InvoiceChanged(
            administration_id=ADM,
            invoice_id="cn-1",
            number="Correction1",
            version=2,
            run_id="run-2",
            open_amount=Decimal("-40.00"),
            previous_open_amount=Decimal("-100.00"),
            currency="GBP",
        )
    )
    [partly] = (await gateway.get(f"{API}/credit-notes")).json()["items"]
    assert partly["open_amount"] == "-40.00"
    await gateway.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="cn-1",
            number="Correction1",
            version=3,
            run_id="run-3",
            reason="paid",
        )
    )

    assert (await gateway.get(f"{API}/credit-notes")).json()["items"] == []
    [settled] = (await gateway.get(f"{API}/credit-notes", params={"status": "all"})).json()["items"]
    assert (settled["status"], settled["open_amount"]) == ("settled", "0.00")
    everything = (await gateway.get(f"{API}/invoices", params={"status": "all"})).json()
    # In the invoice list as what it is (a credit note, settled), never as an invoice.
    assert [(i["kind"], i["invoice_id"], i["status"]) for i in everything["items"]] == [
        ("credit_note", "cn-1", "settled")
    ]


async def test_a_language_a_user_chose_goes_before_bookkeepings(gateway: Gateway):
    await gateway.debtor()
    await gateway.deliver(
        dunning.DebtorLanguageChosen(administration_id=ADM, debtor_id="deb-1", language="en")
    )
    await gateway.debtor(version=2)  # bookkeeping says "nl" again

    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert (debtor["language"], debtor["language_chosen"]) == ("en", True)

    await gateway.deliver(
        dunning.DebtorLanguageChosen(administration_id=ADM, debtor_id="deb-1", language=None)
    )
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert (debtor["language"], debtor["language_chosen"]) == ("nl", False)
