"""Migration 0007 stores the snapshot's amounts in cents: a snapshot kept before it reads back
to the same amounts after it, on SQLite and PostgreSQL, and going back restores them."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
import sqlalchemy as sa

from settle_importer.adapters.repository import SnapshotRepository
from settle_importer.app import SERVICE
from settle_shared.db import create_engine, is_sqlite, session_factory
from settle_shared.migrations import downgrade, upgrade

pytestmark = pytest.mark.integration

MONEY = sa.Numeric(14, 2)

# kind, number, amount, open amount: an invoice part paid, a credit note, one paid in full
KEPT = [
    ("invoice", "F-1", Decimal("1234.56"), Decimal("1000.05")),
    ("credit_note", "C-1", Decimal("-12.50"), Decimal("-0.01")),
    ("invoice", "F-2", Decimal("99999999.99"), Decimal("0.00")),
]


async def test_amounts_kept_before_the_migration_read_back_the_same(any_database: str):
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, any_database, "0006")
    engine = create_engine(any_database)
    try:
        async with engine.begin() as conn:
            for kind, number, amount, open_amount in KEPT:
                await conn.execute(
                    sa.text(
                        "INSERT INTO documents (administration_id, kind, number, invoice_id, "
                        "debtor_number, invoice_date, due_date, amount, open_amount, currency, "
                        "settled, fingerprint, version) VALUES ('adm-1', :kind, :number, "
                        ":number, 'D1', '2025-03-01', '2025-03-31', :amount, :open, 'EUR', "
                        ":settled, 'f', 1)"
                    ).bindparams(
                        # as the importer wrote them then (SQLite has no decimal type)
                        sa.bindparam("amount", type_=MONEY),
                        sa.bindparam("open", type_=MONEY),
                    ),
                    {
                        "kind": kind,
                        "number": number,
                        "amount": amount,
                        "open": open_amount,
                        "settled": open_amount == 0,
                    },
                )
        await engine.dispose()  # SQLite's batch migration rebuilds the table

        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, any_database)
        async with session_factory(engine)() as session:
            repo = SnapshotRepository(session, "adm-1", postgres=not is_sqlite(any_database))
            stored = await repo.documents({(kind, number) for kind, number, *_ in KEPT})
        assert {
            key: (doc.stored.amount, doc.stored.open_amount) for key, doc in stored.items()
        } == {(kind, number): (amount, open_) for kind, number, amount, open_ in KEPT}
        assert all(doc.stored.amount.as_tuple().exponent == -2 for doc in stored.values())
        await engine.dispose()

        await asyncio.to_thread(downgrade, SERVICE.migrations_dir, any_database, "0006")
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT number, amount, open_amount FROM documents"))
            back = {number: (Decimal(str(a)), Decimal(str(o))) for number, a, o in rows}
        assert back == {number: (amount, open_) for _, number, amount, open_ in KEPT}
    finally:
        await engine.dispose()
