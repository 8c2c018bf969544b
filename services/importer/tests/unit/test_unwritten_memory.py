"""The run's memory not yet written: lookups are completed from it, and each debtor's standing
goes to the right statement (inserted once, updated after)."""

from __future__ import annotations

import pytest

from settle_importer.adapters.run_memory import RunMemoryRepository
from settle_importer.application.bloom_filter import BloomFilter
from settle_importer.application.memory import UnwrittenMemory
from settle_importer.domain import ChunkOutcome, DebtorSoFar, Lookups, RunSoFar

pytestmark = pytest.mark.unit

OPEN = DebtorSoFar(open_document=True)
DECIDED = DebtorSoFar(decided=True, open_document=True)


def chunk(*numbers: str, debtors: dict[str, DebtorSoFar] | None = None) -> ChunkOutcome:
    return ChunkOutcome(
        first_seen={("invoice", n): f"line {n}" for n in numbers}, debtor_standing=debtors or {}
    )


def needing(*numbers: str, debtors: tuple[str, ...] = ()) -> Lookups:
    return Lookups(frozenset(("invoice", n) for n in numbers), frozenset(debtors))


def asked_so_far(memory: UnwrittenMemory, stored: RunSoFar, needed: Lookups) -> RunSoFar:
    return memory.so_far(stored, needed, memory.to_look_up(needed))


def test_batches_are_taken_when_full_and_looked_up_until_written() -> None:
    memory = UnwrittenMemory(flush_at=3)
    memory.add(chunk("1", "2"), RunSoFar())
    assert memory.take() is None  # two entries: not full yet
    memory.add(chunk("3", debtors={"D1": OPEN}), RunSoFar())

    batch = memory.take()
    memory.add(chunk("4"), RunSoFar())

    assert batch is not None and len(batch) == 4
    so_far = asked_so_far(memory, RunSoFar(), needing("1", "4", "9", debtors=("D1",)))
    assert so_far.positions == {("invoice", "1"): "line 1", ("invoice", "4"): "line 4"}
    assert so_far.debtors == {"D1": OPEN}
    memory.written()
    assert asked_so_far(memory, RunSoFar(), needing("1")).positions == {}  # the database's


def test_a_debtor_with_a_row_is_updated_and_a_new_one_inserted_once() -> None:
    memory = UnwrittenMemory(flush_at=1)
    memory.add(chunk(debtors={"D1": OPEN, "D2": OPEN}), RunSoFar(debtors={"D1": OPEN}))
    first = memory.take()
    # D2's row is being written: its next standing is an update, and the newer one wins.
    memory.add(chunk(debtors={"D2": DECIDED}), RunSoFar())

    assert first is not None
    assert first.known_debtors == {"D1": OPEN} and first.new_debtors == {"D2": OPEN}
    assert asked_so_far(memory, RunSoFar(), needing(debtors=("D2",))).debtors == {"D2": DECIDED}
    memory.written()
    second = memory.take(all_of_it=True)
    assert second is not None and second.known_debtors == {"D2": DECIDED}
    assert second.new_debtors == {}


def test_a_debtor_decided_in_the_run_is_not_looked_up_again_up_to_a_limit() -> None:
    memory = UnwrittenMemory(flush_at=1, decided_kept=1)
    memory.add(chunk(debtors={"D1": DECIDED, "D2": DECIDED}), RunSoFar())
    memory.take()
    memory.written()

    asked = memory.to_look_up(needing(debtors=("D1", "D2")))
    so_far = memory.so_far(RunSoFar(debtors={"D2": DECIDED}), needing(debtors=("D1", "D2")), asked)

    assert asked.debtors == {"D2"}  # one kept in memory, the other from the database
    assert so_far.debtors["D1"].decided and so_far.debtors["D2"].decided


def test_numbers_certainly_new_to_the_run_are_not_looked_up() -> None:
    memory = UnwrittenMemory(flush_at=10)
    memory.add(chunk("1", "2"), RunSoFar())

    asked = memory.to_look_up(needing("1", "2", "3"))

    # "3" was never read; a filter of 4 MiB holding two numbers cannot mistake it for one.
    assert asked.documents == {("invoice", "1"), ("invoice", "2")}
    assert not any(memory.numbers.may_have(("invoice", f"new-{n}")) for n in range(1000))


def test_debtors_not_met_before_in_the_run_are_not_looked_up() -> None:
    memory = UnwrittenMemory(flush_at=1, decided_kept=10)
    memory.add(chunk(debtors={"D1": OPEN, "D2": DECIDED}), RunSoFar())
    memory.take()
    memory.written()
    needed = needing(debtors=("D1", "D2", "D3"))

    asked = memory.to_look_up(needed)
    so_far = memory.so_far(RunSoFar(debtors={"D1": OPEN}), needed, asked)

    # D1 was met and is undecided: the database says how far it got. D2 is known decided.
    # D3 was never met, so nothing holds a standing for it.
    assert asked.debtors == {"D1"}
    assert so_far.debtors == {"D1": OPEN, "D2": DECIDED}
    assert not any(memory.debtors_met.may_have(f"new-{n}") for n in range(1000))


class NoDatabase:
    """A session that fails any use: the lookup must not need one."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the database was used ({name})")


async def test_a_chunk_with_nothing_to_ask_costs_no_database_round_trip() -> None:
    # Most chunks of an import: every number new to the run, every debtor new or decided.
    memory = RunMemoryRepository(NoDatabase(), "adm-1", "run-1", postgres=True)  # type: ignore[arg-type]

    assert await memory.so_far(Lookups(frozenset(), frozenset())) == RunSoFar()


def test_the_filter_of_numbers_read_rarely_sends_a_new_number_to_the_database() -> None:
    # Each wrong "maybe" is a round trip the run waits for: at 100,000 numbers read, about
    # one in a million new numbers (with 1 MiB and two places it was one in 2,000).
    read = BloomFilter()
    read.add_all(("invoice", f"F{n:07d}") for n in range(100_000))

    assert len(read.maybe_read(("invoice", f"G{n:07d}") for n in range(100_000))) < 5
    assert read.maybe_read([("invoice", "F0000042")]) == [("invoice", "F0000042")]


def test_a_small_source_gets_a_small_filter_that_is_as_rarely_wrong() -> None:
    # A daily import of a thousand open items runs beside others: it takes 32 KiB, not 4 MiB.
    read = BloomFilter(expected=1_000)
    read.add_all(("invoice", f"F{n:07d}") for n in range(1_000))

    assert read.nbytes <= 32 * 1024
    assert len(read.maybe_read(("invoice", f"G{n:07d}") for n in range(100_000))) < 5
