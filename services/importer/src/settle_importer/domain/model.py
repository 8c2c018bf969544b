"""What an import reads from bookkeeping, before Settle compares it with what it already holds.

These records are administration-independent: the service layer knows which administration a run
belongs to. Money is a ``Decimal`` with exactly two decimals; business dates are ``date``.

Sign convention: an invoice has a positive amount; a credit note has a negative amount and an
open amount between its amount and zero. Sources that write credit notes as positive documents
(a UBL ``CreditNote``, some exports) are normalised to that convention when the record is built
(see ``settle_importer.domain.validation``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, TypeAlias

InvoiceKind: TypeAlias = Literal["invoice", "credit_note"]
DebtorType: TypeAlias = Literal["business", "consumer"]
# Where an invoice's due date comes from: the document's own date, its payment terms, or (the
# document says neither) the connection's default payment term, which the run applies.
DueDateSource: TypeAlias = Literal["document", "payment_terms", "default_term"]

# Invoices and credit notes are separate documents with their own numbering: Peppol's own
# examples use "Snippet1" for both an invoice and its credit note.
DocumentKey: TypeAlias = tuple[InvoiceKind, str]

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class ImportedInvoice:
    """An invoice or credit note as bookkeeping has it today.

    ``due_date_source`` says whether the due date is the document's own, read from its
    ``payment_terms``, or to be set from the connection's default term: a source without either
    leaves the invoice date there and says ``default_term`` (see ``with_default_term``).
    ``corrects`` is the number of the invoice a credit note corrects, when the document says.
    """

    number: str
    debtor_number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    payment_condition: str | None = None
    kind: InvoiceKind = "invoice"
    pdf_url: str | None = None
    due_date_source: DueDateSource = "document"
    payment_terms: str | None = None
    corrects: str | None = None

    @property
    def key(self) -> DocumentKey:
        return (self.kind, self.number)

    @property
    def is_open(self) -> bool:
        """Whether the debtor still owes (invoice) or is still owed (credit note) something."""
        return is_open_amount(self.kind, self.open_amount)

    @property
    def is_overbooked(self) -> bool:
        """Whether more was booked against the document than its amount."""
        return is_overbooked_amount(self.kind, self.open_amount)


@dataclass(frozen=True, slots=True)
class ImportedDebtor:
    """A debtor's details as bookkeeping has them; read-only in Settle."""

    number: str
    name: str
    type: DebtorType = "business"
    emails: tuple[str, ...] = ()
    phone: str | None = None
    address_lines: tuple[str, ...] = ()
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not be imported, with a reason the user can act on.

    ``position`` says where it was found ("line 12", "row 7", "invoices.zip/a.xml");
    ``reference`` is the invoice number when it could be read.
    """

    position: str
    reference: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One document read from a source together with its debtor, when the source carries it."""

    position: str
    invoice: ImportedInvoice
    debtor: ImportedDebtor | None = None


SourceItem: TypeAlias = SourceRecord | ImportedDebtor | RejectedRecord


def is_open_amount(kind: InvoiceKind, open_amount: Decimal) -> bool:
    """Whether an open amount means something is still to be paid or refunded."""
    return open_amount > 0 if kind == "invoice" else open_amount < 0


def is_overbooked_amount(kind: InvoiceKind, open_amount: Decimal) -> bool:
    """Whether an open amount has the opposite sign of its document: more was booked than due."""
    return open_amount < 0 if kind == "invoice" else open_amount > 0


@dataclass(frozen=True, slots=True)
class LineLimits:
    """The longest line (in characters) and the most fields a line may have; a record whose
    quoted values span lines counts all of its lines."""

    max_chars: int = 1 << 20
    max_fields: int = 1_000
