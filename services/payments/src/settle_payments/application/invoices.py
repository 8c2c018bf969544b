"""Keeping the copy of what can be paid: each importer fact about an invoice moves its open
amount, settles or reopens it. Facts about credit notes, and facts older than the copy, change
nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
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


async def apply_invoice_facts(store: Store, facts: Sequence[InvoiceFact]) -> None:
    """Apply a batch of facts in their order, in the consumer's transaction: the copies they
    concern read with one query per administration, the changed ones written with one
    statement."""
    by_administration: dict[str, list[InvoiceFact]] = defaultdict(list)
    for fact in facts:
        by_administration[fact.administration_id].append(fact)
    for administration_id, theirs in by_administration.items():
        copies: dict[str, PayableInvoice | None] = dict(
            await store.invoices.many(administration_id, [fact.invoice_id for fact in theirs])
        )
        changed: dict[str, PayableInvoice] = {}
        for fact in theirs:
            updated = invoice_after(copies.get(fact.invoice_id), fact)
            if updated is not None:
                copies[fact.invoice_id] = changed[fact.invoice_id] = updated
        await store.invoices.save_many(administration_id, list(changed.values()))


def invoice_after(known: PayableInvoice | None, fact: InvoiceFact) -> PayableInvoice | None:
    """The copy after one fact, or None when the fact changes nothing."""
    if isinstance(fact, importer.InvoiceImported):
        if not is_currency_code(fact.currency):
            raise InvalidFact(f"invoice {fact.number}: {fact.currency!r} is no currency code")
        return rules.invoice_imported(
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
    if known is None:
        # A later fact of a document we never saw imported: a credit note (the importer's
        # facts after the first say "invoice" for those too). Nothing of it can be paid.
        return None
    if isinstance(fact, importer.InvoiceChanged):
        return rules.open_amount_changed(known, fact.version, fact.open_amount)
    if isinstance(fact, importer.InvoiceSettled):
        return rules.invoice_settled(known, fact.version)
    if isinstance(fact, importer.InvoiceReopened):
        return rules.invoice_reopened(known, fact.version, fact.open_amount)
    return rules.version_seen(known, fact.version)
