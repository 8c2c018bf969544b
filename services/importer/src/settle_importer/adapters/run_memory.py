"""The memory of the run in progress, in the importer's database: what the tests'
``InMemoryRunMemory`` keeps in dictionaries, kept in two tables so that a run's memory use does
not grow with its source. Read per chunk for just that chunk's numbers and debtors, written in
batches, and at the end joined against the snapshot: a complete list settles what the run did
not name."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.repository import driver_connection, insert_tuples
from settle_importer.adapters.tables import documents, rejected_records, run_debtors, run_numbers
from settle_importer.domain import (
    DebtorSoFar,
    DocumentKey,
    ImportedDebtor,
    Lookups,
    RunSoFar,
)
from settle_importer.domain.run_memory import MemoryBatch
from settle_importer.domain.snapshot import from_cents

_NUMBERS_SEEN = """
SELECT kind, number, position FROM import_run_numbers
WHERE number = ANY($3::varchar[]) AND administration_id = $1 AND run_id = $2
"""
_DEBTORS_MET = """
SELECT number, decided, open_document, waiting FROM import_run_debtors
WHERE number = ANY($3::varchar[]) AND administration_id = $1 AND run_id = $2
"""
_NUMBER_COLUMNS = ("administration_id", "run_id", "number", "kind", "position")
_DEBTOR_COLUMNS = ("administration_id", "run_id", "number", "decided", "open_document", "waiting")


class RunMemoryRepository:
    """The memory of one run of one administration, inside one transaction."""

    def __init__(
        self, session: AsyncSession, administration_id: str, run_id: str, *, postgres: bool
    ) -> None:
        self.session = session
        self.administration_id = administration_id
        self.run_id = run_id
        self.postgres = postgres

    def _of_run(self, table: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(
            table.c.administration_id == self.administration_id, table.c.run_id == self.run_id
        )

    async def so_far(self, needed: Lookups) -> RunSoFar:
        """What earlier chunks of the run left for these documents and debtors (two queries)."""
        numbers = sorted({number for _, number in needed.documents})
        debtor_numbers = sorted(needed.debtors)
        if not numbers and not debtor_numbers:
            return RunSoFar()  # nothing to ask: not even a connection (most chunks of an import)
        number_rows: Iterable[Any] = ()
        debtor_rows: Iterable[Any] = ()
        if self.postgres:
            # Straight to the driver, as for the snapshot: a thousand rows per chunk.
            driver = await driver_connection(self.session)
            args = (self.administration_id, self.run_id)
            if numbers:
                number_rows = await driver.fetch(_NUMBERS_SEEN, *args, numbers)
            if debtor_numbers:
                debtor_rows = await driver.fetch(_DEBTORS_MET, *args, debtor_numbers)
        else:
            if numbers:
                number_rows = await self.session.execute(
                    sa.select(
                        run_numbers.c.kind, run_numbers.c.number, run_numbers.c.position
                    ).where(self._of_run(run_numbers), run_numbers.c.number.in_(numbers))
                )
            if debtor_numbers:
                debtor_rows = await self.session.execute(
                    sa.select(
                        run_debtors.c.number,
                        run_debtors.c.decided,
                        run_debtors.c.open_document,
                        run_debtors.c.waiting,
                    ).where(self._of_run(run_debtors), run_debtors.c.number.in_(debtor_numbers))
                )
        positions: dict[DocumentKey, str] = {}
        for kind, number, position in number_rows:
            if (kind, number) in needed.documents:
                positions[(kind, number)] = position
        debtors = {
            number: DebtorSoFar(
                bool(decided), bool(open_document), _debtor(waiting) if waiting else None
            )
            for number, decided, open_document, waiting in debtor_rows
        }
        return RunSoFar(positions, debtors)

    async def remember(self, batch: MemoryBatch) -> int:
        """Write a batch of what the run read: new numbers and debtors inserted, debtors
        already held updated. Returns the rows inserted."""
        administration_id, run = self.administration_id, self.run_id
        numbers = [
            (administration_id, run, number, kind, position[:300])
            for (kind, number), position in batch.positions.items()
        ]
        new_debtors = [
            (administration_id, run, number, s.decided, s.open_document, _json(s.waiting))
            for number, s in batch.new_debtors.items()
        ]
        postgres = self.postgres
        await insert_tuples(self.session, run_numbers, _NUMBER_COLUMNS, numbers, postgres=postgres)
        await insert_tuples(
            self.session, run_debtors, _DEBTOR_COLUMNS, new_debtors, postgres=postgres
        )
        if batch.known_debtors:
            await self.session.execute(
                sa.update(run_debtors)
                .where(self._of_run(run_debtors), run_debtors.c.number == sa.bindparam("b_number"))
                .values(
                    decided=sa.bindparam("b_decided"),
                    open_document=sa.bindparam("b_open_document"),
                    waiting=sa.bindparam("b_waiting"),
                ),
                [
                    {
                        "b_number": number,
                        "b_decided": s.decided,
                        "b_open_document": s.open_document,
                        "b_waiting": _json(s.waiting),
                    }
                    for number, s in batch.known_debtors.items()
                ],
                execution_options={"synchronize_session": False},
            )
        return len(numbers) + len(new_debtors)

    async def absent_page(
        self, after: DocumentKey | None, limit: int
    ) -> list[tuple[DocumentKey, Decimal]]:
        """Key and open amount of the documents held as open that no record of the run named,
        read or rejected, in key order after ``after``: an anti-join, a page at a time."""
        named = sa.exists().where(
            self._of_run(run_numbers),
            run_numbers.c.number == documents.c.number,
            run_numbers.c.kind == documents.c.kind,
        )
        rejected = sa.exists().where(
            rejected_records.c.run_id == self.run_id,
            rejected_records.c.reference == documents.c.number,
        )
        query = sa.select(
            documents.c.kind, documents.c.number, documents.c.open_amount_cents
        ).where(
            documents.c.administration_id == self.administration_id,
            documents.c.settled.is_(False),
            ~named,
            ~rejected,
        )
        if after is not None:
            query = query.where(sa.tuple_(documents.c.kind, documents.c.number) > sa.tuple_(*after))
        rows = await self.session.execute(
            query.order_by(documents.c.kind, documents.c.number).limit(limit)
        )
        return [((kind, number), from_cents(amount)) for kind, number, amount in rows]

    async def refresh_statistics(self) -> None:
        """As the snapshot's: the tables grow from nothing during a run. Only the columns the
        lookups filter on, as there."""
        if self.postgres:
            await self.session.execute(
                sa.text(
                    "ANALYZE import_run_numbers (administration_id, run_id, kind, number), "
                    "import_run_debtors (administration_id, run_id, number)"
                )
            )

    async def forget(self) -> None:
        """Delete the run's memory: it has ended."""
        for table in (run_numbers, run_debtors):
            await self.session.execute(sa.delete(table).where(self._of_run(table)))


async def forget_earlier_runs(session: AsyncSession, administration_id: str) -> None:
    """Delete what ended runs of the administration left (a replica that died mid-run leaves
    its memory behind). Called as a run starts: one run per administration at a time."""
    for table in (run_numbers, run_debtors):
        await session.execute(
            sa.delete(table).where(table.c.administration_id == administration_id)
        )


def _json(debtor: ImportedDebtor | None) -> str | None:
    return None if debtor is None else json.dumps(asdict(debtor), separators=(",", ":"))


def _debtor(text: str) -> ImportedDebtor:
    values = json.loads(text)
    values["emails"] = tuple(values["emails"])
    values["address_lines"] = tuple(values["address_lines"])
    return ImportedDebtor(**values)
