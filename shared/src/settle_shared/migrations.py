"""Alembic per service, run the same way everywhere: `settle migrate SERVICE`, the embedded
stack at start-up, the Kubernetes migration Job and the tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine

from settle_shared.db import SEQ, is_sqlite


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    """Alembic's configuration for a service's migrations folder and database."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Bring a service's database to `revision` (blocking; call from a thread in async code)."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def downgrade(migrations_dir: Path, database_url: str, revision: str) -> None:
    """Take a service's database back to `revision` (blocking, like `upgrade`)."""
    command.downgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: sa.Connection) -> None:
        # Batch mode lets ALTER TABLE work on SQLite too, so one migration fits both.
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite(url),
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:  # pragma: no cover - alembic called from inside a running loop
        raise RuntimeError("run migrations with asyncio.to_thread(upgrade, …)")


def create_messaging_tables() -> None:
    """The outbox and inbox, for a service's first migration (`op` calls, both backends).

    "Messaging" as in events between services: every service has these tables, not only the
    messaging service."""
    from alembic import op

    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_to", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer_group", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer_group", "event_id", name="pk_inbox"),
    )


def create_outbox_queue() -> None:
    """Unpublished events move from a mark on each outbox row to the narrow `outbox_pending`
    queue, and the cluster they went to into `outbox_broker` (one row). The unique index on
    event ids goes: they are random UUIDs, and the index slowed bulk inserts."""
    from alembic import op

    op.create_table(
        "outbox_pending",
        sa.Column("seq", SEQ, autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox_pending"),
    )
    op.create_table(
        "outbox_broker",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("cluster_id", sa.String(200), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_broker"),
    )
    op.execute("INSERT INTO outbox_pending (seq) SELECT seq FROM outbox WHERE published_at IS NULL")
    op.execute(
        "INSERT INTO outbox_broker (id, cluster_id, since) "
        "SELECT 1, published_to, published_at FROM outbox "
        "WHERE published_at IS NOT NULL AND published_to IS NOT NULL "
        "ORDER BY seq DESC LIMIT 1"
    )
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_event_id", type_="unique")
        batch.drop_column("published_to")
        batch.drop_column("published_at")


def drop_outbox_queue() -> None:
    """Undo `create_outbox_queue`: outbox rows get their published marks back (every event
    no longer pending counts as published to the last known cluster)."""
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("published_to", sa.String(200), nullable=True))
        batch.create_unique_constraint("uq_outbox_event_id", ["event_id"])
    op.execute(
        "UPDATE outbox SET "
        "published_at = (SELECT since FROM outbox_broker WHERE id = 1), "
        "published_to = (SELECT cluster_id FROM outbox_broker WHERE id = 1) "
        "WHERE seq NOT IN (SELECT seq FROM outbox_pending)"
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["seq"],
        postgresql_where=sa.text("published_at IS NULL"),
        sqlite_where=sa.text("published_at IS NULL"),
    )
    op.drop_table("outbox_broker")
    op.drop_table("outbox_pending")


def create_outbox_batches() -> None:
    """`outbox_batches`: many events of one write in one row. On PostgreSQL the records are
    compressed with lz4 where the server has it (smaller, for less CPU than the default
    compression)."""
    from alembic import op

    op.create_table(
        "outbox_batches",
        sa.Column("seq", SEQ, autoincrement=False, nullable=False),
        sa.Column("events", sa.Integer, nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("records", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_outbox_batches"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Inside a block that tolerates a server built without lz4 (or older than 14).
        op.execute(
            "DO $$ BEGIN "
            "EXECUTE 'ALTER TABLE outbox_batches ALTER COLUMN records SET COMPRESSION lz4'; "
            "EXCEPTION WHEN OTHERS THEN NULL; END $$"
        )


def drop_outbox_batches() -> None:
    """Refused while a batch waits to be published: its events exist nowhere else."""
    from alembic import op

    waiting = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM outbox_batches b "
            "WHERE EXISTS (SELECT 1 FROM outbox_pending p WHERE p.seq = b.seq)"
        )
    )
    if waiting:
        raise RuntimeError(
            f"{waiting} batch(es) of events are not published yet: run the relay first"
        )
    op.drop_table("outbox_batches")


def drop_messaging_tables() -> None:
    """Undo `create_messaging_tables`."""
    from alembic import op

    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
