"""What a run's memory gained that is not in the database yet.

Writing a chunk's numbers and debtor standings with every chunk would cost a transaction per
chunk even when nothing changed (a second import of the same file writes nothing else), so
they are collected here and written in batches of ``flush_at`` entries, with the chunk that
fills the batch or at the end of the run. Until a batch is committed, lookups of the run so far
are completed from it: memory stays bounded by two batches, whatever the size of the source.

Debtors decided in the run are also kept here, up to ``decided_kept`` of them: a decision is
final, so such a debtor needs no lookup at all when it recurs (in most exports every debtor has
several invoices). Beyond that many, they are looked up like the rest. And every number read
goes into a filter of fixed size (``NumbersRead``): a number it has not seen is certainly new
to the run and is not looked up, which in a file without duplicates is nearly every number.
Debtor numbers met go into a filter of their own, so a debtor's first invoice in the run asks
nothing either (in a first import, that was a thousand-number query for each early chunk)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

from settle_importer.adapters.run_memory import MemoryBatch
from settle_importer.domain import ChunkOutcome, DebtorSoFar, Lookups, RunSoFar

_DECIDED = DebtorSoFar(decided=True, open_document=True)
K = TypeVar("K", bound=Hashable)


class NumbersRead:
    """A Bloom filter of the numbers read in a run (document keys, debtor numbers). ``may_have``
    is never wrong when it says no; when it says yes the database is asked, a round trip the
    run waits for. Sized for the numbers the source is expected to hold, 256 bits each, from
    32 KiB to 4 MiB whatever the size of the source: wrong yeses are then about 1 in a million
    up to 100,000 numbers and 1 in 1,600 at a million (with 1 MiB and two places they had been
    1 in 2,000 and 1 in 20: a lookup in most chunks of a first import)."""

    # A place in the filter is an index of up to this many bits (4 MiB of bits).
    _INDEX_BITS = 25

    def __init__(self, expected: int | None = None) -> None:
        wanted = (expected if expected is not None else 1 << 17) * 256
        index_bits = min(max(wanted.bit_length(), 18), self._INDEX_BITS)
        self._mask = (1 << index_bits) - 1
        self._bits = bytearray(1 << (index_bits - 3))

    # Three places from one hash (Python's, stable within the process that runs the run): two
    # slices of it and their sum. The loops are written out: they run for every number read.
    def add_all(self, keys: Iterable[Hashable]) -> None:
        mask, bits, shift = self._mask, self._bits, self._INDEX_BITS
        for key in keys:
            h = hash(key)
            a, b = h & mask, (h >> shift) & mask
            c = (a + b) & mask
            bits[a >> 3] |= 1 << (a & 7)
            bits[b >> 3] |= 1 << (b & 7)
            bits[c >> 3] |= 1 << (c & 7)

    def maybe_read(self, keys: Iterable[K]) -> list[K]:
        """The keys the filter may have seen; the others certainly were not added."""
        mask, bits, shift = self._mask, self._bits, self._INDEX_BITS
        found: list[K] = []
        for key in keys:
            h = hash(key)
            a, b = h & mask, (h >> shift) & mask
            c = (a + b) & mask
            if (
                bits[a >> 3] & (1 << (a & 7))
                and bits[b >> 3] & (1 << (b & 7))
                and bits[c >> 3] & (1 << (c & 7))
            ):
                found.append(key)
        return found

    def may_have(self, key: Hashable) -> bool:
        return bool(self.maybe_read((key,)))

    @property
    def nbytes(self) -> int:
        """The memory the filter takes."""
        return len(self._bits)


class UnwrittenMemory:
    """The batch being collected, the batch being written and debtors known decided."""

    def __init__(self, flush_at: int, decided_kept: int = 0, expected: int | None = None) -> None:
        self.flush_at = flush_at
        self.collecting = MemoryBatch()
        self.writing: MemoryBatch | None = None
        self.decided_kept = decided_kept
        self.decided: set[str] = set()
        self.numbers = NumbersRead(expected)
        self.debtors_met = NumbersRead(expected)

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
