"""The context the importer's use cases run in: the database and its repositories, the sources,
the outbox, the clock, the settings, and who owns the runs started with it. The wiring (`app.py`)
builds one with the adapters; tests may swap the clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_importer.application.ports import Repositories, RepositoryFactory, Sources
from settle_importer.domain.runs import RunOwner
from settle_importer.settings import ImporterSettings
from settle_shared.clock import Clock
from settle_shared.outbox import Outbox


@dataclass(frozen=True)
class ImporterContext:
    """What the use cases need; the wiring builds one, tests may swap the clock."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    clock: Clock
    settings: ImporterSettings
    postgres: bool
    repository_factory: RepositoryFactory
    sources: Sources
    notify: Callable[[], None] = lambda: None
    # Who owns the runs started here (the wiring names the replica).
    owner: RunOwner = field(default_factory=lambda: RunOwner.alone("unnamed"))
    # Runs started in the background by the API, kept so they are not garbage-collected.
    tasks: set[asyncio.Task[Any]] = field(default_factory=set, compare=False)

    def repositories(self, session: AsyncSession) -> Repositories:
        """The repositories of one transaction."""
        return self.repository_factory(session)
