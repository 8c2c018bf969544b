"""Applying a chunk's facts to the stored snapshot and turning them into the shared events.

`InMemorySnapshot.apply` in the domain is the reference for how each fact changes the stored
state; this does the same on the rows of one chunk and, in the same pass, builds the event each
fact publishes. Every fact about a document raises its version by one, so consumers can ignore a
fact older than one they applied."""

from __future__ import annotations

from dataclasses import replace

from settle_importer.adapters.repository import (
    WorkingDebtor,
    WorkingDocument,
    debtor_id,
    document_id,
)
from settle_importer.domain import (
    ChunkOutcome,
    CreditNoteImported,
    DebtorUpserted,
    InvoiceChanged,
    InvoiceImported,
    InvoiceReopened,
    InvoiceSettled,
    PossibleBookkeepingError,
    StoredInvoice,
)
from settle_shared.events import importer as events
from settle_shared.events.base import Event

_FLAGGABLE = {"amount", "invoice_date", "due_date", "debtor_number", "currency", "open_amount"}


def apply_outcome(
    outcome: ChunkOutcome,
    *,
    administration_id: str,
    run_id: str,
    docs: dict[tuple[str, str], WorkingDocument],
    debtor_rows: dict[str, WorkingDebtor],
) -> list[Event]:
    """Change ``docs``/``debtor_rows`` as the facts say and return the events to publish, in
    the facts' order (a debtor before the first document that needs it)."""
    adm = administration_id
    out: list[Event] = []
    emit = out.append

    def bump(key: tuple[str, str], stored: StoredInvoice) -> WorkingDocument:
        doc = docs[key]
        doc.stored = stored
        doc.version += 1
        doc.dirty = True
        return doc

    for fact in outcome.facts:
        # By exact type: facts are final classes, and this runs once per imported document.
        kind = type(fact)
        if kind is InvoiceImported or kind is CreditNoteImported:
            invoice = fact.invoice if isinstance(fact, InvoiceImported) else fact.credit_note
            key = invoice.key
            doc = WorkingDocument(
                StoredInvoice.first_import(invoice, fact.fingerprint),
                document_id(adm, invoice.kind, invoice.number),
                1,
                is_new=True,
                dirty=True,
            )
            docs[key] = doc
            common = {
                "administration_id": adm,
                "number": invoice.number,
                "version": 1,
                "run_id": run_id,
                "debtor_id": debtor_id(adm, invoice.debtor_number),
                "debtor_number": invoice.debtor_number,
                "invoice_date": invoice.invoice_date,
                "amount": invoice.amount,
                "open_amount": invoice.open_amount,
                "currency": invoice.currency,
            }
            if isinstance(fact, InvoiceImported):
                emit(
                    events.InvoiceImported(
                        invoice_id=doc.invoice_id,
                        due_date=invoice.due_date,
                        payment_condition=invoice.payment_condition,
                        pdf_url=invoice.pdf_url,
                        **common,
                    )
                )
            else:
                emit(events.CreditNoteImported(credit_note_id=doc.invoice_id, **common))
        elif kind is InvoiceChanged:
            before = docs[fact.key].stored
            doc = bump(
                fact.key,
                replace(
                    before,
                    open_amount=fact.open_amount,
                    payment_condition=fact.payment_condition,
                    pdf_url=fact.pdf_url,
                    fingerprint=fact.fingerprint,
                ),
            )
            emit(
                events.InvoiceChanged(
                    **_ids(adm, run_id, doc),
                    open_amount=fact.open_amount,
                    previous_open_amount=fact.open_amount_before,
                    currency=before.currency,
                    payment_condition=fact.payment_condition,
                    pdf_url=fact.pdf_url,
                )
            )
        elif kind is InvoiceSettled:
            before = docs[fact.key].stored
            doc = bump(
                fact.key,
                replace(
                    before,
                    settled=True,
                    open_amount=fact.open_amount,
                    fingerprint=fact.fingerprint or before.fingerprint,
                ),
            )
            emit(
                events.InvoiceSettled(
                    **_ids(adm, run_id, doc),
                    reason="absent" if fact.reason == "absent_from_complete_list" else "paid",
                )
            )
        elif kind is InvoiceReopened:
            before = docs[fact.key].stored
            doc = bump(
                fact.key,
                replace(
                    before,
                    settled=False,
                    open_amount=fact.open_amount,
                    payment_condition=fact.payment_condition,
                    pdf_url=fact.pdf_url,
                    fingerprint=fact.fingerprint,
                ),
            )
            emit(
                events.InvoiceReopened(
                    **_ids(adm, run_id, doc), open_amount=fact.open_amount, currency=before.currency
                )
            )
        elif kind is PossibleBookkeepingError:
            doc = bump(fact.key, replace(docs[fact.key].stored, fingerprint=fact.fingerprint))
            if fact.field in _FLAGGABLE:
                emit(
                    events.InvoiceFixedFieldChanged(
                        **_ids(adm, run_id, doc),
                        field=fact.field,
                        stored_value=fact.settle_value,
                        imported_value=fact.bookkeeping_value,
                        reason=fact.reason,
                    )
                )
        else:
            emit(_debtor_event(adm, fact, debtor_rows))
    for key, fingerprint in outcome.fingerprints:
        doc = docs[key]
        doc.stored = replace(doc.stored, fingerprint=fingerprint)
        doc.dirty = True
    return out


def _ids(adm: str, run_id: str, doc: WorkingDocument) -> dict[str, object]:
    return {
        "administration_id": adm,
        "invoice_id": doc.invoice_id,
        "number": doc.stored.number,
        "version": doc.version,
        "run_id": run_id,
    }


def _debtor_event(
    adm: str, fact: DebtorUpserted, debtor_rows: dict[str, WorkingDebtor]
) -> events.DebtorUpserted:
    debtor = fact.debtor
    row = debtor_rows.get(debtor.number)
    if row is None:
        row = WorkingDebtor(
            debtor.number, debtor_id(adm, debtor.number), fact.fingerprint, 1, is_new=True
        )
        debtor_rows[debtor.number] = row
    else:
        row.version += 1
        row.fingerprint = fact.fingerprint
    row.dirty = True
    return events.DebtorUpserted(
        administration_id=adm,
        debtor_id=row.debtor_id,
        number=debtor.number,
        version=row.version,
        name=debtor.name,
        kind=debtor.type,
        emails=list(debtor.emails),
        phone=debtor.phone,
        address_lines=list(debtor.address_lines),
        postal_code=debtor.postal_code,
        city=debtor.city,
        country=debtor.country,
        language=debtor.language,
    )
