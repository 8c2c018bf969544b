"""Keeping the copy of what can be paid: each importer fact about an invoice moves its open
amount, settles or reopens it. Facts about credit notes, and facts older than the copy, change
nothing."""

from __future__ import annotations

from typing import TypeAlias

from settle_payments.application.ports import Store
from settle_payments.domain import invoices as rules
from settle_payments.domain.errors import InvalidFact
from settle_payments.domain.invoices import PayableInvoice
from settle_payments.domain.money import is_currency_code
from settle_shared.events import importer

InvoiceFact: TypeAlias = (
    importer.InvoiceImported
    | importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged
)
INVOICE_FACTS = (
    importer.InvoiceImported,
    importer.InvoiceChanged,
    importer.InvoiceSettled,
    importer.InvoiceReopened,
    importer.InvoiceFixedFieldChanged,
)


async def apply_invoice_fact(store: Store, fact: InvoiceFact) -> None:
    """Apply one fact to the copy, in the consumer's transaction."""
    administration_id = fact.administration_id
    known = await store.invoices.get(administration_id, fact.invoice_id)
    updated: PayableInvoice | None
    if isinstance(fact, importer.InvoiceImported):
        if not is_currency_code(fact.currency):
            raise InvalidFact(f"invoice {fact.number}: {fact.currency!r} is no currency code")
        updated = rules.invoice_imported(
            known,
            PayableInvoice(
                invoice_id=fact.invoice_id,
                debtor_id=fact.debtor_id,
                number=fact.number,
                currency=fact.currency,
                open_amount=fact.open_amount,
                settled=fact.open_amount <= 0,
                version=fact.version,
            ),
        )
    elif known is None:
        # A later fact of a document we never saw imported: a credit note (the importer's
        # facts after the first say "invoice" for those too). Nothing of it can be paid.
        return
    elif isinstance(fact, importer.InvoiceChanged):
        updated = rules.open_amount_changed(known, fact.version, fact.open_amount)
    elif isinstance(fact, importer.InvoiceSettled):
        updated = rules.invoice_settled(known, fact.version)
    elif isinstance(fact, importer.InvoiceReopened):
        updated = rules.invoice_reopened(known, fact.version, fact.open_amount)
    else:
        updated = rules.version_seen(known, fact.version)
    if updated is not None:
        await store.invoices.save(administration_id, updated)
