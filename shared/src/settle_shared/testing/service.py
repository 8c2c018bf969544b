"""Service tests: one service with its real database (migrated) and FastStream's
TestKafkaBroker in place of Kafka, its HTTP API called in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from aiokafka import ConsumerRecord
from faststream.kafka import TestKafkaBroker

from settle_shared.envelope import Envelope
from settle_shared.events.base import Event
from settle_shared.events.gateway import ADMINISTRATIONS, AdministrationCreated
from settle_shared.migrations import upgrade
from settle_shared.outbox import BrokerSender
from settle_shared.service import ServiceRuntime, ServiceSpec, build_runtime


@dataclass
class ServiceHarness:
    """A running service in a test: its runtime, and an HTTP client for its API."""

    runtime: ServiceRuntime
    client: httpx.AsyncClient

    async def deliver(
        self, payload: Event, *, administration_id: str, event_id: str | None = None
    ) -> Envelope:
        """Put an event on its topic as its producer would; the service consumes it."""
        envelope = Envelope.wrap(
            payload,
            source="/settle/test",
            time=self.runtime.clock.now(),
            administration_id=administration_id,
            event_id=event_id,
        )
        await self.runtime.broker.publish(
            envelope.data, payload.topic.name, key=envelope.key.encode(), headers=envelope.headers()
        )
        return envelope

    async def administration(self, administration_id: str, name: str | None = None) -> Envelope:
        """Announce an administration as the gateway does (``AdministrationCreated``): a
        service that consumes it then knows the administration, as in production."""
        created = AdministrationCreated(
            administration_id=administration_id,
            name=name or administration_id,
            organisation_id="org-test",
            at=self.runtime.clock.now(),
        )
        return await self.deliver(created, administration_id=administration_id)

    async def publish_outbox(self) -> int:
        """Run the outbox relay until it has nothing left; returns how many it published."""
        total = 0
        while published := await self.runtime.relay.publish_pending():
            total += published
        return total


async def announce_administration(
    spec: ServiceSpec,
    database_url: str,
    administration_id: str,
    *,
    name: str | None = None,
    **settings: Any,
) -> None:
    """Announce an administration to a service's (migrated) database as its consumer takes the
    gateway's ``AdministrationCreated``, without a broker: for tests that drive the service's
    use cases or commands directly, as production would find it after the gateway created it.
    ``settings`` are the service's (an importer's ``inbox_dir``, say)."""
    config = spec.settings_cls(database_url=database_url, environment="test", **settings)
    runtime = build_runtime(spec, config)
    try:
        [consumer] = [c for c in runtime.consumers if ADMINISTRATIONS.name in c.topics]
        created = AdministrationCreated(
            administration_id=administration_id,
            name=name or administration_id,
            organisation_id="org-test",
            at=runtime.clock.now(),
        )
        envelope = Envelope.wrap(
            created, source="/settle/test", time=created.at, administration_id=administration_id
        )
        await consumer.process([kafka_record(envelope, ADMINISTRATIONS.name)])
    finally:
        await runtime.engine.dispose()


def kafka_record(envelope: Envelope, topic: str, offset: int = 0) -> ConsumerRecord[bytes, bytes]:
    """An event as a consumer reads it from Kafka: for tests that hand a consumer a batch
    (`EventConsumer.process`)."""
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.key.encode(),
        value=envelope.data,
        checksum=None,
        serialized_key_size=len(envelope.key),
        serialized_value_size=len(envelope.data),
        headers=[(name, value.encode()) for name, value in envelope.headers().items()],
    )


def kafka_records(
    events: Sequence[Event], *, source: str, start: datetime, administration_id: str
) -> list[ConsumerRecord[bytes, bytes]]:
    """A batch of events as a consumer reads it, one second apart from `start`, each at its
    offset in the batch."""
    return [
        kafka_record(
            Envelope.wrap(
                event,
                source=source,
                time=start + timedelta(seconds=offset),
                administration_id=administration_id,
            ),
            event.topic.name,
            offset,
        )
        for offset, event in enumerate(events)
    ]


@asynccontextmanager
async def running_service(
    spec: ServiceSpec,
    database_url: str,
    *,
    before_start: Callable[[ServiceRuntime], None] | None = None,
    **settings: Any,
) -> AsyncIterator[ServiceHarness]:
    """The service, migrated and wired. `before_start` may add test subscribers (a
    dead-letter catcher, say): FastStream's test broker only knows those present at start."""
    await asyncio.to_thread(upgrade, spec.migrations_dir, database_url)
    config = spec.settings_cls(database_url=database_url, environment="test", **settings)
    runtime = build_runtime(spec, config)
    runtime.relay.use_cluster("in-memory")
    runtime.relay.use_sender(BrokerSender(runtime.broker))
    if before_start is not None:
        before_start(runtime)
    try:
        async with TestKafkaBroker(runtime.broker):
            transport = httpx.ASGITransport(app=runtime.app)
            token = config.service_token.get_secret_value()
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://service",
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                yield ServiceHarness(runtime, client)
    finally:
        await runtime.engine.dispose()
