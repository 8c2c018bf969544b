"""Transactional outbox: an event is written in the same database transaction as the state
change it describes, and a relay publishes it afterwards.

An event is one `outbox` row, or one record of an `outbox_batches` row: the events of one
bulk write (an import chunk) share their envelope's headers and go in as one row, which costs the
database and the relay a fraction of a row per event. Both are numbered from one sequence and
published in that order.

A crash between commit and publish loses nothing (the event is still in `outbox_pending`), and
a crash between publish and taking it off that queue publishes it twice at worst, which
idempotent consumers absorb. With several replicas on PostgreSQL one relay publishes at a time
(a transaction-level advisory lock per pass), so one key's events reach the broker in the order
they were committed; the others stand by and take over when it stops."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from settle_shared.clock import Clock
from settle_shared.db import (
    among,
    is_sqlite,
    outbox_batches_table,
    outbox_broker_table,
    outbox_pending_table,
    outbox_table,
    transaction,
)
from settle_shared.envelope import Envelope, new_event_ids, shared_headers
from settle_shared.events.base import Event, StagedEvent
from settle_shared.kafka import cluster_id
from settle_shared.logs import get_logger
from settle_shared.partitioner import partition_for

log = get_logger(__name__)

PUBLISHED = Counter("settle_outbox_published_total", "Events published from the outbox")
PENDING = Gauge("settle_outbox_pending", "Events waiting to be published after the last pass")
REPLAYED = Counter(
    "settle_outbox_replayed_total", "Events republished because the broker lost them"
)


class Outbox:
    """Writes events into the caller's transaction."""

    def __init__(self, metadata: sa.MetaData, *, source: str, clock: Clock) -> None:
        self._table = outbox_table(metadata)
        self._batches = outbox_batches_table(metadata)
        self._pending = outbox_pending_table(metadata)
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

    async def add_events(
        self,
        session: AsyncSession,
        events: Sequence[Event | StagedEvent],
        *,
        administration_id: str,
        correlation_id: str,
    ) -> None:
        """Stage many events of one administration and one correlation (an import chunk, a
        daily run), as models or already serialised (``Event.staged``). On PostgreSQL, from
        ``BATCH_THRESHOLD`` events on, they go in as one `outbox_batches` row: one clock
        reading, the shared headers once, no envelope object per event."""
        staged = [e if isinstance(e, StagedEvent) else e.as_staged() for e in events]
        now = self._clock.now()
        if len(staged) < BATCH_THRESHOLD or session.get_bind().dialect.name != "postgresql":
            await self.add_envelopes(
                session,
                [
                    (
                        event.topic,
                        Envelope(
                            id=event_id,
                            type=event.event_type,
                            source=self._source,
                            time=now,
                            subject=event.subject,
                            administration_id=administration_id,
                            correlation_id=correlation_id,
                            causation_id=None,
                            key=event.key,
                            data=event.payload.encode(),
                        ),
                    )
                    for event_id, event in zip(new_event_ids(len(staged)), staged, strict=True)
                ],
            )
            return
        headers = json.dumps(shared_headers(self._source, now, administration_id, correlation_id))
        connection = await session.connection()
        for start in range(0, len(staged), BATCH_ROW_EVENTS):
            part = staged[start : start + BATCH_ROW_EVENTS]
            await connection.execute(
                _INSERT_BATCH,
                {
                    "events": len(part),
                    "headers": headers,
                    "records": encode_records(part),
                    "created_at": now,
                },
            )
        await _announce(session)

    async def end_burst(self, session: AsyncSession) -> None:
        """Say, in the session's transaction, that it is the last of a burst of writes (an
        import run's end): a relay that waits to gather the burst's events publishes at once
        when it commits. On PostgreSQL; elsewhere the relay's poll comes round."""
        if session.get_bind().dialect.name == "postgresql":
            await session.execute(_NOTIFY_BURST_ENDED)

    async def add_envelopes(
        self, session: AsyncSession, envelopes: Sequence[tuple[str, Envelope]]
    ) -> None:
        """Stage many events at once: COPY on PostgreSQL from a hundred on, else one insert."""
        if not envelopes:
            return
        now = self._clock.now()
        if len(envelopes) >= COPY_THRESHOLD and session.get_bind().dialect.name == "postgresql":
            await self._copy(session, envelopes, now)
            await _announce(session)
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
        seqs = (
            await session.execute(sa.insert(self._table).returning(self._table.c.seq), rows)
        ).scalars()
        await session.execute(sa.insert(self._pending), [{"seq": seq} for seq in seqs])
        await _announce(session)

    async def _copy(
        self, session: AsyncSession, envelopes: Sequence[tuple[str, Envelope]], now: datetime
    ) -> None:
        """COPY outbox rows and queue them (faster than a multi-row INSERT for many
        envelopes), on the session's own connection, so inside its transaction. COPY
        returns no sequence numbers, so they are taken from the sequence first; that query
        also begins the driver's transaction, which COPY (bypassing SQLAlchemy) joins."""
        connection = await session.connection()
        taken = await connection.execute(_TAKE_SEQS, {"n": len(envelopes)})
        seqs = taken.scalars().all()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        await driver.copy_records_to_table(
            self._table.name,
            columns=_COPY_COLUMNS,
            records=[
                (seq, env.id, topic, env.key, env.type, json.dumps(env.headers()), env.data, now)
                for seq, (topic, env) in zip(seqs, envelopes, strict=True)
            ],
        )
        await driver.copy_records_to_table(
            self._pending.name, columns=["seq"], records=[(seq,) for seq in seqs]
        )


# What a write that staged events notifies on PostgreSQL: relays in other processes listen
# on it, so they need not wait for their next poll.
CHANNEL = "settle_outbox"
BURST_ENDED = "burst ended"
_NOTIFY = sa.text(f"SELECT pg_notify('{CHANNEL}', '')")
_NOTIFY_BURST_ENDED = sa.text(f"SELECT pg_notify('{CHANNEL}', '{BURST_ENDED}')")


async def _announce(session: AsyncSession) -> None:
    # Delivered at commit, once per transaction however often it is sent; never on rollback.
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_NOTIFY)


COPY_THRESHOLD = 100
# From this many events, add_events writes batch rows instead of a row per event; a batch row
# holds at most BATCH_ROW_EVENTS (a relay's pass takes whole rows, so this bounds its memory).
BATCH_THRESHOLD = 2
BATCH_ROW_EVENTS = 2000
_TAKE_SEQS = sa.text(
    "SELECT nextval(pg_get_serial_sequence('outbox', 'seq')) FROM generate_series(1, :n)"
)
_INSERT_BATCH = sa.text(
    "WITH batch AS ("
    " INSERT INTO outbox_batches (seq, events, headers, records, created_at)"
    " VALUES (nextval(pg_get_serial_sequence('outbox', 'seq')),"
    " :events, CAST(:headers AS json), :records, :created_at)"
    " RETURNING seq"
    ") INSERT INTO outbox_pending (seq) SELECT seq FROM batch"
).bindparams(
    sa.bindparam("records", type_=sa.LargeBinary),
    sa.bindparam("created_at", type_=sa.DateTime(timezone=True)),
)
_COPY_COLUMNS = [
    "seq",
    "event_id",
    "topic",
    "key",
    "event_type",
    "headers",
    "payload",
    "created_at",
]


def encode_records(events: Sequence[StagedEvent]) -> bytes:
    """The records of a batch row: a line per event, ``id TAB topic TAB key TAB type TAB
    subject TAB payload``, the payload being the event's JSON. Compact JSON holds no raw tab
    or newline (JSON escapes them in strings), and the other fields are ids and names, checked
    here, so the relay can split the lines without parsing JSON."""
    records = "\n".join(
        [
            f"{event_id}\t{topic}\t{key}\t{event_type}\t{subject or ''}\t{payload}"
            for event_id, (topic, key, event_type, subject, payload) in zip(
                new_event_ids(len(events)), events, strict=True
            )
        ]
    )
    # Counted once for the whole batch: it runs for every event of an import.
    if records.count("\t") != 5 * len(events) or records.count("\n") != len(events) - 1:
        raise ValueError(f"{_unsplittable(events)}: a key or subject holds a tab or a newline")
    return records.encode()


def _unsplittable(events: Sequence[StagedEvent]) -> str:
    """The type of the first event whose record would not split into its fields."""
    for topic, key, event_type, subject, payload in events:
        fields = f"{topic}{key}{event_type}{subject or ''}{payload}"
        if "\t" in fields or "\n" in fields:
            return event_type
    return "an event"


class OutboxRecord(NamedTuple):
    """One event as the broker gets it."""

    topic: str
    key: bytes
    headers: list[tuple[str, bytes]]
    payload: bytes


def decode_records(headers: dict[str, str], records: bytes) -> list[OutboxRecord]:
    """The events of a batch row (``encode_records``), with the batch's shared headers."""
    shared = [(name, value.encode()) for name, value in headers.items()]
    topics: dict[bytes, str] = {}
    out: list[OutboxRecord] = []
    for line in records.split(b"\n"):
        event_id, topic, key, event_type, subject, payload = line.split(b"\t", 5)
        own = [("ce_id", event_id), ("ce_type", event_type)]
        if subject:
            own.append(("ce_subject", subject))
        name = topics.get(topic)
        if name is None:
            name = topics[topic] = topic.decode()
        out.append(OutboxRecord(name, key, own + shared, payload))
    return out


def _single_record(row: Any) -> OutboxRecord:
    headers = row.headers
    return OutboxRecord(
        row.topic,
        row.key.encode(),
        [(name, value.encode()) for name, value in headers.items()],
        row.payload,
    )


class OutboxSender(Protocol):
    """Puts outbox records on the broker and returns once the broker has acknowledged them
    all."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, records: Sequence[OutboxRecord]) -> None: ...


class KafkaSender:
    """A producer of the relay's own, `acks=all`, idempotence as configured. It fills one record
    batch per partition itself (Kafka's default partitioner, so a key lands where any producer
    would put it) and hands whole batches to aiokafka: per event that is a fraction of the
    cost of `send()`, which keeps a future and a partitioner call for every record."""

    def __init__(self, bootstrap_servers: str, *, idempotence: bool, client_id: str) -> None:
        self._options: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": client_id,
            "acks": "all",
            "enable_idempotence": idempotence,
            "linger_ms": 5,
            # Large batches: the relay sends a thousand events at once, and fewer, fuller
            # batches mean fewer requests for the broker too.
            "max_batch_size": MAX_BATCH_BYTES,
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

    async def send(self, records: Sequence[OutboxRecord]) -> None:
        await self.start()
        producer = self._producer
        assert producer is not None
        partition_counts: dict[str, int] = {}
        open_batches: dict[tuple[str, int], Any] = {}
        acks: list[asyncio.Future[Any]] = []
        for topic, key, headers, payload in records:
            count = partition_counts.get(topic)
            if count is None:
                count = partition_counts[topic] = len(await producer.partitions_for(topic))
            partition = partition_for(key, count)
            batch = open_batches.get((topic, partition))
            if batch is None:
                batch = open_batches[topic, partition] = producer.create_batch()
            appended = batch.append(key=key, value=payload, timestamp=None, headers=headers)
            if appended is not None:
                continue
            # Full: send it (batches of one partition go out in the order sent) and start
            # the next with this record.
            acks.append(await producer.send_batch(batch, topic, partition=partition))
            batch = open_batches[topic, partition] = producer.create_batch()
            if batch.append(key=key, value=payload, timestamp=None, headers=headers) is None:
                raise ValueError(f"event of {len(payload)} bytes exceeds the batch limit")
        for (topic, partition), batch in open_batches.items():
            acks.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*acks)


# Within Kafka's default message.max.bytes (1 MiB) with room for the request around it.
MAX_BATCH_BYTES = 512 * 1024


class BrokerSender:
    """Publishes through a FastStream broker, one event at a time: what service tests use, so
    events reach the in-memory test broker's subscribers."""

    def __init__(self, broker: KafkaBroker) -> None:
        self._broker = broker

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, records: Sequence[OutboxRecord]) -> None:
        for topic, key, headers, payload in records:
            await self._broker.publish(
                payload,
                topic,
                key=key,
                headers={name: value.decode() for name, value in headers},
            )


# Held for one pass's transaction by the relay publishing (each service has its own database,
# so one key per database is enough); released by the commit, or by the database when the
# relay's connection dies.
PUBLISHER_LOCK = sa.select(sa.func.pg_try_advisory_xact_lock(0x5E771E0B))


class OutboxRelay:
    """Publishes pending outbox events in order, then takes them off the pending queue."""

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
        self._batches = outbox_batches_table(metadata)
        self._pending = outbox_pending_table(metadata)
        self._broker = outbox_broker_table(metadata)
        self._sender = sender
        self._bootstrap = bootstrap_servers
        self._clock = clock
        self._batch_size = batch_size
        self._poll = poll_interval_s
        self._replay_on_new_cluster = replay_on_new_cluster
        self._engine = engine
        self._postgres = not is_sqlite(str(engine.url))
        self._cluster: str | None = None
        self._wake = asyncio.Event()
        self._burst_ended = asyncio.Event()
        self._listener: tuple[AsyncConnection, Any] | None = None

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
        broker, pending = self._broker, self._pending
        async with transaction(self._sessions) as session:
            last = await session.scalar(
                # Locked: replicas starting together replay once, not once each.
                sa.select(broker.c.cluster_id).where(broker.c.id == 1).with_for_update()
            )
            if last == current:
                return
            now = self._clock.now()
            if last is None:
                await session.execute(sa.insert(broker).values(id=1, cluster_id=current, since=now))
                return
            count = 0
            for table, events in (
                (self._table, sa.func.count()),
                (self._batches, sa.func.coalesce(sa.func.sum(self._batches.c.events), 0)),
            ):
                published = ~sa.exists().where(pending.c.seq == table.c.seq)
                # FROM named: the NOT EXISTS alone correlates the table away (no FROM at all).
                count += (
                    await session.scalar(sa.select(events).select_from(table).where(published)) or 0
                )
                await session.execute(
                    sa.insert(pending).from_select(["seq"], sa.select(table.c.seq).where(published))
                )
            await session.execute(
                sa.update(broker).where(broker.c.id == 1).values(cluster_id=current, since=now)
            )
        REPLAYED.inc(count)
        log.warning(
            "broker is a new cluster: republishing the outbox",
            previous_cluster=last,
            cluster=current,
            events=count,
        )

    async def publish_pending(self) -> int:
        """One pass: publish about a batch of events (whole batch rows); returns how many."""
        published, _ = await self._pass()
        return published

    async def _pass(self) -> tuple[int, int]:
        """``publish_pending``, also returning how many events are still pending after it."""
        if self._cluster is None:
            await self.start()
        batches, pending = self._batches, self._pending
        postgres = self._postgres
        taking = sa.select(pending.c.seq).order_by(pending.c.seq).limit(self._batch_size)
        async with transaction(self._sessions) as session:
            if postgres and not await session.scalar(PUBLISHER_LOCK):
                # Another relay of this outbox is in a pass. Taking the next rows beside it
                # could put a key's later events on the broker before its earlier ones.
                return 0, 0
            # The queue first, then the events by number: index reads whose plans do not
            # depend on the statistics of a table that empties as fast as it fills. Joined in
            # one statement they cost the database far more per event.
            seqs = list((await session.execute(taking)).scalars())
            if not seqs:
                PENDING.set(0)
                return 0, 0
            sizes: dict[int, int] = {
                seq: events
                for seq, events in await session.execute(
                    sa.select(batches.c.seq, batches.c.events).where(
                        among(batches.c.seq, seqs, postgres=postgres)
                    )
                )
            }
            chosen = _up_to(seqs, sizes, self._batch_size)
            records = await read_records(
                session, self._table, batches, chosen, sizes, postgres=postgres
            )
            await self._sender.send(records)
            await session.execute(
                sa.delete(pending).where(among(pending.c.seq, chosen, postgres=postgres))
            )
            left = 0  # a pass that took every row it read took everything there was
            if len(chosen) < len(seqs) or len(seqs) == self._batch_size:
                left = await session.scalar(self._events_pending())
        PUBLISHED.inc(len(records))
        PENDING.set(left or 0)
        return len(records), left or 0

    def _events_pending(self) -> sa.Select[Any]:
        pending, batches = self._pending, self._batches
        return sa.select(
            sa.func.count() + sa.func.coalesce(sa.func.sum(batches.c.events - 1), 0)
        ).select_from(pending.outerjoin(batches, batches.c.seq == pending.c.seq))

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; errors are logged and retried, never fatal. An idle
        relay is woken by `notify` (a writer in the same process) or, on PostgreSQL, by a
        writer's notification on ``CHANNEL`` (any process); else it looks again after its poll
        interval. After a pass that published it waits out that interval: under a stream of
        writes (an import commits a chunk every few hundredths of a second) a pass then takes
        what gathered meanwhile, not one write's events, and each pass costs about the same.
        A writer that says its burst ended (``Outbox.end_burst``) cuts that wait short."""
        backoff = self._poll
        try:
            while not stop.is_set():
                await self._listen()
                # Cleared before the pass: a write committed during it wakes the next wait.
                self._wake.clear()
                self._burst_ended.clear()
                try:
                    published, left = await self._pass()
                    backoff = self._poll
                except Exception as exc:  # broker or database away: keep the rows, try again
                    log.warning("outbox relay failed; retrying", error=repr(exc), in_s=backoff)
                    published = left = 0
                    backoff = min(backoff * 2, 10.0)
                if left:
                    continue  # more waiting: no pause (and no empty pass when there is not)
                # Gathering after a pass that published; else idle, woken by any write.
                woken_by = self._burst_ended if published else self._wake
                waiters = [asyncio.ensure_future(w) for w in (woken_by.wait(), stop.wait())]
                await asyncio.wait(waiters, timeout=backoff, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            await self._stop_listening()

    async def _listen(self) -> None:
        """On PostgreSQL, listen on ``CHANNEL`` on a connection of its own; again when that
        connection was lost. Without it the relay still polls."""
        if not self._postgres:
            return
        if self._listener is not None:
            if not self._listener[1].is_closed():
                return
            await self._stop_listening()
        connection: AsyncConnection | None = None
        try:
            connection = await self._engine.connect()
            driver: Any = (await connection.get_raw_connection()).driver_connection
            await driver.add_listener(CHANNEL, self._notified)
        except Exception as exc:
            log.warning("outbox relay cannot listen for new events; polling", error=repr(exc))
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.close()
            return
        self._listener = (connection, driver)

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        self._wake.set()
        if payload == BURST_ENDED:
            self._burst_ended.set()

    async def _stop_listening(self) -> None:
        if self._listener is None:
            return
        connection, driver = self._listener
        self._listener = None
        try:
            if not driver.is_closed():
                await driver.remove_listener(CHANNEL, self._notified)
            await connection.close()
        except Exception as exc:
            log.warning("outbox relay's listening connection did not close", error=repr(exc))


def _up_to(seqs: list[int], sizes: dict[int, int], limit: int) -> list[int]:
    """The first of ``seqs`` (in order) that hold about ``limit`` events: whole batch rows,
    at least one row."""
    total = 0
    for taken, seq in enumerate(seqs, start=1):
        total += sizes.get(seq, 1)
        if total >= limit:
            return seqs[:taken]
    return seqs


async def read_records(
    session: AsyncSession,
    outbox: sa.Table,
    batches: sa.Table,
    seqs: Sequence[int],
    sizes: dict[int, int],
    *,
    postgres: bool,
) -> list[OutboxRecord]:
    """The events of these outbox numbers, in their order; ``sizes`` holds the numbers that
    are batch rows (with their event counts)."""
    found: dict[int, Any] = {}
    singles = [seq for seq in seqs if seq not in sizes]
    if singles:
        rows = await session.execute(
            sa.select(
                outbox.c.seq, outbox.c.topic, outbox.c.key, outbox.c.headers, outbox.c.payload
            ).where(among(outbox.c.seq, singles, postgres=postgres))
        )
        found.update((row.seq, _single_record(row)) for row in rows)
    in_batches = [seq for seq in seqs if seq in sizes]
    if in_batches:
        rows = await session.execute(
            sa.select(batches.c.seq, batches.c.headers, batches.c.records).where(
                among(batches.c.seq, in_batches, postgres=postgres)
            )
        )
        found.update((row.seq, decode_records(row.headers, row.records)) for row in rows)
    records: list[OutboxRecord] = []
    for seq in seqs:
        if seq in sizes:
            records.extend(found[seq])
        else:
            records.append(found[seq])
    return records


async def stored_events(session: AsyncSession, metadata: sa.MetaData) -> list[tuple[str, Envelope]]:
    """Every event in the outbox, published or not, as (topic, envelope) in publication
    order: what the relay sends, read back (tests, and looking into an outbox by hand)."""
    outbox, batches = outbox_table(metadata), outbox_batches_table(metadata)
    postgres = session.get_bind().dialect.name == "postgresql"
    sizes: dict[int, int] = {
        seq: events
        for seq, events in await session.execute(sa.select(batches.c.seq, batches.c.events))
    }
    singles = (await session.execute(sa.select(outbox.c.seq))).scalars().all()
    seqs = sorted([*singles, *sizes])
    records = await read_records(session, outbox, batches, seqs, sizes, postgres=postgres)
    return [
        (record.topic, Envelope.from_record(record.headers, record.key, record.payload))
        for record in records
    ]
