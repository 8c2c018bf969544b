"""Finding infrastructure for tests, in this order: an explicit URL from the environment;
testcontainers when a Docker engine answers; a local process (PostgreSQL on 127.0.0.1:5432,
the embedded broker); else skip, saying what is missing (or fail, in CI)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from settle_shared.net import free_port, port_open

POSTGRES_ENV = "SETTLE_TEST_POSTGRES_URL"
KAFKA_ENV = "SETTLE_TEST_KAFKA_BOOTSTRAP"
REQUIRE_ENV = "SETTLE_REQUIRE_INFRA"  # set in CI: missing infrastructure fails the run
LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"


@asynccontextmanager
async def scratch_database(server: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on ``server`` (a URL without a database), named
    ``prefix`` and a random suffix; dropped on leaving, sessions still on it or not."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{server}/{name}"
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def missing(what: str) -> None:
    """Skip the test, or fail it where infrastructure is required."""
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{what} (required because {REQUIRE_ENV} is set)")
    pytest.skip(what)


def docker_available() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=2)
        return bool(client.ping())
    except Exception:
        return False


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """A PostgreSQL server URL (without database), or None."""
    if url := os.environ.get(POSTGRES_ENV):
        yield url
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="asyncpg") as container:
            yield container.get_connection_url().rsplit("/", 1)[0]
        return
    if port_open("127.0.0.1", 5432):
        yield LOCAL_POSTGRES
        return
    yield None


@contextmanager
def kafka_server() -> Iterator[str | None]:
    """Kafka bootstrap servers, or None."""
    if url := os.environ.get(KAFKA_ENV):
        yield url
        return
    if docker_available():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as container:
            yield container.get_bootstrap_server()
        return
    try:
        with embedded_broker() as bootstrap:
            yield bootstrap
    except Exception as exc:  # the embedded extra is not installed
        print(f"embedded broker unavailable: {exc}", file=sys.stderr)
        yield None


@contextmanager
def embedded_broker(port: int | None = None) -> Iterator[str]:
    """A Tansu broker process for the duration of the block."""
    from settle_shared.embedded.broker import start_broker, wait_for_broker

    port = port or free_port()
    process = start_broker(port)
    bootstrap = f"127.0.0.1:{port}"
    try:
        # A thread of its own: this may be entered from inside a running event loop.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, wait_for_broker(bootstrap)).result()
        yield bootstrap
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
