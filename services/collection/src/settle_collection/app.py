"""Wiring of the collection service: the consumer of others' facts and partners' reports, the
internal API, the daily step run and the own partners' dossier emails."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_collection import api, errors
from settle_collection.adapters.consumer import TOPICS, batch_handler
from settle_collection.adapters.dossier import write_dossier
from settle_collection.adapters.dossier_sources import HttpDossierSources
from settle_collection.adapters.mail import SmtpMailer
from settle_collection.adapters.partners import load_partners
from settle_collection.adapters.repositories import SqlStore
from settle_collection.adapters.tables import metadata
from settle_collection.application.context import CollectionContext
from settle_collection.application.handoffs import send_dossiers
from settle_collection.application.schedule import run_schedule
from settle_collection.cli import cli
from settle_collection.settings import CollectionSettings
from settle_shared.clock import Clock, clock_from_settings
from settle_shared.logs import get_logger
from settle_shared.outbox import Outbox
from settle_shared.service import EmbeddedContext, ServiceRuntime, ServiceSpec

log = get_logger(__name__)

CONSUMER_GROUP = "collection"


def context_for(
    settings: CollectionSettings,
    sessions: async_sessionmaker[AsyncSession],
    clock: Clock | None = None,
    outbox: Outbox | None = None,
) -> CollectionContext:
    """A use-case context: the running service's, or one for the command line and benchmarks."""
    clock = clock or clock_from_settings(settings.clock_file)
    outbox = outbox or Outbox(metadata, source="/settle/collection", clock=clock)
    return CollectionContext(
        settings=settings,
        clock=clock,
        sessions=sessions,
        store_in=lambda session: SqlStore(session, outbox, clock.now()),
        partners=load_partners(settings.partners_file),
    )


def setup(runtime: ServiceRuntime) -> None:
    """The consumer, the API, the step run and the dossier emails."""
    settings = cast(CollectionSettings, runtime.settings)
    sources = HttpDossierSources(settings)
    ctx = context_for(settings, runtime.sessions, runtime.clock, runtime.outbox)
    ctx.mailer = SmtpMailer(settings, runtime.clock)
    ctx.dossier_sources = sources
    ctx.write_dossier = write_dossier
    ctx.published = runtime.relay.notify
    runtime.app.state.collection = ctx

    runtime.consume(
        CONSUMER_GROUP,
        TOPICS,
        batch_handler=batch_handler(lambda: runtime.app.state.collection),
        dead_letters=errors.DEAD_LETTER_ERRORS,
    )
    api.install(runtime.app)
    errors.install(runtime.app)

    async def background(stop: asyncio.Event) -> None:
        while not stop.is_set():
            current: CollectionContext = runtime.app.state.collection
            try:
                if settings.schedule_enabled:
                    await run_schedule(current)
                await send_dossiers(current)
            except Exception as exc:  # database or mail server away: try again next tick
                log.warning("collection loop failed; retrying", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.schedule_poll_s)
            except TimeoutError:
                pass
        await sources.close()

    runtime.add_background(background)


def embedded_settings(ctx: EmbeddedContext) -> dict[str, str]:
    """In the embedded stack the dossiers go to the local SMTP server (var/mail), and the
    messages' texts come from the stack's messaging service."""
    settings = {
        "smtp_host": ctx.smtp_host,
        "smtp_port": str(ctx.smtp_port),
        "smtp_mode": "plain",
        # Cases step and forward within seconds of a change of the business clock.
        "schedule_poll_s": "5",
    }
    if url := ctx.service_urls.get("messaging"):
        settings["messaging_url"] = url
    return settings


SERVICE = ServiceSpec(
    name="collection",
    description="Collection cases for invoices whose reminders ran their course: Dutch "
    "collection costs (WIK) and statutory interest, payments allocated by art. 6:44 BW, and "
    "the handoff to judicial collection partners (bailiffs).",
    settings_cls=CollectionSettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    cli=cli,
    start_order=50,
    embedded_settings=embedded_settings,
)
