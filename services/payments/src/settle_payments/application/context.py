"""What every use case of the payments service runs with: settings, the business clock, the
store of a transaction and the PSP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_payments.application.ports import Psp, Store
from settle_payments.settings import PaymentsSettings
from settle_shared.clock import Clock
from settle_shared.db import transaction

WEBHOOK_PATH = "/webhooks/mollie"


@dataclass
class PaymentsContext:
    """The service's parts, shared by the API, the webhook, the consumer and the refresher."""

    settings: PaymentsSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    # The store of a transaction (the database's repositories and outbox).
    store_in: Callable[[AsyncSession], Store]
    psp: Psp
    # Called after a commit that staged events, so the relay publishes them at once.
    published: Callable[[], None] = lambda: None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        """The store of a new transaction, committed when the block ends without error."""
        async with transaction(self.sessions) as session:
            yield self.store_in(session)

    def now(self) -> datetime:
        """Business time in UTC (how every time is stored)."""
        return self.clock.now().astimezone(UTC)

    @property
    def webhook_url(self) -> str:
        """Where the PSP reports changes: this service's public address."""
        return self.settings.public_base_url.rstrip("/") + WEBHOOK_PATH
