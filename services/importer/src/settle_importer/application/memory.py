"""What a run's memory gained that is not in the database yet.

Writing a chunk's numbers and debtor standings with every chunk would cost a transaction per
chunk even when nothing changed (a second import of the same file writes nothing else), so
they are collected here and written in batches of ``flush_at`` entries, with the chunk that
fills the batch or at the end of the run. Until a batch is committed, lookups of the run so far
are completed from it: memory stays bounded by two batches, whatever the size of the source."""

from __future__ import annotations

from settle_importer.adapters.run_memory import MemoryBatch
from settle_importer.domain import ChunkOutcome, Lookups, RunSoFar


class UnwrittenMemory:
    """The batch being collected and the batch being written."""

    def __init__(self, flush_at: int) -> None:
        self.flush_at = flush_at
        self.collecting = MemoryBatch()
        self.writing: MemoryBatch | None = None

    def so_far(self, stored: RunSoFar, needed: Lookups) -> RunSoFar:
        """The run so far as read from the database, completed with what is not written yet."""
        batches = [b for b in (self.writing, self.collecting) if b is not None and len(b)]
        if not batches:
            return stored
        positions = dict(stored.positions)
        debtors = dict(stored.debtors)
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
