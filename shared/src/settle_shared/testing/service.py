"""Service tests: one service with its real database (migrated) and FastStream's
TestKafkaBroker in place of Kafka, its HTTP API called in-process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from faststream.kafka import TestKafkaBroker

from settle_shared.envelope import Envelope
from settle_shared.events.base import Event
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

    async def publish_outbox(self) -> int:
        """Run the outbox relay until it has nothing left; returns how many it published."""
        total = 0
        while published := await self.runtime.relay.publish_pending():
            total += published
        return total


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
