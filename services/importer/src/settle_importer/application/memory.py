"""The run's memory as the pipeline sees it: what is in the database, completed with what it
gained and is not written yet (written in batches of ``flush_at`` entries, not per chunk).

Three strategies spare lookups: debtors decided in the run are kept (up to ``decided_kept``; a
decision is final, so they need no lookup when they recur), and numbers and debtors read go
into Bloom filters, so one certainly new to the run is not looked up. What each buys:
docs/importing.md."""

from __future__ import annotations

from settle_importer.application.bloom_filter import BloomFilter
from settle_importer.application.context import ImporterContext
from settle_importer.domain import ChunkOutcome, DebtorSoFar, Lookups, RunSoFar
from settle_importer.domain.run_memory import MemoryBatch

_DECIDED = DebtorSoFar(decided=True, open_document=True)


class UnwrittenMemory:
    """The batch being collected, the batch being written and debtors known decided."""

    def __init__(self, flush_at: int, decided_kept: int = 0, expected: int | None = None) -> None:
        self.flush_at = flush_at
        self.collecting = MemoryBatch()
        self.writing: MemoryBatch | None = None
        self.decided_kept = decided_kept
        self.decided: set[str] = set()
        self.numbers = BloomFilter(expected)
        self.debtors_met = BloomFilter(expected)

    def to_look_up(self, needed: Lookups) -> Lookups:
        """What of ``needed`` the database must say: not the numbers nor the debtors certainly
        new to the run, nor the debtors known decided."""
        return Lookups(
            frozenset(self.numbers.maybe_read(needed.documents)),
            frozenset(self.debtors_met.maybe_read(self.not_decided(needed.debtors))),
        )

    def not_decided(self, debtors: frozenset[str]) -> frozenset[str]:
        """The debtors among ``debtors`` not known decided in the run."""
        return debtors - self.decided if self.decided else debtors

    def so_far(self, stored: RunSoFar, needed: Lookups, asked: Lookups) -> RunSoFar:
        """The run so far as the database said it for ``asked`` (what ``to_look_up(needed)``
        answered), completed with what is not written yet and with the debtors known decided.
        A number or debtor ``asked`` leaves out was not met before in the run, so no batch
        holds it, or is a debtor known decided, which is final."""
        batches = [b for b in (self.writing, self.collecting) if b is not None and len(b)]
        known = needed.debtors & self.decided
        if not batches and not known:
            return stored
        positions = dict(stored.positions)
        debtors = dict(stored.debtors)
        for number in known:
            debtors[number] = _DECIDED
        for batch in batches:  # the older first: the newer standing wins
            for key in asked.documents:
                position = batch.positions.get(key)
                if position is not None:
                    positions[key] = position
            for number in asked.debtors:
                standing = batch.standing(number)
                if standing is not None:
                    debtors[number] = standing
        return RunSoFar(positions, debtors)

    def add(self, outcome: ChunkOutcome, stored: RunSoFar) -> None:
        """Collect what a chunk added; ``stored`` is what the database held for the chunk."""
        batch = self.collecting
        batch.positions.update(outcome.first_seen)
        self.numbers.add_all(outcome.first_seen)
        self.debtors_met.add_all(outcome.debtor_standing)
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

    def full(self) -> bool:
        """Whether the batch being collected is due to be written."""
        return len(self.collecting) >= self.flush_at

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


async def look_up_so_far(
    ctx: ImporterContext,
    administration_id: str,
    run_id: str,
    unwritten: UnwrittenMemory,
    needed: Lookups,
) -> tuple[RunSoFar, RunSoFar]:
    """What earlier chunks of the run left for a chunk's ``needed`` numbers and debtors: the
    run so far, and the part of it the database held."""
    asked = unwritten.to_look_up(needed)
    async with ctx.sessions() as session:
        memory = ctx.repositories(session).run_memory(administration_id, run_id)
        stored = await memory.so_far(asked)
    return unwritten.so_far(stored, needed, asked), stored
