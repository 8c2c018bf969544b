"""A chunk's documents and debtors as stored, while its facts are applied: their stable ids,
their working state (``WorkingDocument``, ``WorkingDebtor``) and amounts in cents as the snapshot
keeps them. Plain data: the snapshot repository reads and writes them."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from settle_importer.domain.reconciliation import (
    CreditNoteImported,
    InvoiceImported,
    StoredInvoice,
    applied,
)
from settle_shared.ids import uuid_text

# Stable ids: the same document or debtor of an administration always gets the same id, even
# when its snapshot is rebuilt, so consumers keep recognising it.
_NAMESPACE = uuid.UUID("5f0c1c52-51a4-4f47-9d0e-0b7a3f2f2b61")
_NAMESPACE_BYTES = _NAMESPACE.bytes  # a property that converts on every call


def document_id(administration_id: str, kind: str, number: str) -> str:
    """Settle's id of an invoice or credit note: uuid5 of administration, kind and number."""
    return _uuid5(f"{administration_id}\x1f{kind}\x1f{number}")


@lru_cache(maxsize=25_000)
def debtor_id(administration_id: str, number: str) -> str:
    """Settle's id of a debtor: uuid5 of administration and debtor number."""
    return _uuid5(f"{administration_id}\x1fdebtor\x1f{number}")


def _uuid5(name: str) -> str:
    # str(uuid.uuid5(_NAMESPACE, name)): one id per imported document.
    digest = hashlib.sha1(_NAMESPACE_BYTES + name.encode(), usedforsecurity=False).digest()
    return uuid_text(digest, 5)


class WorkingDocument:
    """A document's stored state while a chunk is applied. Read from the database it keeps the
    row and builds the ``StoredInvoice`` only when asked: a record that did not change is told
    by fingerprint and settled alone, and in a second import nearly every record is one. A
    document imported in the chunk keeps its record (``imported``) the same way."""

    __slots__ = ("_imported", "_row", "_stored", "dirty", "invoice_id", "is_new", "version")

    def __init__(
        self,
        stored: StoredInvoice | None,
        invoice_id: str,
        version: int,
        *,
        row: Any = None,
        is_new: bool = False,
        dirty: bool = False,
    ) -> None:
        if stored is None and row is None:
            raise ValueError("a working document needs its stored state or its row")
        self._stored = stored
        self._row = row
        self._imported: InvoiceImported | CreditNoteImported | None = None
        self.invoice_id = invoice_id
        self.version = version
        self.is_new = is_new
        self.dirty = dirty

    @classmethod
    def imported(
        cls, fact: InvoiceImported | CreditNoteImported, invoice_id: str
    ) -> WorkingDocument:
        """A document imported for the first time in this chunk: new, to be inserted."""
        doc = cls.__new__(cls)
        doc._stored = doc._row = None
        doc._imported = fact
        doc.invoice_id = invoice_id
        doc.version = 1
        doc.is_new = doc.dirty = True
        return doc

    @property
    def stored(self) -> StoredInvoice:
        if self._stored is None:
            if self._imported is not None:
                self._stored = applied(self._imported, None)
            else:
                self._stored = stored_from_row(self._row)
        return self._stored

    @stored.setter
    def stored(self, value: StoredInvoice) -> None:
        self._stored = value

    @property
    def fingerprint(self) -> str | None:
        if self._stored is None and self._row is not None:
            return self._row["fingerprint"]
        return self.stored.fingerprint

    @property
    def settled(self) -> bool:
        if self._stored is None and self._row is not None:
            return bool(self._row["settled"])
        return self.stored.settled

    def state(self) -> StoredInvoice:
        return self.stored


@dataclass(slots=True)
class WorkingDebtor:
    number: str
    debtor_id: str
    fingerprint: str
    version: int
    is_new: bool = False
    dirty: bool = False


def cents(amount: Decimal) -> int:
    """An amount as the snapshot stores it: in cents. Amounts are in whole cents by the time
    they are stored (the domain's ``money``); anything else is a bug, not a rounding."""
    # From the exact fraction: two thirds of the time of scaling and comparing Decimals, and
    # an import stores two amounts per document.
    numerator, denominator = amount.as_integer_ratio()
    if 100 % denominator:
        raise ValueError(f"{amount} is not a whole number of cents")
    return numerator * (100 // denominator)


def from_cents(stored: int) -> Decimal:
    """A stored amount as the domain has it: a Decimal with two decimals."""
    return Decimal(stored).scaleb(-2)


def stored_from_row(row: Any) -> StoredInvoice:
    """The stored state of a document from its row of the documents table."""
    return StoredInvoice(
        kind=row["kind"],
        number=row["number"],
        debtor_number=row["debtor_number"],
        invoice_date=row["invoice_date"],
        due_date=row["due_date"],
        amount=from_cents(row["amount_cents"]),
        open_amount=from_cents(row["open_amount_cents"]),
        currency=row["currency"],
        payment_condition=row["payment_condition"],
        pdf_url=row["pdf_url"],
        settled=bool(row["settled"]),
        fingerprint=row["fingerprint"],
    )
