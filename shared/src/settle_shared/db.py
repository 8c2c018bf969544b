"""Async SQLAlchemy for PostgreSQL (asyncpg) and SQLite (aiosqlite): engines, sessions and
transactions, and the tables every service has for its events: the outbox (events to publish,
with its batch rows, pending queue and broker row) and the inbox (events already processed)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Stable constraint names, so migrations generated on SQLite and PostgreSQL agree.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@overload
def aware(moment: datetime) -> datetime: ...


@overload
def aware(moment: None) -> None: ...


def aware(moment: datetime | None) -> datetime | None:
    """A time as an aware UTC datetime. Every time is stored in UTC, and SQLite hands them back
    without their zone; a time from an event with another offset is the same instant in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# Outbox sequence numbers: 64-bit on PostgreSQL; SQLite's rowid alias must be INTEGER.
SEQ = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def new_metadata() -> sa.MetaData:
    """A service's own metadata, holding the outbox and inbox next to its tables."""
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    define_outbox_and_inbox_tables(metadata)
    return metadata


def define_outbox_and_inbox_tables(metadata: sa.MetaData) -> None:
    """Add the outbox tables and the inbox to a service's metadata (see the module docstring)."""
    sa.Table(
        "outbox",
        metadata,
        # The sequence is the publication order: events of one key leave in commit order.
        sa.Column("seq", SEQ, primary_key=True),
        # Not unique-indexed: ids are random UUIDs made here, and such an index slows bulk
        # inserts (docs/operations.md, Performance notes). Consumers deduplicate by it in
        # their inbox.
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "outbox_batches",
        metadata,
        # Many events of one write in one row (an import chunk, a daily run): numbered from
        # the outbox's own sequence, so single events and batches leave in commit order, at a
        # fraction of a row's cost per event.
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
        sa.Column("events", sa.Integer, nullable=False),
        # The headers every event of the batch shares, as JSON; each record adds its own id,
        # type and subject (see `settle_shared.outbox.encode_records`).
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("records", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "outbox_pending",
        metadata,
        # What the relay has yet to publish. A narrow queue beside the outbox: publishing
        # deletes this small row instead of rewriting the whole event row (and its indexes).
        sa.Column("seq", SEQ, primary_key=True, autoincrement=False),
    )
    sa.Table(
        "outbox_broker",
        metadata,
        # The broker cluster the outbox was last published to (one row). Another cluster at
        # start-up means the broker lost what it had (the embedded one keeps nothing).
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cluster_id", sa.String(200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    sa.Table(
        "inbox",
        metadata,
        sa.Column("consumer_group", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables["outbox"]


def outbox_batches_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables["outbox_batches"]


def outbox_pending_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables["outbox_pending"]


def outbox_broker_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables["outbox_broker"]


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    return metadata.tables["inbox"]


def is_sqlite(url: str) -> bool:
    """Whether a database URL points at SQLite (else PostgreSQL)."""
    return make_url(url).get_backend_name() == "sqlite"


def among(
    column: sa.ColumnElement[Any], values: Sequence[Any], *, postgres: bool
) -> sa.ColumnElement[bool]:
    """`column IN values`. On PostgreSQL as `= ANY(array)`: one parameter, so one prepared
    statement and one cached plan (an index lookup per value) whatever the number of values."""
    if postgres:
        return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An engine tuned per backend: SQLite gets WAL and a busy timeout so the relay and the
    request handlers of one process do not trip over each other."""
    if is_sqlite(url):
        kwargs.pop("pool_size", None)  # SQLite's pool is SQLAlchemy's choice
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    # No pre-ping: it is a round trip per checkout (docs/operations.md). After a
    # PostgreSQL restart the first statement on a dead connection fails, and SQLAlchemy then
    # discards every pooled connection older than that failure; consumers retry, a UI request
    # is answered 500 once per process. Recycling replaces connections that a firewall or an
    # idle timeout may have cut silently.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(url, **kwargs)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any error."""
    async with sessions() as session, session.begin():
        yield session


# PostgreSQL's SQLSTATEs of a transaction it aborted to let another go on: running the same
# transaction again may well succeed.
_RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def is_retryable(error: BaseException) -> bool:
    """Whether `error` is PostgreSQL aborting the transaction for a deadlock or a
    serialization failure (not a fault of the statement or the data)."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in _RETRYABLE


async def check_database(engine: AsyncEngine) -> None:
    """Raise unless the database answers (the readiness check)."""
    async with engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))
