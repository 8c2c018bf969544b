"""A Bloom filter of the numbers a run has read, so that a number certainly new to the run is
not looked up in the run's memory (docs/importing.md, "What each mechanism buys")."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


class BloomFilter:
    """The numbers read in a run (document keys, debtor numbers), as a Bloom filter: never wrong
    when it says a number was not read; when it says it may have been, the database is asked.
    Sized for the numbers the source is expected to hold, 256 bits each, from 32 KiB to 4 MiB
    (docs/importing.md says how often it is wrong)."""

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
