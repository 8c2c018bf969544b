"""Every service's migrations run on SQLite (embedded) and PostgreSQL (production) and end
with exactly the schema its models describe."""

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from settle_shared.migrations import upgrade
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
