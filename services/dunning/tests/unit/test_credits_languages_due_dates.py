"""Importer facts over in-memory repositories: an assumed due date raises an item, a credit
note keeps the invoice it corrects, and a language a user chose survives every import (the
API and the daily run over them: tests/service/test_credits_languages_due_dates.py)."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_dunning.application.facts import apply_importer_fact
from settle_dunning.domain import AttentionReason
from settle_shared.events import dunning, importer

from .fakes import NO_SESSION, InMemoryDunning

pytestmark = pytest.mark.unit

ADM = "adm-1"


def invoice_fact(**changes: Any) -> importer.InvoiceImported:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "invoice_id": "inv-1",
        "number": "Vat-Z",
        "version": 1,
        "run_id": "run-1",
        "debtor_id": "deb-1",
        "debtor_number": "12345678",
        "invoice_date": date(2025, 2, 1),
        "due_date": date(2025, 3, 3),
        "amount": Decimal("1200.00"),
        "open_amount": Decimal("1200.00"),
        "currency": "GBP",
    }
    return importer.InvoiceImported(**{**values, **changes})


def debtor_fact(version: int = 1, **changes: Any) -> importer.DebtorUpserted:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "debtor_id": "deb-1",
        "number": "12345678",
        "version": version,
        "name": "The Buyercompany",
        "kind": "business",
        "emails": ["ap@buyer.example"],
        "address_lines": ["Anystreet 8"],
        "postal_code": "101",
        "city": "Anytown",
        "country": "GB",
    }
    return importer.DebtorUpserted(**{**values, **changes})


async def test_an_assumed_due_date_raises_an_item_for_a_person() -> None:
    service = InMemoryDunning()
    ctx, items = service.context, service.repositories.attention

    await apply_importer_fact(ctx, NO_SESSION, invoice_fact(due_date_source="default_term"))
    await apply_importer_fact(
        ctx,
        NO_SESSION,
        invoice_fact(invoice_id="inv-2", number="F-2", due_date_source="payment_terms"),
    )
    await apply_importer_fact(ctx, NO_SESSION, invoice_fact(invoice_id="inv-3", number="F-3"))

    [item] = items.open(ADM)  # terms read from the document are no assumption
    assert (item.reason, item.subject_id) == (AttentionReason.DUE_DATE_ASSUMED, "inv-1")
    assert "Vat-Z" in item.sentence and "2025-03-03" in item.sentence
    assert "30 days" in item.sentence
    [raised] = service.outbox.events(dunning.AttentionRaised)
    assert (raised.reason, raised.invoice_ids) == ("due_date_assumed", ["inv-1"])


async def test_a_language_a_user_chose_survives_every_import() -> None:
    service = InMemoryDunning()
    ctx, debtors = service.context, service.repositories.debtors
    await apply_importer_fact(ctx, NO_SESSION, debtor_fact(language=None))
    await debtors.set_chosen_language(ADM, "deb-1", "de")

    await apply_importer_fact(ctx, NO_SESSION, debtor_fact(version=2, language="nl"))

    stored = await debtors.get(ADM, "deb-1")
    assert stored is not None
    assert (stored.language, stored.chosen_language, stored.own_language) == ("nl", "de", "de")
    assert stored.country == "GB"


async def test_a_credit_note_keeps_the_invoice_it_corrects() -> None:
    service = InMemoryDunning()
    ctx = service.context
    await apply_importer_fact(ctx, NO_SESSION, credit_note_fact())

    note = await service.repositories.debtors.credit_note(ADM, "cn-1")
    assert note is not None
    assert (note.number, note.amount, note.currency) == ("Correction1", Decimal("-200.00"), "EUR")
    assert (note.corrects_invoice_id, note.corrects_invoice_number) == ("inv-0", "Snippet1")
    assert note.invoice_date == date(2025, 2, 15)
    assert await service.repositories.states.get(ADM, "cn-1") is None  # never reminded of


def credit_note_fact(**changes: Any) -> importer.CreditNoteImported:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "credit_note_id": "cn-1",
        "number": "Correction1",
        "version": 1,
        "run_id": "run-1",
        "debtor_id": "deb-1",
        "debtor_number": "12345678",
        "invoice_date": date(2025, 2, 15),
        "amount": Decimal("-200.00"),
        "open_amount": Decimal("-200.00"),
        "currency": "EUR",
        "corrects_invoice_id": "inv-0",
        "corrects_invoice_number": "Snippet1",
    }
    return importer.CreditNoteImported(**{**values, **changes})
