"""Wiring of the dunning service: its consumers, its internal API, the daily-run loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_dunning import api, errors
from settle_dunning.adapters.consumer import apply_batch
from settle_dunning.adapters.repositories import SqlRepositories
from settle_dunning.adapters.tables import metadata
from settle_dunning.application.context import DunningContext
from settle_dunning.application.daily_run import run_due_days
from settle_dunning.application.online_payments import end_unbooked_holds
from settle_dunning.cli import cli
from settle_dunning.settings import DunningSettings
from settle_shared.clock import clock_from_settings
from settle_shared.consumer import ReceivedEvent
from settle_shared.events.collection import CASES
from settle_shared.events.gateway import ADMINISTRATIONS
from settle_shared.events.importer import DEBTORS, INVOICES
from settle_shared.events.messaging import MESSAGES
from settle_shared.events.payments import PAYMENTS
from settle_shared.logs import get_logger
from settle_shared.outbox import Outbox
from settle_shared.service import ServiceRuntime, ServiceSpec

log = get_logger(__name__)

CONSUMER_GROUP = "dunning"


def context_for(
    settings: DunningSettings, sessions: async_sessionmaker[AsyncSession]
) -> DunningContext:
    """A use-case context outside a running service (the command line, benchmarks)."""
    clock = clock_from_settings(settings.clock_file)
    outbox = Outbox(metadata, source=f"/settle/{SERVICE.name}", clock=clock)
    return DunningContext(
        sessions=sessions,
        outbox=outbox,
        clock=clock,
        settings=settings,
        repository_factory=SqlRepositories,
    )


def setup(runtime: ServiceRuntime) -> None:
    """Consumers of the gateway's administrations, the importer's facts, messaging's events,
    payments and collection cases, the internal API and the daily-run loop (which also ends
    payment holds that ran out)."""
    settings = runtime.settings
    assert isinstance(settings, DunningSettings)
    ctx = DunningContext(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        clock=runtime.clock,
        settings=settings,
        repository_factory=SqlRepositories,
    )
    runtime.app.state.dunning = ctx

    async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
        # Looked up per batch rather than captured, so tests can swap the business clock.
        await apply_batch(runtime.app.state.dunning, session, events)

    runtime.consume(
        CONSUMER_GROUP,
        [
            ADMINISTRATIONS.name,
            INVOICES.name,
            DEBTORS.name,
            MESSAGES.name,
            PAYMENTS.name,
            CASES.name,
        ],
        batch_handler=handle,
        dead_letters=errors.DEAD_LETTER_ERRORS,
    )
    api.install(runtime.app)
    errors.install(runtime.app)

    async def daily_run_loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                # Invoices paid online but not booked within the hold resume first, so the
                # day's run sends their next step.
                ended = await end_unbooked_holds(runtime.app.state.dunning)
                if await run_due_days(runtime.app.state.dunning) or ended:
                    runtime.relay.notify()
            except Exception as exc:  # database away: try again on the next tick
                log.warning("daily run loop failed; retrying", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.daily_run_poll_s)
            except TimeoutError:
                pass

    if settings.daily_run_enabled:
        runtime.add_background(daily_run_loop)


SERVICE = ServiceSpec(
    name="dunning",
    description="Dunning flows, each invoice's dunning state and the daily run: decides who "
    "is reminded of what, when and how.",
    settings_cls=DunningSettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    cli=cli,
    start_order=30,
)
