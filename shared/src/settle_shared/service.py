"""How a service is declared and run.

A service declares itself with a `ServiceSpec` exposed as a `settle.services` entry point in its
own pyproject.toml; the CLI, the embedded stack and the tests find it there. Nothing else lists
the services."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import typer
from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from settle_shared.api_docs import add_offline_docs
from settle_shared.clock import Clock, clock_from_settings
from settle_shared.consumer import BatchHandler, EventConsumer, Handler, ReceivedEvent
from settle_shared.db import check_database, create_engine, session_factory
from settle_shared.events.base import EVENT_TYPES, TOPICS
from settle_shared.health import (
    ReadinessCheck,
    add_request_metrics,
    health_router,
    require_service_token,
)
from settle_shared.kafka import catalogue_topics, cluster_id, create_broker, ensure_topics
from settle_shared.logs import configure_logging, get_logger
from settle_shared.outbox import KafkaSender, Outbox, OutboxRelay
from settle_shared.settings import ServiceSettings, load_settings

log = get_logger(__name__)

ENTRY_POINT_GROUP = "settle.services"

BackgroundTask = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class EmbeddedContext:
    """What the embedded stack tells a service about its neighbours."""

    var_dir: Path
    smtp_host: str
    smtp_port: int
    inbound_smtp_port: int  # where the stack expects replies and bounces to arrive
    service_urls: dict[str, str]
    host: str = "127.0.0.1"
    # The companions' addresses (see Companion), by name.
    companion_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Companion:
    """A process the embedded stack starts beside a service, before the services: a stand-in
    for a system outside Settle (the payments service's local PSP). It answers
    `GET /health/live` once it is ready."""

    name: str
    default_port: int
    # The interpreter's arguments that start it on a port (["-m", "module", "--port", …]).
    arguments: Callable[[EmbeddedContext, int], list[str]]
    description: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    """Everything the platform needs to know to migrate, start and document a service."""

    name: str
    description: str
    settings_cls: type[ServiceSettings]
    metadata: sa.MetaData
    migrations_dir: Path
    setup: Callable[[ServiceRuntime], None]
    cli: typer.Typer | None = None
    # The embedded stack starts services in this order (lower first); the gateway goes last.
    start_order: int = 50
    # Commands also offered at the top level (`settle import` beside `settle importer import`).
    top_level_commands: tuple[str, ...] = ()
    # Extra settings (field name -> value) for this service in the embedded stack.
    embedded_settings: Callable[[EmbeddedContext], dict[str, str]] | None = None
    # Processes the embedded stack starts for this service (`settle up`), never in production.
    companions: tuple[Companion, ...] = ()

    def load_settings(self, **overrides: Any) -> ServiceSettings:
        return load_settings(self.settings_cls, **overrides)

    @property
    def env_prefix(self) -> str:
        return str(self.settings_cls.model_config.get("env_prefix", ""))


@dataclass
class ServiceRuntime:
    """A running service's parts. `spec.setup` adds its routes, consumers and tasks to it."""

    spec: ServiceSpec
    settings: ServiceSettings
    clock: Clock = field(init=False)
    app: FastAPI = field(init=False)
    broker: KafkaBroker = field(init=False)
    outbox: Outbox = field(init=False)
    relay: OutboxRelay = field(init=False)
    consumers: list[EventConsumer] = field(default_factory=list, init=False)
    background: list[BackgroundTask] = field(default_factory=list, init=False)
    after_commit: Callable[[Sequence[ReceivedEvent]], None] | None = None

    def __post_init__(self) -> None:
        settings, spec = self.settings, self.spec
        self.clock = clock_from_settings(settings.clock_file)
        self.engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        self.broker = create_broker(settings, client_id=f"settle-{spec.name}")
        self.outbox = Outbox(spec.metadata, source=f"/settle/{spec.name}", clock=self.clock)
        self.relay = build_relay(spec, settings, self.engine, self.sessions, self.clock)
        self.app = FastAPI(
            title=f"Settle {spec.name}",
            description=spec.description,
            version="1",
            lifespan=self._lifespan,
            # Swagger UI from the service's own files (add_offline_docs), not a CDN.
            docs_url=None,
            redoc_url=None,
        )
        add_offline_docs(self.app)
        self.app.state.runtime = self
        require_service_token(self.app, settings.service_token)
        add_request_metrics(self.app)
        self.readiness_checks: dict[str, ReadinessCheck] = {
            "database": self._check_database,
            "broker": self._check_broker,
        }
        self.app.include_router(health_router(self.readiness_checks))
        self._document_publishers()

    def consume(
        self,
        group_id: str,
        topics: Sequence[str],
        handler: Handler | None = None,
        *,
        batch_handler: BatchHandler | None = None,
        dead_letters: tuple[type[Exception], ...] = (),
    ) -> EventConsumer:
        """Subscribe one consumer group to `topics` (one group per service joins once), with a
        handler per event or one per batch. Errors of a `dead_letters` type go to the
        dead-letter topic at once, without retries."""
        consumer = EventConsumer(
            group_id=group_id,
            topics=topics,
            handler=handler,
            batch_handler=batch_handler,
            sessions=self.sessions,
            metadata=self.spec.metadata,
            broker=self.broker,
            settings=self.settings,
            clock=self.clock,
            after_commit=self.after_commit,
            dead_letters=dead_letters,
        )
        self.consumers.append(consumer)
        return consumer

    def add_readiness_check(self, name: str, check: ReadinessCheck) -> None:
        """One more thing `/health/ready` waits for (it raises while not ready)."""
        self.readiness_checks[name] = check

    def add_background(self, task: BackgroundTask) -> None:
        """A loop that runs while the service runs and stops when the event is set."""
        self.background.append(task)

    def _document_publishers(self) -> None:
        # Publishers declared for the AsyncAPI document only; the relay does the publishing.
        for topic in TOPICS.values():
            if topic.producer != self.spec.name:
                continue
            models = [m for m in EVENT_TYPES.values() if m.topic.name == topic.name]
            schema: Any = models[0] if len(models) == 1 else None
            self.broker.publisher(
                topic.name, description=topic.description, schema=schema, title=topic.name
            )

    async def _check_database(self) -> None:
        await check_database(self.engine)

    async def _check_broker(self) -> None:
        if not await self.broker.ping(timeout=2.0):
            raise ConnectionError(f"no answer from {self.settings.kafka_bootstrap_servers}")

    @asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        settings = self.settings
        await ensure_catalogue_topics(settings)
        await self.broker.start()
        tune_garbage_collection()
        in_process = settings.outbox_relay_in_process
        stop = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []
        if in_process:
            await self.relay.start()
            tasks.append(asyncio.create_task(self.relay.run(stop), name="outbox-relay"))
        tasks += [asyncio.create_task(task(stop)) for task in self.background]
        log.info(
            "service started",
            port=settings.http_port,
            consumers=len(self.consumers),
            # false: `settle relay <service>` publishes this service's outbox
            outbox_relay_in_process=in_process,
        )
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if in_process:
                await self.relay.stop()
            await self.broker.stop()
            await self.engine.dispose()
            log.info("service stopped")


def build_relay(
    spec: ServiceSpec,
    settings: ServiceSettings,
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> OutboxRelay:
    """The relay of a service's outbox, the same inside the service and in `settle relay`."""
    return OutboxRelay(
        engine=engine,
        sessions=sessions,
        metadata=spec.metadata,
        sender=KafkaSender(
            settings.kafka_bootstrap_servers,
            idempotence=settings.kafka_idempotence,
            client_id=f"settle-{spec.name}-relay",
        ),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        clock=clock,
        batch_size=settings.outbox_batch_size,
        poll_interval_s=settings.outbox_poll_interval_s,
        replay_on_new_cluster=settings.outbox_replay_on_new_cluster,
    )


@dataclass
class RelayRuntime:
    """A service's outbox relay as a process of its own (`settle relay <service>`): the
    service's engine and relay, and the same health and metrics endpoints, nothing else (no
    API, no consumers, no background loops)."""

    spec: ServiceSpec
    settings: ServiceSettings
    app: FastAPI = field(init=False)
    relay: OutboxRelay = field(init=False)

    def __post_init__(self) -> None:
        settings, spec = self.settings, self.spec
        self.clock = clock_from_settings(settings.clock_file)
        self.engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
        self.sessions = session_factory(self.engine)
        self.relay = build_relay(spec, settings, self.engine, self.sessions, self.clock)
        self.app = FastAPI(
            title=f"Settle {spec.name} outbox relay",
            version="1",
            lifespan=self._lifespan,
            openapi_url=None,
        )
        self.app.include_router(
            health_router({"database": self._check_database, "broker": self._check_broker})
        )

    async def _check_database(self) -> None:
        await check_database(self.engine)

    async def _check_broker(self) -> None:
        await cluster_id(self.settings.kafka_bootstrap_servers)

    @asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        settings = self.settings
        # Like the service: the relay must not publish to topics that do not exist yet.
        await ensure_catalogue_topics(settings)
        await self.relay.start()
        tune_garbage_collection()
        stop = asyncio.Event()
        task = asyncio.create_task(self.relay.run(stop), name="outbox-relay")
        log.info("outbox relay started", batch_size=settings.outbox_batch_size)
        try:
            yield
        finally:
            # The pass under way finishes (its events published and taken off the queue).
            stop.set()
            await asyncio.gather(task, return_exceptions=True)
            await self.relay.stop()
            await self.engine.dispose()
            log.info("outbox relay stopped")


async def ensure_catalogue_topics(settings: ServiceSettings) -> None:
    """Create every topic of the event catalogue that the broker does not have yet."""
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        catalogue_topics(),
        partitions=settings.kafka_partitions,
        replication_factor=settings.kafka_replication_factor,
    )


# Collect the youngest generation every 50,000 allocations instead of 700, and the oldest
# rarely: an import or a daily run allocates millions of short-lived objects, which the
# default thresholds collect over and over (docs/operations.md, Performance notes).
GC_THRESHOLDS = (50_000, 50, 1000)


def tune_garbage_collection() -> None:
    """For a long-running process once it has started: what exists now (modules, the app,
    settings) is kept out of every later collection, which then scans only what work made."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def build_runtime(spec: ServiceSpec, settings: ServiceSettings | None = None) -> ServiceRuntime:
    """Wire a service: settings from the environment unless given."""
    settings = settings or spec.load_settings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    runtime = ServiceRuntime(spec, settings)
    spec.setup(runtime)
    return runtime


def build_relay_runtime(spec: ServiceSpec, settings: ServiceSettings | None = None) -> RelayRuntime:
    """Wire a service's relay alone: settings from the environment unless given."""
    settings = settings or spec.load_settings()
    configure_logging(spec.name, settings.log_level, settings.log_format)
    return RelayRuntime(spec, settings)


def discover_services() -> dict[str, ServiceSpec]:
    """Every installed service, by name, in start order."""
    specs = [_spec(ep.load()) for ep in entry_points(group=ENTRY_POINT_GROUP)]
    return {spec.name: spec for spec in sorted(specs, key=lambda s: (s.start_order, s.name))}


def load_service(name: str) -> ServiceSpec:
    """One installed service, importing only its own code: a worker process serving the
    gateway need not import the messaging service's PDF library, nor wait for it."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return _spec(ep.load())
    raise LookupError(f"no service {name!r} is installed")


def _spec(loaded: object) -> ServiceSpec:
    if not isinstance(loaded, ServiceSpec):
        raise TypeError(f"{loaded!r} registered under {ENTRY_POINT_GROUP} is not a ServiceSpec")
    return loaded
