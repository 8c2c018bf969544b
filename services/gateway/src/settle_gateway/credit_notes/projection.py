"""The credit notes' part of the read model: rm_credit_notes, kept from the importer's facts.

The importer's facts after a credit note's first import say "invoice" (InvoiceChanged,
InvoiceSettled, ...) with the credit note's id: a batch knows which ids are credit notes
(`prefetch`) and hands those facts here instead of to the invoices' projection."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_credit_notes
from settle_gateway.invoices.projection import ZERO, Batch, InvoiceKey
from settle_shared.events import importer


async def prefetch(batch: Batch, keys: set[InvoiceKey]) -> None:
    """Note which of the batch's document ids are credit notes (one query per
    administration and chunk)."""
    by_administration: dict[str, list[str]] = defaultdict(list)
    for administration_id, document_id in keys:
        by_administration[administration_id].append(document_id)
    for administration_id, ids in by_administration.items():
        for start in range(0, len(ids), 500):
            found = await batch.session.scalars(
                sa.select(rm_credit_notes.c.credit_note_id).where(
                    rm_credit_notes.c.administration_id == administration_id,
                    rm_credit_notes.c.credit_note_id.in_(ids[start : start + 500]),
                )
            )
            batch.credit_notes.update((administration_id, i) for i in found)


async def credit_note_imported(batch: Batch, fact: importer.CreditNoteImported) -> None:
    """A new credit note, unless the row already knows a newer fact about it."""
    session = batch.session
    key = (fact.administration_id, fact.credit_note_id)
    batch.credit_notes.add(key)
    stored = await _version(session, key)
    values = {
        "import_version": fact.version,
        "number": fact.number,
        "debtor_id": fact.debtor_id,
        "invoice_date": fact.invoice_date,
        "amount": fact.amount,
        "open_amount": fact.open_amount,
        "currency": fact.currency,
        "status": "open",
        "corrects_invoice_id": fact.corrects_invoice_id,
        "corrects_invoice_number": fact.corrects_invoice_number,
    }
    if stored is None:
        await session.execute(
            sa.insert(rm_credit_notes).values(
                administration_id=fact.administration_id,
                credit_note_id=fact.credit_note_id,
                **values,
            )
        )
    elif fact.version > stored:
        await session.execute(sa.update(rm_credit_notes).where(*_one(key)).values(**values))


async def credit_note_fact(session: AsyncSession, fact: importer.InvoiceFact) -> None:
    """A later fact about a credit note: partly or wholly matched, or open again."""
    key = (fact.administration_id, fact.invoice_id)
    stored = await _version(session, key)
    if stored is None or fact.version <= stored:
        return
    values: dict[str, object] = {"import_version": fact.version}
    if isinstance(fact, importer.InvoiceChanged):
        values["open_amount"] = fact.open_amount
    elif isinstance(fact, importer.InvoiceSettled):
        values.update(status="settled", open_amount=ZERO)
    elif isinstance(fact, importer.InvoiceReopened):
        values.update(status="open", open_amount=fact.open_amount)
    await session.execute(sa.update(rm_credit_notes).where(*_one(key)).values(**values))


def _one(key: InvoiceKey) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        rm_credit_notes.c.administration_id == key[0],
        rm_credit_notes.c.credit_note_id == key[1],
    )


async def _version(session: AsyncSession, key: InvoiceKey) -> int | None:
    version: int | None = await session.scalar(
        sa.select(rm_credit_notes.c.import_version).where(*_one(key))
    )
    return version
