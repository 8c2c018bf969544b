"""Wiring of the importer: its internal API, the scheduler of daily imports and the drop-folder
watcher, and the `settle importer …` commands."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_importer import api, errors
from settle_importer.adapters.connectors import ConnectorSources
from settle_importer.adapters.consumer import apply_received
from settle_importer.adapters.repositories import SqlRepositories
from settle_importer.adapters.tables import metadata
from settle_importer.adapters.upload_folders import remove_abandoned
from settle_importer.application.context import ImporterContext
from settle_importer.application.importing import fail_runs_left_behind
from settle_importer.application.scheduler import DropFolderWatcher, run_due_imports
from settle_importer.cli import cli
from settle_importer.domain.runs import RunOwner
from settle_importer.settings import ImporterSettings
from settle_shared.clock import clock_from_settings
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import is_sqlite
from settle_shared.events.gateway import ADMINISTRATIONS
from settle_shared.logs import get_logger
from settle_shared.outbox import Outbox
from settle_shared.service import ServiceRuntime, ServiceSpec

log = get_logger(__name__)

CONSUMER_GROUP = "importer"


def context_for(
    settings: ImporterSettings, sessions: async_sessionmaker[AsyncSession]
) -> ImporterContext:
    """A use-case context outside a running service (the command line, benchmarks). Its runs
    are owned by this process alone: no service takes them as left behind by a restart."""
    clock = clock_from_settings(settings.clock_file)
    postgres = not is_sqlite(settings.database_url)
    return ImporterContext(
        sessions=sessions,
        outbox=Outbox(metadata, source="/settle/importer", clock=clock),
        clock=clock,
        settings=settings,
        postgres=postgres,
        repository_factory=partial(SqlRepositories, postgres=postgres),
        sources=ConnectorSources(),
        owner=RunOwner.alone(f"command {socket.gethostname()} {os.getpid()}"),
    )


def setup(runtime: ServiceRuntime) -> None:
    """The internal API, the consumer of the gateway's administrations, the daily-import
    scheduler and the drop-folder watcher."""
    settings = runtime.settings
    assert isinstance(settings, ImporterSettings)
    postgres = not is_sqlite(settings.database_url)
    runtime.app.state.importer = ImporterContext(
        sessions=runtime.sessions,
        outbox=runtime.outbox,
        clock=runtime.clock,
        settings=settings,
        postgres=postgres,
        repository_factory=partial(SqlRepositories, postgres=postgres),
        sources=ConnectorSources(),
        notify=runtime.relay.notify,
        owner=RunOwner.starting(settings.replica_name or socket.gethostname()),
    )
    api.install(runtime.app)
    errors.install(runtime.app)

    def context() -> ImporterContext:
        # Looked up on every tick, so tests can swap the business clock.
        ctx: ImporterContext = runtime.app.state.importer
        return ctx

    async def handle(session: AsyncSession, received: ReceivedEvent) -> None:
        await apply_received(context(), session, received)

    runtime.consume(
        CONSUMER_GROUP, [ADMINISTRATIONS.name], handle, dead_letters=errors.DEAD_LETTER_ERRORS
    )

    async def every(
        stop: asyncio.Event, seconds: float, name: str, work: Callable[[], Awaitable[object]]
    ) -> None:
        while not stop.is_set():
            try:
                await work()
            except Exception as exc:  # database away, folder unreadable: try again later
                log.warning("background loop failed; retrying", loop=name, error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=seconds)
            except TimeoutError:
                pass

    watcher = DropFolderWatcher(context())

    async def scan_drop_folders() -> None:
        watcher.ctx = context()
        await watcher.scan()

    async def scheduler(stop: asyncio.Event) -> None:
        await every(
            stop, settings.scheduler_poll_s, "daily import", lambda: run_due_imports(context())
        )

    async def drop_folders(stop: asyncio.Event) -> None:
        await every(stop, settings.inbox_poll_s, "drop folder", scan_drop_folders)

    async def fail_what_a_restart_left(stop: asyncio.Event) -> None:
        # Once at start-up, retried while the database is not there yet.
        while not stop.is_set():
            try:
                await fail_runs_left_behind(context())
                return
            except Exception as exc:
                log.warning("runs left behind not looked at; retrying", error=repr(exc))
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.scheduler_poll_s)
            except TimeoutError:
                pass

    async def remove_abandoned_uploads(stop: asyncio.Event) -> None:
        removed = await asyncio.to_thread(
            remove_abandoned, settings.uploads_dir, settings.abandoned_upload_after_s
        )
        if removed:
            log.warning("upload folders left by a stopped replica removed", folders=removed)

    async def finish_background_runs(stop: asyncio.Event) -> None:
        await stop.wait()
        tasks = list(context().tasks)
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    runtime.add_background(finish_background_runs)
    runtime.add_background(fail_what_a_restart_left)
    runtime.add_background(remove_abandoned_uploads)
    if settings.scheduler_enabled:
        runtime.add_background(scheduler)
        runtime.add_background(drop_folders)


SERVICE = ServiceSpec(
    name="importer",
    description="Imports invoices, credit notes and debtors from bookkeeping (files, drop "
    "folders, APIs) on a schedule and publishes what changed.",
    settings_cls=ImporterSettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    cli=cli,
    top_level_commands=("import",),
    start_order=10,
    embedded_settings=lambda ctx: {
        "inbox_dir": str(ctx.var_dir / "inbox"),
        "uploads_dir": str(ctx.var_dir / "uploads"),
    },
)

__all__ = ["SERVICE", "context_for"]
