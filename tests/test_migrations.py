"""Every service's migrations run on SQLite (embedded) and PostgreSQL (production) and end
with exactly the schema its models describe."""

import asyncio

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from settle_shared.migrations import downgrade, upgrade
from settle_shared.service import discover_services

pytestmark = pytest.mark.integration

SERVICES = discover_services()


@pytest.mark.parametrize("name", list(SERVICES))
async def test_migrations_build_the_schema_of_the_models(name, any_database):
    spec = SERVICES[name]
    await asyncio.to_thread(upgrade, spec.migrations_dir, any_database)
    await asyncio.to_thread(upgrade, spec.migrations_dir, any_database)  # a no-op the 2nd time
    engine = create_async_engine(any_database)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), spec.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == [], f"{name}: models and migrations differ: {diff}"


async def test_the_outbox_queue_migration_keeps_what_was_published_and_what_was_not(
    any_database,
):
    # Upgrading a live database must neither lose an unpublished event nor publish a
    # published one again; downgrading gives the marks back.
    spec = SERVICES["importer"]
    await asyncio.to_thread(upgrade, spec.migrations_dir, any_database, "0001")
    engine = create_async_engine(any_database)
    published = "'2026-11-20 10:00:00+00:00'"
    try:
        async with engine.begin() as conn:
            for seq, mark in [(1, published), (2, published), (3, "NULL"), (4, "NULL")]:
                await conn.execute(
                    sa.text(
                        "INSERT INTO outbox (seq, event_id, topic, key, event_type, headers, "
                        "payload, created_at, published_at, published_to) VALUES "
                        f"({seq}, 'ev-{seq}', 't', 'k', 'e', '{{}}', :payload, {published}, "
                        f"{mark}, {'NULL' if mark == 'NULL' else repr('cluster-a')})"
                    ),
                    {"payload": b"{}"},
                )
        await asyncio.to_thread(upgrade, spec.migrations_dir, any_database)
        async with engine.connect() as conn:
            pending = (await conn.execute(sa.text("SELECT seq FROM outbox_pending"))).scalars()
            assert sorted(pending) == [3, 4]
            broker = await conn.scalar(sa.text("SELECT cluster_id FROM outbox_broker"))
            assert broker == "cluster-a"
        await asyncio.to_thread(downgrade, spec.migrations_dir, any_database, "0001")
        async with engine.connect() as conn:
            rows = await conn.execute(sa.text("SELECT seq, published_to FROM outbox ORDER BY seq"))
            assert [tuple(row) for row in rows] == [
                (1, "cluster-a"),
                (2, "cluster-a"),
                (3, None),
                (4, None),
            ]
    finally:
        await engine.dispose()


async def test_the_debtor_words_migration_indexes_the_debtors_already_there(any_database):
    # Upgrading a filled read model: its debtors are found by the new search at once.
    spec = SERVICES["gateway"]
    await asyncio.to_thread(upgrade, spec.migrations_dir, any_database, "0006")
    engine = create_async_engine(any_database)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO rm_debtors (administration_id, debtor_id, version, number, "
                    "name, kind, emails, address_lines, open_invoices, open_amount) VALUES "
                    "('adm', 'd1', 1, 'K-17', 'Bakkerij Ğüneş', 'business', '[]', '[]', 0, 0)"
                )
            )
        await asyncio.to_thread(upgrade, spec.migrations_dir, any_database)
        async with engine.connect() as conn:
            words = await conn.execute(sa.text("SELECT word FROM rm_debtor_words ORDER BY word"))
            assert list(words.scalars()) == ["17", "bakkerij", "gunes", "k", "k-17"]
        await asyncio.to_thread(downgrade, spec.migrations_dir, any_database, "0006")
        async with engine.connect() as conn:
            folded = await conn.scalar(sa.text("SELECT name_folded FROM rm_debtors"))
            assert folded.startswith("bakkerij ")  # SQLite's lower() folds ASCII only
    finally:
        await engine.dispose()
