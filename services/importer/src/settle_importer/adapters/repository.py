"""The importer's tables, read and written in bulk: one query per chunk for the stored state,
multi-row writes for what changed. On PostgreSQL new rows (documents, outbox events) go in with
COPY inside the same transaction (docs/importing.md, Performance)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.tables import debtors, documents, import_runs, rejected_records
from settle_importer.domain import DocumentKey, InvoiceImported, RejectedRecord
from settle_importer.domain.runs import bounded_text
from settle_importer.domain.snapshot import WorkingDebtor, WorkingDocument, cents


class SnapshotRepository:
    """The snapshot of one administration, inside one transaction."""

    def __init__(self, session: AsyncSession, administration_id: str, *, postgres: bool) -> None:
        self.session = session
        self.administration_id = administration_id
        self.postgres = postgres
        self.inserted = 0

    async def is_empty(self) -> bool:
        """Whether nothing of the administration is stored: no document and no debtor."""
        for table in (documents, debtors):
            stored = sa.exists().where(table.c.administration_id == self.administration_id)
            if await self.session.scalar(sa.select(stored)):
                return False
        return True

    async def documents(self, keys: Collection[DocumentKey]) -> dict[DocumentKey, WorkingDocument]:
        """The stored documents among ``keys``, in one query."""
        if not keys:
            return {}
        numbers = sorted({number for _, number in keys})
        kinds = sorted({kind for kind, _ in keys})
        rows: Iterable[Any]
        if self.postgres:
            # Straight to the driver: SQLAlchemy's row processing costs more than the query
            # when 1,000 rows come back per chunk.
            driver = await self._driver()
            rows = await driver.fetch(_DOCUMENTS_BY_NUMBER, self.administration_id, kinds, numbers)
        else:
            rows = (
                await self.session.execute(
                    sa.select(documents).where(
                        documents.c.administration_id == self.administration_id,
                        documents.c.kind.in_(kinds),
                        documents.c.number.in_(numbers),
                    )
                )
            ).mappings()
        found: dict[DocumentKey, WorkingDocument] = {}
        for row in rows:
            key = (row["kind"], row["number"])
            if key not in keys:
                continue
            found[key] = WorkingDocument(None, row["invoice_id"], row["version"], row=row)
        return found

    async def debtors(self, numbers: Collection[str]) -> dict[str, WorkingDebtor]:
        """The stored debtors among ``numbers``, in one query."""
        if not numbers:
            return {}
        rows: Iterable[Any]
        if self.postgres:
            driver = await self._driver()
            rows = await driver.fetch(_DEBTORS_BY_NUMBER, self.administration_id, sorted(numbers))
        else:
            rows = await self.session.execute(
                sa.select(
                    debtors.c.number, debtors.c.debtor_id, debtors.c.fingerprint, debtors.c.version
                ).where(
                    debtors.c.administration_id == self.administration_id,
                    debtors.c.number.in_(sorted(numbers)),
                )
            )
        return {
            number: WorkingDebtor(number, debtor_id, fingerprint, version)
            for number, debtor_id, fingerprint, version in rows
        }

    async def _driver(self) -> Any:
        return await driver_connection(self.session)

    async def refresh_statistics(self) -> None:
        """Let PostgreSQL's planner see how big the snapshot has grown. A table filled by one
        large import is otherwise planned as empty until autovacuum comes round, and the chunk
        lookups turn into scans of the whole administration. Only the columns the queries
        filter on: the others' statistics took three quarters of the time and guided nothing."""
        if self.postgres:
            await self.session.execute(
                sa.text(
                    "ANALYZE documents (administration_id, kind, number, settled), "
                    "debtors (administration_id, number)"
                )
            )

    async def save(
        self,
        docs: Iterable[WorkingDocument],
        debtor_rows: Iterable[WorkingDebtor],
    ) -> None:
        """Write the documents and debtors that changed: new ones inserted, others updated.
        ``updated_at`` is the database's clock: a default for new rows, so COPY leaves it out
        (encoding a timestamp per row was a fifth of the cost of a document's COPY)."""
        administration_id = self.administration_id
        new_docs: list[tuple[Any, ...]] = []
        changed_docs: list[dict[str, Any]] = []
        for doc in docs:
            if not doc.dirty:
                continue
            if doc.is_new:
                new_docs.append(_document_row(administration_id, doc))
            else:
                changed_docs.append(_document_values(doc))
            doc.is_new = doc.dirty = False
        new_debtors: list[tuple[Any, ...]] = []
        changed_debtors: list[dict[str, Any]] = []
        for debtor in debtor_rows:
            # Only what a fact changed: a chunk's rows are read while the chunk before it is
            # still being written, so an untouched row (a debtor decided earlier) may be stale.
            if not debtor.dirty:
                continue
            if debtor.is_new:
                new_debtors.append(
                    (
                        administration_id,
                        debtor.number,
                        debtor.debtor_id,
                        debtor.fingerprint,
                        debtor.version,
                    )
                )
            else:
                changed_debtors.append(
                    {
                        "number": debtor.number,
                        "fingerprint": debtor.fingerprint,
                        "version": debtor.version,
                    }
                )
            debtor.is_new = debtor.dirty = False
        self.inserted = len(new_docs) + len(new_debtors)
        await self._insert_tuples(documents, _DOCUMENT_COLUMNS, new_docs)
        await self._insert_tuples(debtors, _DEBTOR_COLUMNS, new_debtors)
        if changed_docs:
            await self.session.execute(
                sa.update(documents)
                .where(
                    documents.c.administration_id == administration_id,
                    documents.c.kind == sa.bindparam("b_kind"),
                    documents.c.number == sa.bindparam("b_number"),
                )
                .values(
                    {
                        **{name: sa.bindparam(f"b_{name}") for name in _DOC_UPDATED},
                        "updated_at": sa.func.now(),
                    }
                ),
                [
                    {f"b_{name}": row[name] for name in ("kind", "number", *_DOC_UPDATED)}
                    for row in changed_docs
                ],
                execution_options={"synchronize_session": False},
            )
        if changed_debtors:
            await self.session.execute(
                sa.update(debtors)
                .where(
                    debtors.c.administration_id == administration_id,
                    debtors.c.number == sa.bindparam("b_number"),
                )
                .values(
                    fingerprint=sa.bindparam("b_fingerprint"),
                    version=sa.bindparam("b_version"),
                    updated_at=sa.func.now(),
                ),
                [
                    {
                        "b_number": row["number"],
                        "b_fingerprint": row["fingerprint"],
                        "b_version": row["version"],
                    }
                    for row in changed_debtors
                ],
                execution_options={"synchronize_session": False},
            )

    async def add_rejected(
        self, run_id: str, first_seq: int, rejected: Sequence[RejectedRecord]
    ) -> None:
        """Keep a run's rejected records with their reasons, numbered in the order found."""
        rows = [
            (
                run_id,
                first_seq + i,
                self.administration_id,
                record.position[:300],
                (record.reference or None) and record.reference[:200],
                bounded_text(record.reason),
            )
            for i, record in enumerate(rejected)
        ]
        await self._insert_tuples(rejected_records, _REJECTED_COLUMNS, rows)

    async def _insert_tuples(
        self, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        await insert_tuples(self.session, table, columns, rows, postgres=self.postgres)


async def insert_tuples(
    session: AsyncSession,
    table: sa.Table,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    *,
    postgres: bool,
) -> None:
    """Insert many rows, given as tuples in ``columns`` order: COPY on PostgreSQL, a multi-row
    INSERT elsewhere. Tuples, because for a thousand new documents per chunk a dict per row
    costs more than the COPY itself."""
    if not rows:
        return
    if not postgres:
        await session.execute(
            sa.insert(table), [dict(zip(columns, row, strict=True)) for row in rows]
        )
        return
    driver = await driver_connection(session)
    if not driver.is_in_transaction():
        # SQLAlchemy begins the transaction with its first statement; a COPY before that
        # would commit on its own.
        await session.execute(sa.text("SELECT 1"))
    await driver.copy_records_to_table(table.name, records=rows, columns=list(columns))


async def driver_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under the session. A read through it before any statement of the
    session sees committed data, which is all a lookup needs; a write must be inside the
    transaction (see ``insert_tuples``)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


_DOC_UPDATED = (
    "open_amount_cents",
    "payment_condition",
    "pdf_url",
    "settled",
    "fingerprint",
    "version",
)


_DOCUMENTS_BY_NUMBER = """
SELECT kind, number, invoice_id, debtor_number, invoice_date, due_date, amount_cents,
       open_amount_cents, currency, payment_condition, pdf_url, settled, fingerprint, version
FROM documents
WHERE administration_id = $1 AND kind = ANY($2::varchar[]) AND number = ANY($3::varchar[])
"""


_DEBTORS_BY_NUMBER = """
SELECT number, debtor_id, fingerprint, version
FROM debtors
WHERE administration_id = $1 AND number = ANY($2::varchar[])
"""


_DOCUMENT_COLUMNS = (
    "administration_id",
    "kind",
    "number",
    "invoice_id",
    "debtor_number",
    "invoice_date",
    "due_date",
    "amount_cents",
    "open_amount_cents",
    "currency",
    "payment_condition",
    "pdf_url",
    "settled",
    "fingerprint",
    "version",
)
_REJECTED_COLUMNS = ("run_id", "seq", "administration_id", "position", "reference", "reason")
_DEBTOR_COLUMNS = (
    "administration_id",
    "number",
    "debtor_id",
    "fingerprint",
    "version",
)


def _document_row(administration_id: str, doc: WorkingDocument) -> tuple[Any, ...]:
    imported = doc._imported
    if imported is not None and doc._stored is None:
        # Straight from the record: what StoredInvoice.first_import would hold.
        i = imported.invoice if type(imported) is InvoiceImported else imported.credit_note
        fingerprint = imported.fingerprint
        return (
            administration_id,
            i.kind,
            i.number,
            doc.invoice_id,
            i.debtor_number,
            i.invoice_date,
            i.due_date,
            cents(i.amount),
            cents(i.open_amount),
            i.currency,
            i.payment_condition,
            i.pdf_url,
            False,
            fingerprint,
            doc.version,
        )
    s = doc.stored
    return (
        administration_id,
        s.kind,
        s.number,
        doc.invoice_id,
        s.debtor_number,
        s.invoice_date,
        s.due_date,
        cents(s.amount),
        cents(s.open_amount),
        s.currency,
        s.payment_condition,
        s.pdf_url,
        s.settled,
        s.fingerprint,
        doc.version,
    )


def _document_values(doc: WorkingDocument) -> dict[str, Any]:
    s = doc.stored
    return {
        "kind": s.kind,
        "number": s.number,
        "invoice_id": doc.invoice_id,
        "debtor_number": s.debtor_number,
        "invoice_date": s.invoice_date,
        "due_date": s.due_date,
        "amount_cents": cents(s.amount),
        "open_amount_cents": cents(s.open_amount),
        "currency": s.currency,
        "payment_condition": s.payment_condition,
        "pdf_url": s.pdf_url,
        "settled": s.settled,
        "fingerprint": s.fingerprint,
        "version": doc.version,
    }


__all__ = ["SnapshotRepository", "import_runs"]
