"""Applying a chunk's facts to the stored snapshot and turning them into the shared events.

How each fact changes a stored document is the domain's ``applied``; this applies it to the rows
of one chunk and, in the same pass, builds the event each fact publishes. Every fact about a
document raises its version by one, so consumers can ignore a fact older than one they applied."""

from __future__ import annotations

from settle_importer.domain import (
    ChunkOutcome,
    CreditNoteImported,
    DebtorUpserted,
    DocumentFact,
    InvoiceChanged,
    InvoiceImported,
    InvoiceReopened,
    InvoiceSettled,
    PossibleBookkeepingError,
    applied,
    refingerprinted,
)
from settle_importer.domain.snapshot import (
    WorkingDebtor,
    WorkingDocument,
    debtor_id,
    document_id,
)
from settle_shared.events import importer as events
from settle_shared.events.base import StagedEvent

_FLAGGABLE = {"amount", "invoice_date", "due_date", "debtor_number", "currency", "open_amount"}


def apply_outcome(
    outcome: ChunkOutcome,
    *,
    administration_id: str,
    run_id: str,
    docs: dict[tuple[str, str], WorkingDocument],
    debtor_rows: dict[str, WorkingDebtor],
) -> list[StagedEvent]:
    """Change ``docs``/``debtor_rows`` as the facts say and return the events to publish, in
    the facts' order (a debtor before the first document that needs it). The events are
    serialised straight from the facts' values (``Event.staged``), not through a model per
    event (docs/importing.md, Performance)."""
    out: list[StagedEvent] = []
    emit = out.append

    def bump(fact: DocumentFact) -> WorkingDocument:
        doc = docs[fact.key]
        doc.stored = applied(fact, doc.stored)
        doc.version += 1
        doc.dirty = True
        return doc

    for fact in outcome.facts:
        # By exact type: facts are final classes, and this runs once per imported document.
        kind = type(fact)
        if kind is InvoiceImported or kind is CreditNoteImported:
            invoice = fact.invoice if kind is InvoiceImported else fact.credit_note
            number = invoice.number
            invoice_id = document_id(administration_id, invoice.kind, number)
            docs[(invoice.kind, number)] = WorkingDocument.imported(fact, invoice_id)
            if kind is InvoiceImported:
                emit(
                    events.InvoiceImported.staged(
                        {
                            "administration_id": administration_id,
                            "invoice_id": invoice_id,
                            "number": number,
                            "version": 1,
                            "run_id": run_id,
                            "debtor_id": debtor_id(administration_id, invoice.debtor_number),
                            "debtor_number": invoice.debtor_number,
                            "invoice_date": invoice.invoice_date,
                            "due_date": invoice.due_date,
                            "amount": invoice.amount,
                            "open_amount": invoice.open_amount,
                            "currency": invoice.currency,
                            "payment_condition": invoice.payment_condition,
                            "pdf_url": invoice.pdf_url,
                            "due_date_source": invoice.due_date_source,
                            "payment_terms": invoice.payment_terms,
                        }
                    )
                )
            else:
                emit(
                    events.CreditNoteImported.staged(
                        {
                            "administration_id": administration_id,
                            "credit_note_id": invoice_id,
                            "number": number,
                            "version": 1,
                            "run_id": run_id,
                            "debtor_id": debtor_id(administration_id, invoice.debtor_number),
                            "debtor_number": invoice.debtor_number,
                            "invoice_date": invoice.invoice_date,
                            "amount": invoice.amount,
                            "open_amount": invoice.open_amount,
                            "currency": invoice.currency,
                            "corrects_invoice_id": (
                                document_id(administration_id, "invoice", invoice.corrects)
                                if invoice.corrects
                                else None
                            ),
                            "corrects_invoice_number": invoice.corrects,
                        }
                    )
                )
        elif kind is InvoiceChanged:
            doc = bump(fact)
            emit(
                events.InvoiceChanged.staged(
                    {
                        **_ids(administration_id, run_id, doc),
                        "open_amount": fact.open_amount,
                        "previous_open_amount": fact.open_amount_before,
                        "currency": doc.stored.currency,
                        "payment_condition": fact.payment_condition,
                        "pdf_url": fact.pdf_url,
                    }
                )
            )
        elif kind is InvoiceSettled:
            doc = bump(fact)
            reason = "absent" if fact.reason == "absent_from_complete_list" else "paid"
            emit(
                events.InvoiceSettled.staged(
                    {**_ids(administration_id, run_id, doc), "reason": reason}
                )
            )
        elif kind is InvoiceReopened:
            doc = bump(fact)
            emit(
                events.InvoiceReopened.staged(
                    {
                        **_ids(administration_id, run_id, doc),
                        "open_amount": fact.open_amount,
                        "currency": doc.stored.currency,
                    }
                )
            )
        elif kind is PossibleBookkeepingError:
            doc = bump(fact)
            if fact.field in _FLAGGABLE:
                emit(
                    events.InvoiceFixedFieldChanged.staged(
                        {
                            **_ids(administration_id, run_id, doc),
                            "field": fact.field,
                            "stored_value": fact.settle_value,
                            "imported_value": fact.bookkeeping_value,
                            "reason": fact.reason,
                        }
                    )
                )
        else:
            emit(_debtor_event(administration_id, fact, debtor_rows))
    for key, fingerprint in outcome.fingerprints:
        doc = docs[key]
        doc.stored = refingerprinted(doc.stored, fingerprint)
        doc.dirty = True
    return out


def _ids(administration_id: str, run_id: str, doc: WorkingDocument) -> dict[str, object]:
    return {
        "administration_id": administration_id,
        "invoice_id": doc.invoice_id,
        "number": doc.stored.number,
        "version": doc.version,
        "run_id": run_id,
    }


def _debtor_event(
    administration_id: str, fact: DebtorUpserted, debtor_rows: dict[str, WorkingDebtor]
) -> StagedEvent:
    debtor = fact.debtor
    row = debtor_rows.get(debtor.number)
    if row is None:
        row = WorkingDebtor(
            debtor.number,
            debtor_id(administration_id, debtor.number),
            fact.fingerprint,
            1,
            is_new=True,
        )
        debtor_rows[debtor.number] = row
    else:
        row.version += 1
        row.fingerprint = fact.fingerprint
    row.dirty = True
    return events.DebtorUpserted.staged(
        {
            "administration_id": administration_id,
            "debtor_id": row.debtor_id,
            "number": debtor.number,
            "version": row.version,
            "name": debtor.name,
            "kind": debtor.type,
            "emails": list(debtor.emails),
            "phone": debtor.phone,
            "address_lines": list(debtor.address_lines),
            "postal_code": debtor.postal_code,
            "city": debtor.city,
            "country": debtor.country,
            "language": debtor.language,
        }
    )
