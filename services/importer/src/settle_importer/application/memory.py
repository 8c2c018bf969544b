"""What a run's memory gained that is not in the database yet.

Writing a chunk's numbers and debtor standings with every chunk would cost a transaction per
chunk even when nothing changed (a second import of the same file writes nothing else), so
they are collected here and written in batches of ``flush_at`` entries, with the chunk that
fills the batch or at the end of the run. Until a batch is committed, lookups of the run so far
are completed from it: memory stays bounded by two batches, whatever the size of the source.

Debtors decided in the run are also kept here, up to ``decided_kept`` of them: a decision is
final, so such a debtor needs no lookup at all when it recurs (in most exports every debtor has
several invoices). Beyond that many, they are looked up like the rest."""

from __future__ import annotations

from settle_importer.adapters.run_memory import MemoryBatch
from settle_importer.domain import ChunkOutcome, DebtorSoFar, Lookups, RunSoFar

_DECIDED = DebtorSoFar(decided=True, open_document=True)


class UnwrittenMemory:
    """The batch being collected, the batch being written and debtors known decided."""

    def __init__(self, flush_at: int, decided_kept: int = 0) -> None:
        self.flush_at = flush_at
        self.collecting = MemoryBatch()
        self.writing: MemoryBatch | None = None
        self.decided_kept = decided_kept
        self.decided: set[str] = set()

    def to_look_up(self, needed: Lookups) -> Lookups:
        """What of ``needed`` the database must say: not the debtors known decided."""
        decided = self.decided
        if not decided:
            return needed
        return Lookups(needed.documents, frozenset(n for n in needed.debtors if n not in decided))

    def so_far(self, stored: RunSoFar, needed: Lookups) -> RunSoFar:
        """The run so far as read from the database, completed with what is not written yet
        and with the debtors known decided."""
        batches = [b for b in (self.writing, self.collecting) if b is not None and len(b)]
        known = [n for n in needed.debtors if n in self.decided] if self.decided else []
        if not batches and not known:
            return stored
        positions = dict(stored.positions)
        debtors = dict(stored.debtors)
        for number in known:
            debtors[number] = _DECIDED
        for batch in batches:  # the older first: the newer standing wins
            for key in needed.documents:
                position = batch.positions.get(key)
                if position is not None:
                    positions[key] = position
            for number in needed.debtors:
                standing = batch.standing(number)
                if standing is not None:
                    debtors[number] = standing
        return RunSoFar(positions, debtors)

    def add(self, outcome: ChunkOutcome, stored: RunSoFar) -> None:
        """Collect what a chunk added; ``stored`` is what the database held for the chunk."""
        batch = self.collecting
        batch.positions.update(outcome.first_seen)
        writing = self.writing
        for number, standing in outcome.debtor_standing.items():
            has_row = number in stored.debtors or (
                writing is not None and writing.standing(number) is not None
            )
            if has_row or number in batch.known_debtors:
                batch.known_debtors[number] = standing
            else:
                batch.new_debtors[number] = standing
            if standing.decided and len(self.decided) < self.decided_kept:
                self.decided.add(number)

    def take(self, *, all_of_it: bool = False) -> MemoryBatch | None:
        """The batch to write now, if it is full (or, at the end, whatever there is)."""
        batch = self.collecting
        if not len(batch) or (len(batch) < self.flush_at and not all_of_it):
            return None
        assert self.writing is None, "one batch at a time"
        self.writing, self.collecting = batch, MemoryBatch()
        return batch

    def written(self) -> None:
        """The batch being written is committed: lookups find it in the database."""
        self.writing = None
