"""How fast the shared plumbing moves events: staging into the outbox (PostgreSQL), relaying
to the broker, and consuming idempotently (inbox rows in the same transaction).

Run: .venv/bin/python bench/outbox_throughput.py [--events 100000]
Needs PostgreSQL on 127.0.0.1:5432 (or SETTLE_TEST_POSTGRES_URL) and starts its own
embedded broker (or uses SETTLE_TEST_KAFKA_BOOTSTRAP)."""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from decimal import Decimal

from settle_shared.clock import SystemClock
from settle_shared.consumer import EventConsumer
from settle_shared.db import create_engine, new_metadata, session_factory, transaction
from settle_shared.events.importer import InvoiceChanged
from settle_shared.kafka import create_broker, ensure_topics
from settle_shared.outbox import KafkaSender, Outbox, OutboxRelay
from settle_shared.settings import ServiceSettings
from settle_shared.testing.infra import LOCAL_POSTGRES, embedded_broker, scratch_database

metadata = new_metadata()


def event(i: int) -> InvoiceChanged:
    return InvoiceChanged(
        administration_id="adm-bench",
        invoice_id=f"inv-{i}",
        number=str(i),
        version=2,
        run_id="bench",
        open_amount=Decimal("10.00"),
        previous_open_amount=Decimal("20.00"),
        currency="EUR",
    )


async def bench(events: int, bootstrap: str, server: str) -> None:
    async with scratch_database(server, "settle_bench") as url:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(metadata.create_all)
            sessions = session_factory(engine)
            clock = SystemClock()
            topic = f"bench.{uuid.uuid4().hex[:8]}.v1"
            await ensure_topics(bootstrap, [topic, f"{topic}.dlt"], partitions=6)
            outbox = Outbox(metadata, source="/settle/bench", clock=clock)

            started = time.perf_counter()
            for first in range(0, events, 1000):
                batch = [
                    (topic, outbox.envelope(event(i), administration_id="adm-bench"))
                    for i in range(first, min(first + 1000, events))
                ]
                async with transaction(sessions) as session:
                    await outbox.add_envelopes(session, batch)
            staged = time.perf_counter() - started

            settings = ServiceSettings(database_url=url, kafka_bootstrap_servers=bootstrap)
            relay = OutboxRelay(
                engine=engine,
                sessions=sessions,
                metadata=metadata,
                sender=KafkaSender(bootstrap, idempotence=False, client_id="bench"),
                bootstrap_servers=bootstrap,
                clock=clock,
            )
            await relay.start()
            started = time.perf_counter()
            while await relay.publish_pending():
                pass
            relayed = time.perf_counter() - started
            await relay.stop()

            seen = 0
            done = asyncio.Event()

            async def count(session: object, received: object) -> None:
                nonlocal seen
                seen += 1

            def after(batch: object) -> None:
                if seen >= events:
                    done.set()

            consumer_broker = create_broker(settings, client_id="bench-consumer")
            EventConsumer(
                group_id="bench",
                topics=[topic],
                handler=count,
                sessions=sessions,  # type: ignore[arg-type]
                metadata=metadata,
                broker=consumer_broker,
                settings=settings,
                clock=clock,
                after_commit=after,  # type: ignore[arg-type]
            )
            await consumer_broker.start()
            started = time.perf_counter()
            await asyncio.wait_for(done.wait(), timeout=600)
            consumed = time.perf_counter() - started  # includes the group join (a few seconds)
            await consumer_broker.stop()

            print(f"events                 {events:>10,}")
            print(f"staged into outbox     {events / staged:>10,.0f} events/s  ({staged:.2f} s)")
            print(f"relayed to broker      {events / relayed:>10,.0f} events/s  ({relayed:.2f} s)")
            print(
                f"consumed idempotently  {events / consumed:>10,.0f} events/s  ({consumed:.2f} s, "
                "incl. group join)"
            )
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    server = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
    if bootstrap := os.environ.get("SETTLE_TEST_KAFKA_BOOTSTRAP"):
        asyncio.run(bench(args.events, bootstrap, server))
        return
    with embedded_broker() as bootstrap:
        asyncio.run(bench(args.events, bootstrap, server))


if __name__ == "__main__":
    main()
