"""Transactional outbox: an event is written in the same database transaction as the state
change it describes, and a relay publishes it afterwards.

A crash between commit and publish loses nothing (the row is still unpublished), and a crash
between publish and marking the row publishes it twice at worst, which idempotent consumers
absorb. With several replicas on PostgreSQL, `FOR UPDATE SKIP LOCKED` gives each relay its own
rows."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from settle_shared.clock import Clock
from settle_shared.db import is_sqlite, outbox_table, transaction
from settle_shared.envelope import Envelope
from settle_shared.events.base import Event
from settle_shared.kafka import cluster_id
from settle_shared.logs import get_logger

log = get_logger(__name__)

PUBLISHED = Counter("settle_outbox_published_total", "Events published from the outbox")
PENDING = Gauge("settle_outbox_pending", "Events waiting in the outbox at the last look")
REPLAYED = Counter(
    "settle_outbox_replayed_total", "Events republished because the broker lost them"
)


class Outbox:
    """Writes events into the caller's transaction."""

    def __init__(self, metadata: sa.MetaData, *, source: str, clock: Clock) -> None:
        self._table = outbox_table(metadata)
        self._source = source
        self._clock = clock

    def envelope(
        self,
        payload: Event,
        *,
        administration_id: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        return Envelope.wrap(
            payload,
            source=self._source,
            time=self._clock.now(),
            administration_id=administration_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    async def add(
        self,
        session: AsyncSession,
        payload: Event,
        *,
        administration_id: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        """Stage one event in the session's transaction."""
        envelope = self.envelope(
            payload,
            administration_id=administration_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        await self.add_envelopes(session, [(payload.topic.name, envelope)])
        return envelope

    async def add_envelopes(
        self, session: AsyncSession, envelopes: Sequence[tuple[str, Envelope]]
    ) -> None:
        """Stage many events at once (one multi-row insert): what bulk imports use."""
        if not envelopes:
            return
        now = self._clock.now()
        if len(envelopes) >= COPY_THRESHOLD and session.get_bind().dialect.name == "postgresql":
            await self._copy(session, envelopes, now)
            return
        rows = [
            {
                "event_id": env.id,
                "topic": topic,
                "key": env.key,
                "event_type": env.type,
                "headers": env.headers(),
                "payload": env.data,
                "created_at": now,
            }
            for topic, env in envelopes
        ]
        await session.execute(sa.insert(self._table), rows)

    async def _copy(
        self, session: AsyncSession, envelopes: Sequence[tuple[str, Envelope]], now: datetime
    ) -> None:
        # COPY is several times faster than a multi-row INSERT for bulk work (an import, the
        # daily run), and it runs on the session's own connection, so inside its transaction.
        connection = await session.connection()
        # The driver opens its transaction lazily, on the first statement through SQLAlchemy;
        # COPY bypasses SQLAlchemy, so make sure it runs inside that transaction.
        await connection.exec_driver_sql("SELECT 1")
        raw = await connection.get_raw_connection()
        await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            self._table.name,
            columns=_COPY_COLUMNS,
            records=[
                (env.id, topic, env.key, env.type, json.dumps(env.headers()), env.data, now)
                for topic, env in envelopes
            ],
        )


COPY_THRESHOLD = 100
_COPY_COLUMNS = ["event_id", "topic", "key", "event_type", "headers", "payload", "created_at"]


class OutboxSender(Protocol):
    """Puts outbox rows on the broker and returns once the broker has acknowledged them all."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, rows: Sequence[sa.Row[Any]]) -> None: ...


class KafkaSender:
    """A producer of the relay's own: pipelined sends (one round trip per batch instead of one
    per event), `acks=all`, idempotence as configured."""

    def __init__(self, bootstrap_servers: str, *, idempotence: bool, client_id: str) -> None:
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": idempotence,
            "linger_ms": 5,
        }
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        # Made here, not in __init__: the producer belongs to the running event loop.
        if self._producer is None:
            producer = AIOKafkaProducer(**self._options)
            await producer.start()
            self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, rows: Sequence[sa.Row[Any]]) -> None:
        await self.start()
        assert self._producer is not None
        pending = [
            await self._producer.send(
                row.topic,
                row.payload,
                key=row.key.encode(),
                headers=[(name, value.encode()) for name, value in row.headers.items()],
            )
            for row in rows
        ]
        await asyncio.gather(*pending)


class BrokerSender:
    """Publishes through a FastStream broker, one event at a time: what service tests use, so
    events reach the in-memory test broker's subscribers."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, rows: Sequence[sa.Row[Any]]) -> None:
        for row in rows:
            await self._broker.publish(
                row.payload, row.topic, key=row.key.encode(), headers=row.headers
            )


class OutboxRelay:
    """Publishes unpublished outbox rows in order, then marks them."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        metadata: sa.MetaData,
        sender: OutboxSender,
        bootstrap_servers: str,
        clock: Clock,
        batch_size: int = 1000,
        poll_interval_s: float = 0.2,
        replay_on_new_cluster: bool = True,
    ) -> None:
        self._sessions = sessions
        self._table = outbox_table(metadata)
        self._sender = sender
        self._bootstrap = bootstrap_servers
        self._clock = clock
        self._batch_size = batch_size
        self._poll = poll_interval_s
        self._replay_on_new_cluster = replay_on_new_cluster
        self._lock_rows = not is_sqlite(str(engine.url))
        self._cluster: str | None = None
        self._wake = asyncio.Event()

    def use_cluster(self, name: str) -> None:
        """Skip asking the broker which cluster it is (in-memory test brokers have none)."""
        self._cluster = name

    def use_sender(self, sender: OutboxSender) -> None:
        """Publish another way (service tests: through the in-memory test broker)."""
        self._sender = sender

    async def stop(self) -> None:
        await self._sender.stop()

    def notify(self) -> None:
        """Tell the relay there is something new, so it does not wait for the next poll."""
        self._wake.set()

    async def start(self) -> None:
        """Learn which cluster we talk to; if it is not the one our events went to, the broker
        lost them (the embedded broker keeps nothing across a restart): publish them again."""
        self._cluster = await cluster_id(self._bootstrap)
        if self._replay_on_new_cluster:
            await self._replay_if_new_cluster(self._cluster)

    async def _replay_if_new_cluster(self, current: str) -> None:
        table = self._table
        async with transaction(self._sessions) as session:
            last = await session.scalar(
                sa.select(table.c.published_to)
                .where(table.c.published_at.is_not(None))
                .order_by(table.c.seq.desc())
                .limit(1)
            )
            if last is None or last == current:
                return
            result = await session.execute(
                sa.update(table)
                .where(table.c.published_to != current)
                .values(published_at=None, published_to=None)
            )
        count = getattr(result, "rowcount", 0)
        REPLAYED.inc(count)
        log.warning(
            "broker is a new cluster: republishing the outbox",
            previous_cluster=last,
            cluster=current,
            events=count,
        )

    async def publish_pending(self) -> int:
        """One pass: publish up to a batch of rows; returns how many were published."""
        if self._cluster is None:
            await self.start()
        table = self._table
        query = (
            sa.select(table.c.seq, table.c.topic, table.c.key, table.c.headers, table.c.payload)
            .where(table.c.published_at.is_(None))
            .order_by(table.c.seq)
            .limit(self._batch_size)
        )
        if self._lock_rows:
            query = query.with_for_update(skip_locked=True)
        async with transaction(self._sessions) as session:
            rows = (await session.execute(query)).all()
            if not rows:
                PENDING.set(0)
                return 0
            await self._sender.send(rows)
            await session.execute(
                sa.update(table)
                .where(table.c.seq.in_([row.seq for row in rows]))
                .values(published_at=self._clock.now(), published_to=self._cluster)
            )
        PUBLISHED.inc(len(rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; errors are logged and retried, never fatal."""
        backoff = self._poll
        while not stop.is_set():
            try:
                published = await self.publish_pending()
                backoff = self._poll
            except Exception as exc:  # broker or database away: keep the rows, try again
                log.warning("outbox relay failed; retrying", error=repr(exc), in_s=backoff)
                published = 0
                backoff = min(backoff * 2, 10.0)
            if published >= self._batch_size:
                continue  # more waiting: no pause
            self._wake.clear()
            waiters = [asyncio.ensure_future(w) for w in (self._wake.wait(), stop.wait())]
            await asyncio.wait(waiters, timeout=backoff, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
