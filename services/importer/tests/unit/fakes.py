"""In-memory fakes of the importer's snapshot and run memory, and drivers that reconcile a whole
run against them: the reference the database-backed adapters are tested against. Facts are
applied through the domain's ``applied``, as the service applies them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Protocol

from settle_importer.domain import (
    ChunkOutcome,
    CreditNoteImported,
    DebtorSoFar,
    DebtorUpserted,
    DocumentKey,
    IgnoreRules,
    ImportCounts,
    InvoiceImported,
    Lookups,
    Reconciliation,
    RunSoFar,
    SourceItem,
    StoredInvoice,
    applied,
    refingerprinted,
)

DEFAULT_CHUNK_SIZE = 1000


class Snapshot(Protocol):
    """Read access to what Settle holds for one administration, by chunk."""

    def documents(self, keys: Collection[DocumentKey]) -> Mapping[DocumentKey, StoredInvoice]: ...

    def debtor_fingerprints(self, numbers: Collection[str]) -> Mapping[str, str]: ...

    def unsettled(self) -> Iterable[tuple[DocumentKey, Decimal]]:
        """Key and open amount of every document held as not settled."""
        ...


@dataclass
class InMemorySnapshot:
    """A ``Snapshot`` held in dictionaries; ``apply`` shows how facts change the stored state."""

    stored_documents: dict[DocumentKey, StoredInvoice] = field(default_factory=dict)
    stored_debtors: dict[str, str] = field(default_factory=dict)

    def documents(self, keys: Collection[DocumentKey]) -> Mapping[DocumentKey, StoredInvoice]:
        return {key: self.stored_documents[key] for key in keys if key in self.stored_documents}

    def debtor_fingerprints(self, numbers: Collection[str]) -> Mapping[str, str]:
        return {n: self.stored_debtors[n] for n in numbers if n in self.stored_debtors}

    def unsettled(self) -> Iterable[tuple[DocumentKey, Decimal]]:
        return [
            (key, doc.open_amount) for key, doc in self.stored_documents.items() if not doc.settled
        ]

    def apply(self, outcome: ChunkOutcome) -> None:
        """Change the stored state as the facts of ``outcome`` say (``applied``, as the
        service does)."""
        docs = self.stored_documents
        for fact in outcome.facts:
            if isinstance(fact, DebtorUpserted):
                self.stored_debtors[fact.debtor.number] = fact.fingerprint
            elif isinstance(fact, InvoiceImported):
                docs[fact.invoice.key] = applied(fact, None)
            elif isinstance(fact, CreditNoteImported):
                docs[fact.credit_note.key] = applied(fact, None)
            else:
                docs[fact.key] = applied(fact, docs[fact.key])
        for key, fingerprint in outcome.fingerprints:
            docs[key] = refingerprinted(docs[key], fingerprint)


@dataclass
class InMemoryRunMemory:
    """What a run has read so far, held in dictionaries: the reference for a database-backed
    memory, and enough for small runs and tests. It grows with the source."""

    positions: dict[DocumentKey, str] = field(default_factory=dict)
    debtors: dict[str, DebtorSoFar] = field(default_factory=dict)
    rejected_numbers: set[str] = field(default_factory=set)

    def so_far(self, needed: Lookups) -> RunSoFar:
        """What earlier chunks left for the documents and debtors of one chunk."""
        positions, debtors = self.positions, self.debtors
        return RunSoFar(
            {key: positions[key] for key in needed.documents if key in positions},
            {number: debtors[number] for number in needed.debtors if number in debtors},
        )

    def remember(self, outcome: ChunkOutcome) -> None:
        """Keep what a chunk added: its new numbers, debtor standings and rejected numbers."""
        self.positions.update(outcome.first_seen)
        self.debtors.update(outcome.debtor_standing)
        self.rejected_numbers.update(r.reference for r in outcome.rejected if r.reference)

    def absent(
        self, unsettled: Iterable[tuple[DocumentKey, Decimal]]
    ) -> Iterator[tuple[DocumentKey, Decimal]]:
        """The documents among ``unsettled`` that no record of the run named, read or
        rejected."""
        for key, open_amount in unsettled:
            if key not in self.positions and key[1] not in self.rejected_numbers:
                yield key, open_amount


@dataclass(slots=True)
class RunResult(ChunkOutcome):
    """Everything a whole run produced, for callers that do not stream (tests, small files)."""

    counts: ImportCounts = field(default_factory=ImportCounts)


def chunked(
    items: Iterable[SourceItem], size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[list[SourceItem]]:
    """Cut a stream of records into lists of at most ``size``."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def reconcile_stream(
    items: Iterable[SourceItem],
    snapshot: Snapshot,
    *,
    complete: bool,
    ignore: IgnoreRules | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[ChunkOutcome]:
    """Reconcile a stream chunk by chunk; the last outcome is the end of the run.

    The snapshot is read per chunk; if it is also written to between chunks (facts applied), the
    result is the same, because a document occurs in one chunk only.
    """
    run = Reconciliation(complete=complete, ignore=ignore)
    memory = InMemoryRunMemory()
    for chunk in chunked(items, chunk_size):
        needed = run.lookups(chunk)
        outcome = run.reconcile_chunk(
            chunk,
            snapshot.documents(needed.documents),
            snapshot.debtor_fingerprints(needed.debtors),
            memory.so_far(needed),
        )
        memory.remember(outcome)
        yield outcome
    yield run.finish(memory.absent(snapshot.unsettled()))


def reconcile(
    items: Iterable[SourceItem],
    snapshot: Snapshot,
    *,
    complete: bool,
    ignore: IgnoreRules | None = None,
    default_payment_term_days: int = 30,
) -> RunResult:
    """Reconcile a whole run at once and return all its facts, rejects and counts."""
    result = RunResult()
    run = Reconciliation(
        complete=complete, ignore=ignore, default_payment_term_days=default_payment_term_days
    )
    memory = InMemoryRunMemory()
    for chunk in chunked(items):
        needed = run.lookups(chunk)
        outcome = run.reconcile_chunk(
            chunk,
            snapshot.documents(needed.documents),
            snapshot.debtor_fingerprints(needed.debtors),
            memory.so_far(needed),
        )
        memory.remember(outcome)
        _collect(result, outcome)
    _collect(result, run.finish(memory.absent(snapshot.unsettled())))
    result.counts = run.counts
    return result


def _collect(result: RunResult, outcome: ChunkOutcome) -> None:
    result.facts.extend(outcome.facts)
    result.rejected.extend(outcome.rejected)
    result.notices.extend(outcome.notices)
    result.fingerprints.extend(outcome.fingerprints)
