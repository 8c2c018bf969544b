"""Reconciliation: what an import means, given what Settle already holds for the administration.

The rules (docs/domain.md, Import):

- A document seen for the first time and still open is imported (``InvoiceImported`` or
  ``CreditNoteImported``). One that is already closed is not imported: there is nothing to chase.
- Fixed after the first import: amount, invoice date, due date, debtor and currency. A change is
  not applied but reported as ``PossibleBookkeepingError`` with the value Settle holds and the
  value bookkeeping now has, once per new value. A changed invoice number cannot be told apart
  from a new document: it shows up as a new invoice (and, in a complete list, the old number as
  settled).
- Updated on every import: open amount, payment condition and PDF link (``InvoiceChanged``).
- Settled when no longer open: open amount zero, more booked than due (also flagged), or absent
  from a source that is a complete list of open items (``InvoiceSettled``).
- A settled document that comes back open is reopened (``InvoiceReopened``, always flagged).
- A debtor is created or updated (``DebtorUpserted``) only when it has at least one open document
  in the import and its details differ from what Settle holds; the first occurrence of a debtor
  in a run is the one used.
- Ignored (ignore lists) and rejected records produce no facts; a document number that occurs a
  second time in one run is rejected.
- Re-importing the same data yields no facts at all.
- An invoice whose source gave neither a due date nor payment terms is due the run's default
  payment term (the connection's) after its invoice date.

The work is streamed: ``Reconciliation`` takes records in chunks, each against the stored state of
just the documents and debtors in that chunk (``lookups`` says which) and against what the run's
earlier chunks left for them (``RunSoFar``: where a number first occurred, how far a debtor got).
Each outcome says what the chunk adds to that (``first_seen``, ``debtor_standing``), so the caller
can keep both the snapshot and the run's memory in a database and import a million invoices in
constant memory; the tests' ``InMemoryRunMemory`` is the reference for what it keeps. Whether
the caller applies a chunk's facts before looking up the next chunk makes no difference: a
document occurs in one chunk only, and a debtor is decided once.

Every fact that comes from a record carries the record's ``fingerprint``; store it with the
document (or debtor) so the next import recognises an unchanged record with one comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol, TypeAlias

from settle_importer.domain.fingerprint import (
    debtor_fingerprint,
    fixed_half,
    invoice_fingerprint,
)
from settle_importer.domain.ignore import IgnoreRules
from settle_importer.domain.model import (
    DocumentKey,
    ImportedDebtor,
    ImportedInvoice,
    InvoiceKind,
    RejectedRecord,
    SourceItem,
    SourceRecord,
)
from settle_importer.domain.validation import with_default_term

# Days after the invoice date an invoice is due when its document says neither a due date nor
# payment terms, unless the connection says otherwise.
DEFAULT_PAYMENT_TERM_DAYS = 30

SettledReason: TypeAlias = Literal["paid", "overbooked", "absent_from_complete_list"]


@dataclass(frozen=True, slots=True)
class StoredInvoice:
    """What Settle holds about a document of the administration, as of the last import.

    ``fingerprint`` is the fingerprint of the record as last read from bookkeeping (including
    fixed-field changes that were flagged and not applied); ``None`` when unknown.
    """

    kind: InvoiceKind
    number: str
    debtor_number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    payment_condition: str | None
    pdf_url: str | None
    settled: bool
    fingerprint: str | None

    @property
    def key(self) -> DocumentKey:
        return (self.kind, self.number)

    def state(self) -> StoredInvoice:
        return self

    @classmethod
    def first_import(cls, invoice: ImportedInvoice, fingerprint: str) -> StoredInvoice:
        """The state Settle holds right after importing ``invoice``."""
        return cls(
            kind=invoice.kind,
            number=invoice.number,
            debtor_number=invoice.debtor_number,
            invoice_date=invoice.invoice_date,
            due_date=invoice.due_date,
            amount=invoice.amount,
            open_amount=invoice.open_amount,
            currency=invoice.currency,
            payment_condition=invoice.payment_condition,
            pdf_url=invoice.pdf_url,
            settled=False,
            fingerprint=fingerprint,
        )


class StoredDocument(Protocol):
    """A stored document as reconciliation reads it: its fingerprint and whether it is settled
    tell an unchanged record at once, and only a record that changed needs the whole ``state``
    (a ``StoredInvoice`` is its own state; a database row can build it only when asked)."""

    @property
    def fingerprint(self) -> str | None: ...

    @property
    def settled(self) -> bool: ...

    def state(self) -> StoredInvoice: ...


# Facts -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceImported:
    """An open invoice Settle did not know: dunning can start."""

    invoice: ImportedInvoice
    fingerprint: str


@dataclass(frozen=True, slots=True)
class CreditNoteImported:
    """An open credit note Settle did not know (negative amounts)."""

    credit_note: ImportedInvoice
    fingerprint: str


@dataclass(frozen=True, slots=True)
class InvoiceChanged:
    """Updatable fields of an open document changed; ``changed`` names them."""

    key: DocumentKey
    open_amount_before: Decimal
    open_amount: Decimal
    payment_condition: str | None
    pdf_url: str | None
    changed: tuple[str, ...]
    fingerprint: str


@dataclass(frozen=True, slots=True)
class InvoiceSettled:
    """A document is no longer open; dunning stops.

    ``open_amount`` is the open amount bookkeeping now has (zero when paid, the flipped amount when
    overbooked); for ``absent_from_complete_list`` it is the last known open amount and
    ``fingerprint`` is ``None`` (keep the stored one).
    """

    key: DocumentKey
    reason: SettledReason
    open_amount_before: Decimal
    open_amount: Decimal
    fingerprint: str | None


@dataclass(frozen=True, slots=True)
class InvoiceReopened:
    """A settled document is open again in bookkeeping: it is reopened and flagged."""

    key: DocumentKey
    open_amount: Decimal
    payment_condition: str | None
    pdf_url: str | None
    fingerprint: str


@dataclass(frozen=True, slots=True)
class PossibleBookkeepingError:
    """Bookkeeping changed something Settle keeps fixed; reported, not applied.

    ``field`` is one of ``amount``, ``invoice_date``, ``due_date``, ``debtor_number``,
    ``currency`` or ``open_amount`` (more booked than due). Values are shown as text (ISO dates,
    plain decimals).
    """

    key: DocumentKey
    field: str
    settle_value: str
    bookkeeping_value: str
    reason: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class DebtorUpserted:
    """A debtor with an open document whose details are new to Settle or changed."""

    debtor: ImportedDebtor
    fingerprint: str
    created: bool


DocumentFact: TypeAlias = (
    InvoiceImported
    | CreditNoteImported
    | InvoiceChanged
    | InvoiceSettled
    | InvoiceReopened
    | PossibleBookkeepingError
)
Fact: TypeAlias = DocumentFact | DebtorUpserted


@dataclass(slots=True)
class ImportCounts:
    """Running totals of an import run."""

    records: int = 0
    new: int = 0
    changed: int = 0
    settled: int = 0
    reopened: int = 0
    rejected: int = 0
    ignored: int = 0
    unchanged: int = 0
    flagged: int = 0
    closed_not_imported: int = 0
    debtors_upserted: int = 0


@dataclass(slots=True)
class ChunkOutcome:
    """What one chunk (or the end of the run) produced.

    ``facts`` are in the order they must be applied and published (a debtor before the first
    document that needs it). ``fingerprints`` are documents whose record changed in a way that
    needs no fact (for instance a flagged value went back to what Settle holds): store the new
    fingerprint so the next import takes the fast path. ``notices`` are run-level remarks for
    the user.
    """

    facts: list[Fact] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    fingerprints: list[tuple[DocumentKey, str]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # What the chunk adds to the run's memory: numbers read for the first time in the run, with
    # their position, and the new standing of each debtor whose standing changed.
    first_seen: dict[DocumentKey, str] = field(default_factory=dict)
    debtor_standing: dict[str, DebtorSoFar] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Lookups:
    """What a chunk needs, stored and from the run so far: these documents and these debtors."""

    documents: frozenset[DocumentKey]
    debtors: frozenset[str]


@dataclass(frozen=True, slots=True)
class DebtorSoFar:
    """How far a debtor got in the chunks of a run read so far.

    ``decided``: its first occurrence was compared with Settle's (later ones are not used);
    ``open_document``: one of its documents was open; ``waiting``: the details first read for
    it, kept until an open document of it turns up (undecided debtors only).
    """

    decided: bool = False
    open_document: bool = False
    waiting: ImportedDebtor | None = None

    # The steps a standing takes, built directly: ``dataclasses.replace`` costs twice as much,
    # and this runs for every debtor of an import.
    def with_waiting(self, debtor: ImportedDebtor) -> DebtorSoFar:
        return DebtorSoFar(self.decided, self.open_document, debtor)

    def with_open_document(self) -> DebtorSoFar:
        return DebtorSoFar(self.decided, True, self.waiting)

    def as_decided(self) -> DebtorSoFar:
        return DebtorSoFar(True, self.open_document, None)


_NOT_SEEN = DebtorSoFar()


@dataclass(frozen=True, slots=True)
class RunSoFar:
    """What the earlier chunks of a run left for the documents and debtors of one chunk:
    the position where each of its numbers first occurred, and each debtor's standing.
    Numbers and debtors the run has not met are absent."""

    positions: Mapping[DocumentKey, str] = field(default_factory=dict)
    debtors: Mapping[str, DebtorSoFar] = field(default_factory=dict)


class Reconciliation:
    """One import run of one administration, fed in chunks.

    It keeps nothing that grows with the source: what earlier chunks left is handed in per
    chunk (``RunSoFar``) and what a chunk adds is handed back in its outcome. Usage::

        run = Reconciliation(complete=True, ignore=rules)
        for chunk in chunked(source.records()):
            needed = run.lookups(chunk)
            outcome = run.reconcile_chunk(
                chunk, stored_documents(needed), stored_debtors(needed), memory.so_far(needed)
            )
            apply(outcome)
            memory.remember(outcome)
        apply(run.finish(memory.absent(unsettled_documents())))
    """

    def __init__(
        self,
        *,
        complete: bool,
        ignore: IgnoreRules | None = None,
        default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS,
    ) -> None:
        self.complete = complete
        self.ignore = ignore or IgnoreRules()
        self.default_payment_term_days = default_payment_term_days
        self._counts = ImportCounts()
        self._rejected_without_number = 0
        self._finished = False
        # The chunk being reconciled: first positions and debtor standings, the run's so far
        # plus this chunk's.
        self._positions: dict[DocumentKey, str] = {}
        self._standing: dict[str, DebtorSoFar] = {}

    @property
    def counts(self) -> ImportCounts:
        """A copy of the running totals."""
        return replace(self._counts)

    def lookups(self, chunk: Sequence[SourceItem]) -> Lookups:
        """Which stored documents and debtors, and which of the run so far, ``reconcile_chunk``
        needs."""
        documents: set[DocumentKey] = set()
        debtors: set[str] = set()
        for item in chunk:
            if isinstance(item, SourceRecord):
                invoice = item.invoice
                documents.add((invoice.kind, invoice.number))
                debtors.add(invoice.debtor_number)
                if item.debtor is not None:
                    debtors.add(item.debtor.number)
            elif isinstance(item, ImportedDebtor):
                debtors.add(item.number)
        return Lookups(frozenset(documents), frozenset(debtors))

    def reconcile_chunk(
        self,
        chunk: Iterable[SourceItem],
        documents: Mapping[DocumentKey, StoredDocument],
        debtors: Mapping[str, str],
        so_far: RunSoFar,
    ) -> ChunkOutcome:
        """Compare a chunk of records with the stored state of its documents and debtors.

        ``documents`` and ``debtors`` (debtor number -> stored debtor fingerprint) must hold at
        least what ``lookups(chunk)`` asked for, and ``so_far`` what the run's earlier chunks
        left for it; entries that do not exist are simply absent.
        """
        if self._finished:
            raise RuntimeError("this import run has finished")
        outcome = ChunkOutcome()
        self._positions = dict(so_far.positions)
        self._standing = dict(so_far.debtors)
        counts = self._counts
        ignore = self.ignore if self.ignore else None
        for item in chunk:
            counts.records += 1
            if isinstance(item, SourceRecord):
                self._reconcile_record(item, documents, debtors, outcome, ignore)
            elif isinstance(item, RejectedRecord):
                self._reject(item, outcome)
            else:
                self._reconcile_standalone_debtor(item, debtors, outcome, ignore)
        return outcome

    def finish(self, absent: Iterable[tuple[DocumentKey, Decimal]]) -> ChunkOutcome:
        """End the run; for a complete list, settle the stored open documents it did not contain.

        ``absent`` are key and open amount of every document of the administration Settle holds
        as not settled that no record of the run named: neither read (whether used, ignored or
        a rejected duplicate) nor rejected with that number, since a rejected record is still in
        the source (``InMemoryRunMemory.absent`` says which). Absence is not trusted when a
        rejected record's number could not be read (it may be one of them) or when the list held
        no records at all (more likely a failed export than an administration with nothing
        open); ``notices`` then says so.
        """
        self._finished = True
        self._positions, self._standing = {}, {}
        outcome = ChunkOutcome()
        if not self.complete:
            return outcome
        if self._rejected_without_number:
            outcome.notices.append(
                f"{self._rejected_without_number} rejected record(s) had no readable invoice "
                "number, so invoices missing from this list were not settled"
            )
            return outcome
        if self._counts.records == 0:
            outcome.notices.append(
                "the list of open items was empty, so no invoice was settled; "
                "check that the export is complete"
            )
            return outcome
        for key, open_amount in absent:
            outcome.facts.append(
                InvoiceSettled(
                    key=key,
                    reason="absent_from_complete_list",
                    open_amount_before=open_amount,
                    open_amount=open_amount,
                    fingerprint=None,
                )
            )
            self._counts.settled += 1
        return outcome

    # -- per record ---------------------------------------------------------------------------

    def _reject(self, rejected: RejectedRecord, outcome: ChunkOutcome) -> None:
        self._counts.rejected += 1
        outcome.rejected.append(rejected)
        if not rejected.reference:
            self._rejected_without_number += 1

    def _is_ignored(self, invoice: ImportedInvoice, ignore: IgnoreRules) -> bool:
        return (
            invoice.number in ignore.invoice_numbers
            or invoice.debtor_number in ignore.debtor_numbers
            or (
                invoice.payment_condition is not None
                and invoice.payment_condition in ignore.payment_conditions
            )
        )

    def _reconcile_record(
        self,
        record: SourceRecord,
        documents: Mapping[DocumentKey, StoredDocument],
        debtors: Mapping[str, str],
        outcome: ChunkOutcome,
        ignore: IgnoreRules | None,
    ) -> None:
        invoice = record.invoice
        if invoice.due_date_source == "default_term":
            invoice = with_default_term(invoice, self.default_payment_term_days)
        key = (invoice.kind, invoice.number)
        first_position = self._positions.get(key)
        if first_position is not None:
            kind = "credit note" if invoice.kind == "credit_note" else "invoice"
            self._reject(
                RejectedRecord(
                    record.position,
                    invoice.number,
                    f"{kind} number {invoice.number} occurs more than once in this import; "
                    f"only the first ({first_position}) was used",
                ),
                outcome,
            )
            return
        self._positions[key] = outcome.first_seen[key] = record.position
        if ignore is not None and self._is_ignored(invoice, ignore):
            self._counts.ignored += 1
            return

        debtor = record.debtor
        if debtor is not None:
            standing = self._standing.get(debtor.number, _NOT_SEEN)
            if not standing.decided and standing.waiting is None:
                self._stand(debtor.number, standing.with_waiting(debtor), outcome)
        is_open = invoice.is_open
        if is_open:
            number = invoice.debtor_number
            standing = self._standing.get(number, _NOT_SEEN)
            if not standing.decided:
                if not standing.open_document:
                    standing = standing.with_open_document()
                    self._stand(number, standing, outcome)
                if standing.waiting is not None:
                    self._decide_debtor(number, standing, debtors, outcome)

        fingerprint = invoice_fingerprint(invoice)
        stored = documents.get(key)
        if stored is None:
            if is_open:
                self._counts.new += 1
                outcome.facts.append(
                    InvoiceImported(invoice, fingerprint)
                    if invoice.kind == "invoice"
                    else CreditNoteImported(invoice, fingerprint)
                )
            else:
                self._counts.closed_not_imported += 1
            return
        if stored.fingerprint == fingerprint and stored.settled != is_open:
            self._counts.unchanged += 1
            return
        self._reconcile_changed(invoice, stored.state(), fingerprint, is_open, outcome)

    def _reconcile_changed(
        self,
        invoice: ImportedInvoice,
        stored: StoredInvoice,
        fingerprint: str,
        is_open: bool,
        outcome: ChunkOutcome,
    ) -> None:
        facts_before = len(outcome.facts)
        key = (invoice.kind, invoice.number)
        if fixed_half(stored.fingerprint) != fixed_half(fingerprint):
            self._flag_fixed_field_changes(invoice, stored, fingerprint, outcome)

        updated = _updated_fields(invoice, stored)
        if stored.settled:
            if is_open:
                outcome.facts.append(
                    InvoiceReopened(
                        key,
                        invoice.open_amount,
                        invoice.payment_condition,
                        invoice.pdf_url,
                        fingerprint,
                    )
                )
                self._counts.reopened += 1
        elif not is_open:
            reason: SettledReason = "paid"
            if invoice.open_amount != 0:
                reason = "overbooked"
                self._flag(
                    outcome,
                    key,
                    "open_amount",
                    stored.open_amount,
                    invoice.open_amount,
                    f"more was booked than the amount of {stored.amount}",
                    fingerprint,
                )
            outcome.facts.append(
                InvoiceSettled(key, reason, stored.open_amount, invoice.open_amount, fingerprint)
            )
            self._counts.settled += 1
        elif updated:
            outcome.facts.append(
                InvoiceChanged(
                    key,
                    stored.open_amount,
                    invoice.open_amount,
                    invoice.payment_condition,
                    invoice.pdf_url,
                    updated,
                    fingerprint,
                )
            )
            self._counts.changed += 1

        if len(outcome.facts) == facts_before:
            # Nothing Settle shows changed (a flagged value went back, or a closed document's
            # details moved): only the stored fingerprint is stale.
            self._counts.unchanged += 1
            outcome.fingerprints.append((key, fingerprint))

    def _flag_fixed_field_changes(
        self,
        invoice: ImportedInvoice,
        stored: StoredInvoice,
        fingerprint: str,
        outcome: ChunkOutcome,
    ) -> None:
        key = (invoice.kind, invoice.number)
        for name, held, now in (
            ("amount", stored.amount, invoice.amount),
            ("invoice_date", stored.invoice_date, invoice.invoice_date),
            ("due_date", stored.due_date, invoice.due_date),
            ("debtor_number", stored.debtor_number, invoice.debtor_number),
            ("currency", stored.currency, invoice.currency),
        ):
            if held != now:
                label = name.replace("_", " ")
                self._flag(
                    outcome,
                    key,
                    name,
                    held,
                    now,
                    f"the {label} changed in bookkeeping after the first import; "
                    "Settle keeps the original",
                    fingerprint,
                )

    def _flag(
        self,
        outcome: ChunkOutcome,
        key: DocumentKey,
        name: str,
        held: object,
        now: object,
        reason: str,
        fingerprint: str,
    ) -> None:
        outcome.facts.append(
            PossibleBookkeepingError(key, name, _shown(held), _shown(now), reason, fingerprint)
        )
        self._counts.flagged += 1

    # -- debtors ------------------------------------------------------------------------------

    def _reconcile_standalone_debtor(
        self,
        debtor: ImportedDebtor,
        debtors: Mapping[str, str],
        outcome: ChunkOutcome,
        ignore: IgnoreRules | None,
    ) -> None:
        standing = self._standing.get(debtor.number, _NOT_SEEN)
        if standing.decided:
            return
        if ignore is not None and debtor.number in ignore.debtor_numbers:
            self._counts.ignored += 1
            return
        if standing.waiting is None:
            standing = standing.with_waiting(debtor)
            self._stand(debtor.number, standing, outcome)
        if standing.open_document:
            self._decide_debtor(debtor.number, standing, debtors, outcome)

    def _stand(self, number: str, standing: DebtorSoFar, outcome: ChunkOutcome) -> None:
        self._standing[number] = outcome.debtor_standing[number] = standing

    def _decide_debtor(
        self,
        number: str,
        standing: DebtorSoFar,
        debtors: Mapping[str, str],
        outcome: ChunkOutcome,
    ) -> None:
        """Compare the debtor's waiting details with Settle's, once per run."""
        debtor = standing.waiting
        assert debtor is not None
        self._stand(number, standing.as_decided(), outcome)
        fingerprint = debtor_fingerprint(debtor)
        stored = debtors.get(number)
        if stored == fingerprint:
            return
        self._counts.debtors_upserted += 1
        outcome.facts.append(DebtorUpserted(debtor, fingerprint, created=stored is None))


def _updated_fields(invoice: ImportedInvoice, stored: StoredInvoice) -> tuple[str, ...]:
    changed: list[str] = []
    if invoice.open_amount != stored.open_amount:
        changed.append("open_amount")
    if invoice.payment_condition != stored.payment_condition:
        changed.append("payment_condition")
    if invoice.pdf_url != stored.pdf_url:
        changed.append("pdf_url")
    return tuple(changed)


def _shown(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    return str(value)


# How a fact changes what Settle holds -----------------------------------------------------------


def applied(fact: DocumentFact, before: StoredInvoice | None) -> StoredInvoice:
    """The stored state of a document after a fact about it; ``before`` is its state before
    (``None`` for a document the fact imports). The one place that says how facts change the
    snapshot: the database and the tests' in-memory snapshot both apply facts through it."""
    # By exact type: facts are final classes, and this runs for every document imported.
    if type(fact) is InvoiceImported:
        return StoredInvoice.first_import(fact.invoice, fact.fingerprint)
    if type(fact) is CreditNoteImported:
        return StoredInvoice.first_import(fact.credit_note, fact.fingerprint)
    assert before is not None, "a fact about a stored document needs its stored state"
    if type(fact) is InvoiceChanged:
        return replace(
            before,
            open_amount=fact.open_amount,
            payment_condition=fact.payment_condition,
            pdf_url=fact.pdf_url,
            fingerprint=fact.fingerprint,
        )
    if type(fact) is InvoiceSettled:
        return replace(
            before,
            settled=True,
            open_amount=fact.open_amount,
            fingerprint=fact.fingerprint or before.fingerprint,
        )
    if type(fact) is InvoiceReopened:
        return replace(
            before,
            settled=False,
            open_amount=fact.open_amount,
            payment_condition=fact.payment_condition,
            pdf_url=fact.pdf_url,
            fingerprint=fact.fingerprint,
        )
    return replace(before, fingerprint=fact.fingerprint)  # a PossibleBookkeepingError


def refingerprinted(before: StoredInvoice, fingerprint: str) -> StoredInvoice:
    """A stored document whose record changed in nothing that matters: its new fingerprint."""
    return replace(before, fingerprint=fingerprint)
