"""pytest fixtures for every layer of tests; loaded by the root conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from settle_shared.testing.infra import (
    kafka_server,
    missing,
    postgres_server,
    scratch_database,
)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a PostgreSQL server (no database part)."""
    with postgres_server() as url:
        if url is None:
            missing(
                "PostgreSQL: none found (set SETTLE_TEST_POSTGRES_URL, run Docker, "
                "or start PostgreSQL on 127.0.0.1:5432)"
            )
        assert url is not None
        yield url


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a real Kafka-protocol broker."""
    with kafka_server() as bootstrap:
        if bootstrap is None:
            missing(
                "Kafka: none found (set SETTLE_TEST_KAFKA_BOOTSTRAP, run Docker, or install "
                "settle-shared[embedded] for the embedded broker)"
            )
        assert bootstrap is not None
        yield bootstrap


@pytest.fixture
async def pg_database(postgres_url: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    async with scratch_database(postgres_url, "settle_test") as url:
        yield url


@pytest.fixture
def sqlite_database(tmp_path: Path) -> str:
    """A SQLite database file of one test, in its temporary folder."""
    return f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on SQLite and on PostgreSQL: the two backends we support."""
    fixture = "sqlite_database" if request.param == "sqlite" else "pg_database"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def unique_topic() -> str:
    """A topic name no other test uses."""
    return f"test.{uuid.uuid4().hex[:10]}.v1"
