"""Bulk staging on PostgreSQL (COPY of envelopes, batch rows of events) writes what the
ordinary path writes, inside the caller's transaction, and the relay publishes it in order."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from settle_shared import outbox as outbox_module
from settle_shared.clock import FixedClock, SystemClock
from settle_shared.db import create_engine, new_metadata, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events.importer import InvoiceChanged
from settle_shared.outbox import COPY_THRESHOLD, Outbox, OutboxRelay, stored_events

pytestmark = pytest.mark.integration

metadata = new_metadata()


def changed(i: int) -> InvoiceChanged:
    return InvoiceChanged(
        administration_id="adm-1",
        invoice_id=f"inv-{i}",
        number=str(i),
        version=2,
        run_id="r",
        open_amount=Decimal("1.10"),
        previous_open_amount=Decimal("2.20"),
        currency="EUR",
    )


@pytest.fixture
async def engine(pg_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database of its own holding the test outbox's tables."""
    engine = create_engine(pg_database)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def test_bulk_staging_keeps_rows_ordered_and_rolls_back_with_the_transaction(engine):
    sessions = session_factory(engine)
    outbox = Outbox(metadata, source="/settle/test", clock=SystemClock())
    count = COPY_THRESHOLD + 50
    batch = [
        ("importer.invoices.v1", outbox.envelope(changed(i), administration_id="adm-1"))
        for i in range(count)
    ]

    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await outbox.add_envelopes(session, batch)
            raise RuntimeError("the state change failed")
    async with transaction(sessions) as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM outbox")) == 0
        await outbox.add_envelopes(session, batch)

    table = metadata.tables["outbox"]
    async with transaction(sessions) as session:
        rows = (await session.execute(sa.select(table).order_by(table.c.seq))).all()
    assert [row.key for row in rows] == [f"inv-{i}" for i in range(count)]
    first = rows[0]
    assert first.headers == batch[0][1].headers()
    back = Envelope.from_record(
        [(k, v.encode()) for k, v in first.headers.items()], first.key.encode(), first.payload
    )
    assert back.payload() == changed(0)


class Recorder:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, records) -> None:
        self.keys += [record.key.decode() for record in records]


async def stage(sessions, outbox: Outbox, numbers: range) -> None:
    """One write: a batch row from two events on, a single row for one."""
    async with transaction(sessions) as session:
        await outbox.add_events(
            session, [changed(i) for i in numbers], administration_id="adm-1", correlation_id="r"
        )


def relay_to(sender, engine, clock, batch_size: int = 1000, poll: float = 0.2) -> OutboxRelay:
    """A relay of the test outbox that hands its events to ``sender``."""
    relay = OutboxRelay(
        engine=engine,
        sessions=session_factory(engine),
        metadata=metadata,
        sender=sender,
        bootstrap_servers="unused",
        clock=clock,
        batch_size=batch_size,
        poll_interval_s=poll,
    )
    relay.use_cluster("test")
    return relay


async def test_the_relay_empties_the_queue_in_order_and_keeps_the_events(engine):
    sessions = session_factory(engine)
    clock = SystemClock()
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    await stage(sessions, outbox, range(60))  # a batch row
    await stage(sessions, outbox, range(60, 61))  # a single event
    await stage(sessions, outbox, range(61, 150))  # a batch row
    sender = Recorder()
    relay = relay_to(sender, engine, clock, batch_size=50)
    # A pass takes whole rows up to its batch size: the first batch alone ...
    assert await relay.publish_pending() == 60
    # ... and what the operations dashboard shows is the backlog of events after it.
    assert REGISTRY.get_sample_value("settle_outbox_pending") == 90
    assert await relay.publish_pending() == 90
    assert REGISTRY.get_sample_value("settle_outbox_pending") == 0
    assert await relay.publish_pending() == 0
    assert sender.keys == [f"inv-{i}" for i in range(150)]
    async with transaction(sessions) as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM outbox_pending")) == 0
        # Published events stay: they refill a broker that lost its data.
        assert len(await stored_events(session, metadata)) == 150


async def test_a_large_write_is_cut_into_batch_rows_the_relay_takes_one_by_one(engine, monkeypatch):
    monkeypatch.setattr(outbox_module, "BATCH_ROW_EVENTS", 40)
    sessions = session_factory(engine)
    clock = SystemClock()
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    await stage(sessions, outbox, range(100))
    sender = Recorder()
    relay = relay_to(sender, engine, clock, batch_size=30)
    async with transaction(sessions) as session:
        sizes = await session.execute(sa.text("SELECT events FROM outbox_batches ORDER BY seq"))
        assert list(sizes.scalars()) == [40, 40, 20]
    assert [await relay.publish_pending() for _ in range(4)] == [40, 40, 20, 0]
    assert sender.keys == [f"inv-{i}" for i in range(100)]


async def test_batch_rows_read_back_as_the_envelopes_of_their_events(engine):
    sessions = session_factory(engine)
    clock = FixedClock(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await outbox.add_events(
                session, [changed(1), changed(2)], administration_id="adm-1", correlation_id="r"
            )
            raise RuntimeError("the state change failed")
    await stage(sessions, outbox, range(3))
    async with transaction(sessions) as session:
        assert await session.scalar(sa.text("SELECT count(*) FROM outbox_batches")) == 1
        stored = await stored_events(session, metadata)
    assert [topic for topic, _ in stored] == ["importer.invoices.v1"] * 3
    envelopes = [envelope for _, envelope in stored]
    assert [envelope.payload() for envelope in envelopes] == [changed(i) for i in range(3)]
    for i, envelope in enumerate(envelopes):
        assert envelope.key == envelope.subject == f"inv-{i}"
        assert envelope.type == "settle.importer.invoice.changed"
        assert envelope.source == "/settle/test" and envelope.administration_id == "adm-1"
        assert envelope.correlation_id == "r" and envelope.time == clock.now()
    assert len({envelope.id for envelope in envelopes}) == 3


async def test_two_relays_take_turns_so_each_keys_order_holds(engine, pg_database):
    # Two replicas' relays on one outbox: while one is in a pass, the other publishes nothing,
    # so the rows after its batch cannot reach the broker before the batch itself.
    other = create_engine(pg_database)  # the second replica's
    engines = [engine, other]
    clock = SystemClock()
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    await stage(session_factory(engine), outbox, range(100))
    await stage(session_factory(engine), outbox, range(100, 150))
    published: list[str] = []
    gate = asyncio.Event()

    class Held(Recorder):
        async def send(self, records) -> None:
            await gate.wait()  # the broker is slow to acknowledge this batch
            published.extend(record.key.decode() for record in records)

    relays = [relay_to(Held(), each, clock, batch_size=100) for each in engines]
    try:
        first = asyncio.create_task(relays[0].publish_pending())
        await asyncio.sleep(0.3)  # the first relay is inside its pass, waiting for the broker
        assert await asyncio.wait_for(relays[1].publish_pending(), 5) == 0
        gate.set()
        assert await first == 100
        assert await relays[1].publish_pending() == 50  # its turn now: it takes the rest
        assert published == [f"inv-{i}" for i in range(150)]
    finally:
        await other.dispose()


async def published_within(sender: Recorder, count: int, seconds: float) -> None:
    """Wait until ``sender`` has ``count`` events; fail if that takes ``seconds``."""

    async def published() -> None:
        while len(sender.keys) < count:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(published(), timeout=seconds)


async def listening(relay: OutboxRelay, other_than: object = None) -> Any:
    """The relay's listening connection, once it has one (other than ``other_than``)."""
    for _ in range(200):
        relay.notify()  # stands in for the poll, to find out soon
        await asyncio.sleep(0.05)
        if relay._listener is not None and relay._listener is not other_than:
            return relay._listener
    raise AssertionError("the relay does not listen")


@dataclass
class RelayBeside:
    """A running relay and a writer with an engine of its own, as the importer beside
    `settle relay`."""

    relay: OutboxRelay
    sender: Recorder
    sessions: Any
    outbox: Outbox
    writer: AsyncEngine

    async def stage(self, numbers: range) -> None:
        await stage(self.sessions, self.outbox, numbers)


@asynccontextmanager
async def relay_beside_a_writer(engine, pg_database, poll: float) -> AsyncIterator[RelayBeside]:
    writer = create_engine(pg_database)
    clock = SystemClock()
    sender = Recorder()
    relay = relay_to(sender, engine, clock, poll=poll)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:
        yield RelayBeside(
            relay,
            sender,
            session_factory(writer),
            Outbox(metadata, source="/settle/test", clock=clock),
            writer,
        )
    finally:
        stop.set()
        await running
        await writer.dispose()


async def test_an_idle_relay_in_another_process_is_woken_by_the_write_not_by_its_poll(
    engine, pg_database
):
    # A write is published well within the relay's poll interval: only its notification can
    # have woken the relay.
    poll = 2.0
    async with relay_beside_a_writer(engine, pg_database, poll) as beside:
        relay, sender = beside.relay, beside.sender
        first = await listening(relay)
        await beside.stage(range(3))  # a batch row
        await published_within(sender, 3, poll / 4)
        # After a pass that published, the relay waits out its poll interval (a stream of
        # writes is taken in larger passes); then it finds nothing more and is idle again.
        await asyncio.sleep(poll * 1.25)
        await beside.stage(range(3, 4))  # a single event
        await published_within(sender, 4, poll / 4)

        # The listening connection is lost (a database restart, a failover): the relay
        # listens again on a new one when its poll comes round, and is woken again.
        async with beside.writer.connect() as conn:
            pid = first[1].get_server_pid()
            await conn.execute(sa.select(sa.func.pg_terminate_backend(pid)))
        await listening(relay, other_than=first)
        await beside.stage(range(4, 6))
        await published_within(sender, 6, poll / 4)
        assert sender.keys == [f"inv-{i}" for i in range(6)]
    assert relay._listener is None  # its connection went back with the relay


async def test_the_write_that_ends_a_burst_is_published_without_waiting_out_the_poll(
    engine, pg_database
):
    # After a pass that published, the relay waits out its poll interval to gather more of
    # the burst. The burst's last write says it is the last, and is published at once.
    poll = 2.0
    async with relay_beside_a_writer(engine, pg_database, poll) as beside:
        sender, outbox = beside.sender, beside.outbox
        await listening(beside.relay)
        await beside.stage(range(3))
        await published_within(sender, 3, poll / 4)
        await beside.stage(range(3, 4))
        await asyncio.sleep(poll / 4)
        assert len(sender.keys) == 3  # gathered, not yet published
        async with transaction(beside.sessions) as session:
            await outbox.add_events(
                session, [changed(4)], administration_id="adm-1", correlation_id="r"
            )
            await outbox.end_burst(session)
        await published_within(sender, 5, poll / 4)
        assert sender.keys == [f"inv-{i}" for i in range(5)]
