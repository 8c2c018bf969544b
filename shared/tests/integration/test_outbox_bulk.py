"""Bulk staging (COPY on PostgreSQL) writes the same rows as the ordinary path, inside the
caller's transaction."""

import asyncio
from decimal import Decimal

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from settle_shared.clock import SystemClock
from settle_shared.db import create_engine, new_metadata, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events.importer import InvoiceChanged
from settle_shared.outbox import COPY_THRESHOLD, Outbox, OutboxRelay

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


async def test_bulk_staging_keeps_rows_ordered_and_rolls_back_with_the_transaction(pg_database):
    engine = create_engine(pg_database)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
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
    await engine.dispose()


class Recorder:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, rows) -> None:
        self.keys += [row.key for row in rows]


async def test_the_relay_empties_the_queue_in_order_and_keeps_the_events(pg_database):
    engine = create_engine(pg_database)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    clock = SystemClock()
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    async with transaction(sessions) as session:
        await outbox.add_events(
            session, [changed(i) for i in range(150)], administration_id="adm-1", correlation_id="r"
        )
    sender = Recorder()
    relay = OutboxRelay(
        engine=engine,
        sessions=sessions,
        metadata=metadata,
        sender=sender,
        bootstrap_servers="unused",
        clock=clock,
        batch_size=100,
    )
    relay.use_cluster("test")
    try:
        assert await relay.publish_pending() == 100
        # What the operations dashboard shows: the backlog after the pass.
        assert REGISTRY.get_sample_value("settle_outbox_pending") == 50
        assert await relay.publish_pending() == 50
        assert REGISTRY.get_sample_value("settle_outbox_pending") == 0
        assert await relay.publish_pending() == 0
        assert sender.keys == [f"inv-{i}" for i in range(150)]
        async with transaction(sessions) as session:
            assert await session.scalar(sa.text("SELECT count(*) FROM outbox_pending")) == 0
            # Published events stay: they refill a broker that lost its data.
            assert await session.scalar(sa.text("SELECT count(*) FROM outbox")) == 150
    finally:
        await engine.dispose()


async def test_two_relays_take_turns_so_each_keys_order_holds(pg_database):
    # Two replicas' relays on one outbox: while one is in a pass, the other publishes nothing,
    # so the rows after its batch cannot reach the broker before the batch itself.
    engines = [create_engine(pg_database), create_engine(pg_database)]
    async with engines[0].begin() as conn:
        await conn.run_sync(metadata.create_all)
    clock = SystemClock()
    outbox = Outbox(metadata, source="/settle/test", clock=clock)
    async with transaction(session_factory(engines[0])) as session:
        await outbox.add_events(
            session, [changed(i) for i in range(150)], administration_id="a", correlation_id="r"
        )
    published: list[str] = []
    gate = asyncio.Event()

    class Held(Recorder):
        async def send(self, rows) -> None:
            await gate.wait()  # the broker is slow to acknowledge this batch
            published.extend(row.key for row in rows)

    relays = []
    for engine in engines:
        relay = OutboxRelay(
            engine=engine,
            sessions=session_factory(engine),
            metadata=metadata,
            sender=Held(),
            bootstrap_servers="unused",
            clock=clock,
            batch_size=100,
        )
        relay.use_cluster("test")
        relays.append(relay)
    try:
        first = asyncio.create_task(relays[0].publish_pending())
        await asyncio.sleep(0.3)  # the first relay is inside its pass, waiting for the broker
        assert await asyncio.wait_for(relays[1].publish_pending(), 5) == 0
        gate.set()
        assert await first == 100
        assert await relays[1].publish_pending() == 50  # its turn now: it takes the rest
        assert published == [f"inv-{i}" for i in range(150)]
    finally:
        for engine in engines:
            await engine.dispose()
