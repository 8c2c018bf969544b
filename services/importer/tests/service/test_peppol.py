"""The eight OpenPEPPOL examples (tests/data, see its README) through the importer's API, and
documents without a due date: due by their terms, else by the connection's default term."""

from __future__ import annotations

import pytest

from .conftest import ADM, DATA, Importer

pytestmark = pytest.mark.service

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


async def test_the_eight_peppol_examples_import_without_a_rejection(importer: Importer):
    for name in EIGHT:  # one run each, as the drop folder imports them
        run = await importer.import_file(name, (DATA / name).read_bytes())
        assert run["status"] == "succeeded", run
        assert run["counts"]["rejected"] == 0, run["rejected"]

    events = await importer.outbox()
    invoices = {p["number"]: p for t, p in events if t.endswith("invoice.imported")}
    credits = {p["number"]: p for t, p in events if t.endswith("credit_note.imported")}
    assert {
        n: (p["currency"], p["due_date"], p["due_date_source"]) for n, p in invoices.items()
    } == {
        "Snippet1": ("EUR", "2017-12-01", "document"),
        "Vat-Z": ("GBP", "2018-09-29", "payment_terms"),
        "Vat-O": ("SEK", "2018-09-29", "payment_terms"),
    }
    assert invoices["Vat-Z"]["payment_terms"] == "Payment within 30 days"
    assert (invoices["Vat-Z"]["amount"], invoices["Vat-O"]["amount"]) == ("1200.00", "3200.00")
    snippet = invoices["Snippet1"]["invoice_id"]
    assert {
        n: (p["amount"], p["currency"], p["corrects_invoice_id"]) for n, p in credits.items()
    } == {
        "Snippet1": ("-1656.25", "EUR", snippet),  # the CreditNote
        "Correction1": ("-1656.25", "EUR", snippet),  # the negative Invoice
    }
    assert credits["Correction1"]["corrects_invoice_number"] == "Snippet1"
    assert credits["Snippet1"]["credit_note_id"] != snippet  # a document of its own


async def test_a_document_with_neither_due_date_nor_terms_gets_the_connection_default(
    importer: Importer,
):
    saved = await importer.client.put(
        f"/internal/v1/administrations/{ADM}/connections/peppol",
        json={"name": "Peppol", "schedule": "on_delivery", "default_payment_term_days": 21},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["default_payment_term_days"] == 21
    bare = (
        (DATA / "base-example.xml")
        .read_bytes()
        .replace(b"<cbc:DueDate>2017-12-01</cbc:DueDate>", b"")
        .replace(b"<cbc:Note>Payment within 10 days, 2% discount</cbc:Note>", b"")
    )

    run = await importer.import_file("zonder-vervaldatum.xml", bare)

    assert run["status"] == "succeeded" and run["counts"]["new"] == 1, run
    [imported] = [p for t, p in await importer.outbox() if t.endswith("invoice.imported")]
    assert imported["invoice_date"] == "2017-11-13"
    assert imported["due_date"] == "2017-12-04"  # 21 days later
    assert imported["due_date_source"] == "default_term"  # dunning flags it for a person
    assert imported["payment_terms"] is None


async def test_a_connection_has_a_default_term_of_30_days(importer: Importer):
    saved = await importer.client.put(
        f"/internal/v1/administrations/{ADM}/connections/upload", json={"name": "Uploads"}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["default_payment_term_days"] == 30
    refused = await importer.client.put(
        f"/internal/v1/administrations/{ADM}/connections/upload",
        json={"name": "Uploads", "default_payment_term_days": -1},
    )
    assert refused.status_code == 422
