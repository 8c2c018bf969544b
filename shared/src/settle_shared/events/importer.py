"""Facts the importer publishes about what bookkeeping says. Bookkeeping is the source of
truth; these events are how every other service learns it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_shared.events.base import Event, Topic, event, topic

INVOICES = topic(
    "importer.invoices.v1",
    producer="importer",
    key="invoice_id (or credit_note_id): one document's facts stay in order",
    description="Invoices and credit notes as imported from bookkeeping: new, changed, "
    "settled, reopened, and fixed fields that changed (a possible bookkeeping error).",
)
DEBTORS = topic(
    "importer.debtors.v1",
    producer="importer",
    key="debtor_id",
    description="Debtor details from bookkeeping (read-only in Settle), for debtors with at "
    "least one open invoice.",
)
RUNS = topic(
    "importer.runs.v1",
    producer="importer",
    key="administration_id",
    description="Import runs and their outcome.",
)

Money = Decimal


class InvoiceFact(Event):
    topic: ClassVar[Topic] = INVOICES

    administration_id: str
    invoice_id: str = Field(description="Settle's stable id of the invoice")
    number: str = Field(description="invoice number in bookkeeping")
    version: int = Field(
        description="increases with every fact about this invoice; a consumer ignores a fact "
        "older than one it has applied"
    )
    run_id: str = Field(description="the import run that found it")

    key_field: ClassVar[str | None] = "invoice_id"


@event
class InvoiceImported(InvoiceFact):
    """A new open invoice. Number, amount, dates and debtor are fixed from now on."""

    event_type: ClassVar[str] = "settle.importer.invoice.imported"

    debtor_id: str
    debtor_number: str
    invoice_date: date
    due_date: date
    amount: Money
    open_amount: Money
    currency: str = Field(description="ISO 4217 code")
    payment_condition: str | None = None
    pdf_url: str | None = None
    due_date_source: Literal["document", "payment_terms", "default_term"] = Field(
        "document",
        description="document: the document's own due date; payment_terms: read from its "
        "payment terms; default_term: it had neither, the connection's default payment term "
        "was assumed (a person should check it)",
    )
    payment_terms: str | None = Field(
        None, description="the payment terms as the document states them, if it does"
    )


@event
class InvoiceChanged(InvoiceFact):
    """The open amount changed (for instance a partial payment was booked)."""

    event_type: ClassVar[str] = "settle.importer.invoice.changed"

    open_amount: Money
    previous_open_amount: Money
    currency: str
    payment_condition: str | None = Field(
        None, description="the payment condition now (it may have changed too)"
    )
    pdf_url: str | None = Field(None, description="the PDF link now (it may have changed too)")


@event
class InvoiceSettled(InvoiceFact):
    """No longer open in bookkeeping: dunning stops."""

    event_type: ClassVar[str] = "settle.importer.invoice.settled"

    reason: Literal["paid", "absent"] = Field(
        description="paid: open amount 0; absent: missing from a complete list of open items"
    )


@event
class InvoiceReopened(InvoiceFact):
    """A settled invoice is open again in bookkeeping (flagged for a person to look at)."""

    event_type: ClassVar[str] = "settle.importer.invoice.reopened"

    open_amount: Money
    currency: str


@event
class InvoiceFixedFieldChanged(InvoiceFact):
    """Bookkeeping changed a field that is fixed after the first import. The change is not
    applied; it is a possible bookkeeping error for a person to look at."""

    event_type: ClassVar[str] = "settle.importer.invoice.fixed_field_changed"

    field: Literal[
        "amount", "invoice_date", "due_date", "debtor_number", "currency", "open_amount"
    ] = Field(
        description="open_amount: more was booked than the amount (the invoice is settled and "
        "this is flagged)"
    )
    stored_value: str
    imported_value: str
    reason: str | None = Field(None, description="why it is flagged, in the user's words")


@event
class CreditNoteImported(Event):
    """A credit note: a separate document with a negative amount (also an invoice with a
    negative amount, which is a correction). It is never reminded of."""

    event_type: ClassVar[str] = "settle.importer.credit_note.imported"
    topic: ClassVar[Topic] = INVOICES

    administration_id: str
    credit_note_id: str
    number: str
    version: int
    run_id: str
    debtor_id: str
    debtor_number: str
    invoice_date: date
    amount: Money = Field(description="negative")
    open_amount: Money = Field(description="negative or zero")
    currency: str
    corrects_invoice_id: str | None = Field(
        None,
        description="Settle's id of the invoice the credit note corrects, when the document "
        "names it (it need not have been imported)",
    )
    corrects_invoice_number: str | None = Field(
        None, description="the number of the invoice it corrects, as the document names it"
    )

    key_field: ClassVar[str | None] = "credit_note_id"


@event
class DebtorUpserted(Event):
    """A debtor as bookkeeping has it now (new, or details changed)."""

    event_type: ClassVar[str] = "settle.importer.debtor.upserted"
    topic: ClassVar[Topic] = DEBTORS

    administration_id: str
    debtor_id: str
    number: str
    version: int
    name: str
    kind: Literal["business", "consumer"]
    emails: list[str] = Field(default_factory=list)
    phone: str | None = None
    address_lines: list[str] = Field(default_factory=list)
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")
    language: str | None = Field(None, description="ISO 639-1; None: the administration's")

    key_field: ClassVar[str | None] = "debtor_id"


class ImportCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    new: int = 0
    changed: int = 0
    settled: int = 0
    reopened: int = 0
    rejected: int = 0
    ignored: int = 0
    unchanged: int = 0


@event
class ImportRunFinished(Event):
    """An import run ended, with what it did."""

    event_type: ClassVar[str] = "settle.importer.run.finished"
    topic: ClassVar[Topic] = RUNS

    administration_id: str
    run_id: str
    source: str = Field(description="csv, xlsx, ubl, moneybird, …")
    status: Literal["succeeded", "failed"]
    error: str | None = None
    counts: ImportCounts
    started_at: datetime
    finished_at: datetime
    duration_ms: int

    key_field: ClassVar[str | None] = "administration_id"
