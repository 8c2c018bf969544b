"""A tiny service built only from the shared plumbing, run as real processes by the
reliability tests: it records ledger entries (state + event in one transaction), relays them,
and consumes them into an effects table. Crashing at the worst moment is a command-line flag."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from aiokafka import TopicPartition
from aiokafka.consumer import AIOKafkaConsumer

from settle_shared.clock import SystemClock
from settle_shared.consumer import EventConsumer, PermanentError, ReceivedEvent
from settle_shared.db import create_engine, new_metadata, session_factory, transaction
from settle_shared.events.base import EVENT_TYPES, TOPICS, Event, Topic, event, topic
from settle_shared.kafka import create_broker
from settle_shared.outbox import KafkaSender, Outbox, OutboxRelay
from settle_shared.settings import ServiceSettings

metadata = new_metadata()
entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("administration_id", sa.String(64), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
)
effects = sa.Table(  # no unique constraint on purpose: a second effect would show as a row
    "ledger_effects",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("entry_id", sa.String(64), nullable=False),
    sa.Column("consumer", sa.String(64), nullable=False),
)
administrations = sa.Table(
    "ledger_administrations", metadata, sa.Column("id", sa.String(64), primary_key=True)
)


def entry_event(topic_name: str) -> type[Event]:
    """The event class for a test topic (each test gets its own topic)."""
    event_type = f"settle.test.ledger.recorded.{topic_name}"
    if event_type in EVENT_TYPES:
        return EVENT_TYPES[event_type]
    declared = TOPICS.get(topic_name) or topic(
        topic_name, producer="ledger", key="entry", description="test ledger entries"
    )

    class EntryRecorded(Event):
        event_type: ClassVar[str]
        topic: ClassVar[Topic]
        entry_id: str
        amount: Decimal

        def key(self) -> str:
            return self.entry_id

    EntryRecorded.event_type = event_type
    EntryRecorded.topic = declared
    return event(EntryRecorded)


def settings(args: argparse.Namespace) -> ServiceSettings:
    return ServiceSettings(
        database_url=args.db,
        kafka_bootstrap_servers=args.bootstrap,
        consumer_max_attempts=3,
        consumer_retry_backoff_s=0.05,
        kafka_session_timeout_ms=6000,
    )


async def create_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()


async def produce(args: argparse.Namespace) -> None:
    """Record entries; with --crash-after-commit die before any relay could run."""
    engine = create_engine(args.db)
    outbox = Outbox(metadata, source="/settle/ledger", clock=SystemClock())
    model = entry_event(args.topic)
    async with transaction(session_factory(engine)) as session:
        payloads = []
        for i in range(args.count):
            entry_id = f"{args.prefix}-{i}"
            await session.execute(
                sa.insert(entries).values(
                    id=entry_id, administration_id=args.administration, amount=Decimal("12.50")
                )
            )
            payload = model(entry_id=entry_id, amount=Decimal("12.50"))  # type: ignore[call-arg]
            if args.bulk:
                payloads.append(payload)
            else:
                await outbox.add(session, payload, administration_id=args.administration)
        if payloads:  # one batch row, as an import chunk writes them
            await outbox.add_events(
                session,
                payloads,
                administration_id=args.administration,
                correlation_id=str(uuid.uuid4()),
            )
    await engine.dispose()
    if args.crash_after_commit:
        os._exit(3)


async def relay(args: argparse.Namespace) -> None:
    """Publish the outbox until it is empty."""
    engine = create_engine(args.db)
    sender = KafkaSender(args.bootstrap, idempotence=False, client_id="ledger-relay")
    outbox_relay = OutboxRelay(
        engine=engine,
        sessions=session_factory(engine),
        metadata=metadata,
        sender=sender,
        bootstrap_servers=args.bootstrap,
        clock=SystemClock(),
    )
    await outbox_relay.start()
    while await outbox_relay.publish_pending():
        pass
    await outbox_relay.stop()
    await engine.dispose()


async def consume(args: argparse.Namespace) -> None:
    """Consume until the group's committed offsets reach the end of the topic."""
    config = settings(args)
    engine = create_engine(args.db)
    sessions = session_factory(engine)
    broker = create_broker(config, client_id=f"ledger-{args.name}")
    entry_event(args.topic)

    async def record_effect(session: sa.ext.asyncio.AsyncSession, received: ReceivedEvent) -> None:
        admin = received.envelope.administration_id
        known = await session.scalar(
            sa.select(administrations.c.id).where(administrations.c.id == admin)
        )
        if known is None:
            raise PermanentError(f"unknown administration {admin}")
        if args.slow:
            await asyncio.sleep(args.slow)
        await session.execute(
            sa.insert(effects).values(entry_id=received.payload.key(), consumer=args.name)
        )

    def after_commit(done: Sequence[ReceivedEvent]) -> None:
        if args.crash_after_commit and done:
            os._exit(3)  # effects are committed, the offsets are not

    EventConsumer(
        group_id=args.group,
        topics=[args.topic],
        handler=record_effect,
        sessions=sessions,
        metadata=metadata,
        broker=broker,
        settings=config,
        clock=SystemClock(),
        after_commit=after_commit,
    )
    await broker.start()
    print("consumer started", flush=True)
    try:
        if args.forever:
            await asyncio.Event().wait()
        await wait_until_committed(args.bootstrap, args.group, args.topic, args.timeout)
    finally:
        await broker.stop()
        await engine.dispose()


async def wait_until_committed(bootstrap: str, group: str, topic_name: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    # Same group id, never subscribing: it reads the group's committed offsets, joins nothing.
    probe = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        partitions = [TopicPartition(topic_name, p) for p in await _partitions(probe, topic_name)]
        while loop.time() < deadline:
            ends = await probe.end_offsets(partitions)
            behind = [tp for tp in partitions if (await probe.committed(tp) or 0) < ends[tp]]
            if not behind:
                return
            await asyncio.sleep(0.5)
        sys.exit("timed out waiting for the consumer to catch up")
    finally:
        await probe.stop()


async def _partitions(consumer: AIOKafkaConsumer, topic_name: str) -> set[int]:
    await consumer.topics()
    return consumer.partitions_for_topic(topic_name) or set()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["schema", "produce", "relay", "consume"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--bootstrap", default="")
    parser.add_argument("--topic", default="test.ledger.v1")
    parser.add_argument("--group", default="ledger")
    parser.add_argument("--name", default=f"c-{uuid.uuid4().hex[:6]}")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--prefix", default="entry")
    parser.add_argument("--administration", default="adm-1")
    parser.add_argument("--crash-after-commit", action="store_true")
    parser.add_argument("--bulk", action="store_true", help="stage the events in one batch")
    parser.add_argument("--forever", action="store_true")
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    command = {
        "schema": lambda a: create_schema(a.db),
        "produce": produce,
        "relay": relay,
        "consume": consume,
    }[args.command]
    asyncio.run(command(args))


if __name__ == "__main__":
    main()
