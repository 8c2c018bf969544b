"""What every use case of the messaging service runs with: settings, the business clock, the
store (repositories and outbox) of a transaction, the mail connection, and the
administrations' sender profiles and templates, cached for a few seconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_messaging.application.ports import MailTransport, Store, TemplateOverrides
from settle_messaging.domain.profiles import SenderDefaults, SenderProfile, sender_profile
from settle_messaging.domain.reply_tokens import issue_reply_token
from settle_messaging.settings import MessagingSettings
from settle_shared.clock import Clock
from settle_shared.db import aware, transaction
from settle_shared.portal_links import (
    MAX_INVOICES,
    PortalLink,
    portal_reply_url,
    portal_url,
    sign_portal_link,
)

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class PortalLinks:
    """Where a message sends the debtor: the portal's pay page for its invoices (none for a
    message about no invoice) and its reply page."""

    payment: str | None
    reply: str


@dataclass
class Messaging:
    """The service's parts, shared by the consumer, the sender, the inbound SMTP endpoint and
    the HTTP API."""

    settings: MessagingSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    # The store of a transaction (the database's repositories and outbox).
    store_in: Callable[[AsyncSession], Store]
    # A new connection outgoing mail leaves by.
    mail_transport: Callable[[], MailTransport]
    # Set when something was queued, so the sender does not wait for its next poll.
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Profiles and template overrides, read on every request but changed rarely: kept for a
    # few seconds (another replica's change shows within CACHE_SECONDS; this one's at once).
    _cache: dict[tuple[str, str], tuple[float, Any]] = field(default_factory=dict)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        """The store of a new transaction, committed when the block ends without error."""
        async with transaction(self.sessions) as session:
            yield self.store_in(session)

    def cached(self, kind: str, administration_id: str) -> tuple[bool, Any]:
        """(found, value) of a cached read."""
        hit = self._cache.get((kind, administration_id))
        if hit is None or time.monotonic() - hit[0] > CACHE_SECONDS:
            return False, None
        return True, hit[1]

    def remember(self, kind: str, administration_id: str, value: Any) -> None:
        self._cache[(kind, administration_id)] = (time.monotonic(), value)

    def forget(self, administration_id: str) -> None:
        """Drop what is cached of an administration (after this replica changed it)."""
        for key in [key for key in self._cache if key[1] == administration_id]:
            del self._cache[key]

    def now(self) -> datetime:
        """Business time in UTC (how every time is stored)."""
        return self.clock.now().astimezone(UTC)

    @property
    def reply_secret(self) -> bytes:
        return self.settings.reply_token_secret.get_secret_value().encode()

    def reply_token(self, thread_id: str, expires_at: datetime) -> str:
        """The token of a thread; derived, never stored."""
        return issue_reply_token(UUID(thread_id), aware(expires_at), self.reply_secret)

    def portal_links(
        self, administration_id: str, debtor_id: str, invoice_ids: Sequence[str], thread_id: str
    ) -> PortalLinks:
        """The payment and reply links of a message: the debtor portal, opened by a signed
        token for the message's invoices and thread."""
        invoices = tuple(dict.fromkeys(invoice_ids))[:MAX_INVOICES]
        link = PortalLink(
            administration_id=administration_id,
            debtor_id=debtor_id,
            invoice_ids=invoices,
            thread_id=thread_id,
            expires_at=self.now() + timedelta(days=self.settings.portal_link_days),
        )
        token = sign_portal_link(link, self.settings.portal_link_secret.get_secret_value().encode())
        base = self.settings.portal_base_url
        return PortalLinks(
            payment=portal_url(base, token) if invoices else None,
            reply=portal_reply_url(base, token),
        )

    @property
    def sender_defaults(self) -> SenderDefaults:
        settings = self.settings
        return SenderDefaults(settings.from_name, settings.from_address, settings.bounce_policy)


async def load_profile(
    store: Store, messaging: Messaging, administration_id: str, language: str = "nl"
) -> SenderProfile:
    """The administration's profile, or the service's defaults when it has none yet."""
    found, stored = messaging.cached("profile", administration_id)
    if not found:
        stored = await store.profiles.get(administration_id)
        messaging.remember("profile", administration_id, stored)
    return sender_profile(stored, messaging.sender_defaults, language)


async def load_overrides(
    store: Store, administration_id: str, messaging: Messaging | None = None
) -> TemplateOverrides:
    """The administration's own templates, keyed by (template key, language)."""
    if messaging is not None:
        found, value = messaging.cached("templates", administration_id)
        if found:
            return value
    overrides = await store.templates.overrides(administration_id)
    if messaging is not None:
        messaging.remember("templates", administration_id, overrides)
    return overrides
