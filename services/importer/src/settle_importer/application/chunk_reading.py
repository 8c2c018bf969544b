"""The read stage of an import: the source's records in chunks, each with the stored state of
its documents and debtors. Every source is parsed in a worker thread (``parse_records``), so the
event loop answers health checks and carries the chunk transactions in flight meanwhile, however
long one step of a parser takes; a first import reads nothing stored. docs/importing.md says what
each buys."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from itertools import islice

from settle_importer.application.context import ImporterContext
from settle_importer.application.memory import UnwrittenMemory
from settle_importer.application.ports import Connector
from settle_importer.domain import DocumentKey, Lookups, Reconciliation, SourceItem
from settle_importer.domain.snapshot import WorkingDebtor, WorkingDocument


@dataclass(frozen=True, slots=True)
class Chunk:
    """A chunk of records with the stored state of its documents and debtors."""

    items: list[SourceItem]
    needed: Lookups
    docs: dict[DocumentKey, WorkingDocument]
    debtor_rows: dict[str, WorkingDebtor]

    def debtor_fingerprints(self) -> dict[str, str]:
        return {number: row.fingerprint for number, row in self.debtor_rows.items()}


def parse_records(
    records: Iterator[SourceItem], size: int
) -> Callable[[], Awaitable[list[SourceItem]]]:
    """How the next chunk's records are read: in a worker thread, whatever the source. One step
    of a parser can take long (opening a workbook reads its whole shared-string table: seconds
    for a large export), and a source may wait on the network; on the event loop either would
    stall the service's health checks and every transaction in flight."""
    return lambda: asyncio.to_thread(lambda: list(islice(records, size)))


class ChunkReader:
    """The chunks of a run, each with the stored rows of its documents and debtors.

    Read while earlier chunks' transactions may still be in flight, the stored rows cannot be
    stale where it matters: a document occurs in one chunk only (a second occurrence is
    rejected by the run's memory before stored state is looked at), and a debtor written by an
    earlier chunk was decided there, so its stored row is not used again. A debtor known
    decided is not read at all. For the same reasons, when nothing was stored before the run
    (``first_import``; one run per administration at a time), nothing is read."""

    def __init__(
        self,
        ctx: ImporterContext,
        administration_id: str,
        connector: Connector,
        reconciliation: Reconciliation,
        unwritten: UnwrittenMemory,
        *,
        first_import: bool,
    ) -> None:
        self._ctx, self._administration_id = ctx, administration_id
        self._read = parse_records(connector.records(), ctx.settings.chunk_size)
        self._reconciliation = reconciliation
        self._unwritten = unwritten
        self._first_import = first_import

    async def chunks(self) -> AsyncIterator[Chunk]:
        while items := await self._read():
            yield await self._with_stored_state(items)

    async def _with_stored_state(self, items: list[SourceItem]) -> Chunk:
        needed = self._reconciliation.lookups(items)
        if self._first_import:
            return Chunk(items, needed, {}, {})
        async with self._ctx.sessions() as session:
            repo = self._ctx.repositories(session).snapshot(self._administration_id)
            docs = await repo.documents(needed.documents)
            debtor_rows = await repo.debtors(self._unwritten.not_decided(needed.debtors))
        return Chunk(items, needed, docs, debtor_rows)
