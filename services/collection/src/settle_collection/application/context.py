"""What every use case of the collection service runs with: settings, the business clock, the
store of a transaction, the registry of partners, and for own partners' dossiers the mail
server and the sources of the dossier's files."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_collection.application.ports import DossierSources, Mailer, Store
from settle_collection.domain.partners import Partner
from settle_collection.settings import CollectionSettings
from settle_shared.clock import Clock, today
from settle_shared.db import transaction


@dataclass
class CollectionContext:
    """The service's parts, shared by the API, the consumer and the background loops."""

    settings: CollectionSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    # The store of a transaction (the database's repositories and outbox).
    store_in: Callable[[AsyncSession], Store]
    # The registry of partners with a direct integration, by id.
    partners: dict[str, Partner] = field(default_factory=dict)
    mailer: Mailer | None = None
    dossier_sources: DossierSources | None = None
    # The own partner's dossier as a ZIP, from the handoff document and its files.
    write_dossier: Callable[..., bytes] | None = None
    # Called after a commit that staged events, so the relay publishes them at once.
    published: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        """The store of a new transaction, committed when the block ends without error."""
        async with transaction(self.sessions) as session:
            yield self.store_in(session)

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone business dates fall in."""
        return ZoneInfo(self.settings.time_zone)

    def business_date(self) -> date:
        """Today's business date, from the business clock."""
        return today(self.clock, self.time_zone)

    def now(self) -> datetime:
        """Business time in UTC (how every time is stored)."""
        return self.clock.now().astimezone(UTC)
