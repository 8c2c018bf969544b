"""What every use case of the messaging service works with: settings, the business clock, the
database, the outbox, and the administration's sender profile."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_messaging.adapters import tables
from settle_messaging.domain.model import AdministrationInfo, PostalAddress
from settle_messaging.domain.reply_tokens import issue_reply_token
from settle_messaging.domain.templates import TemplateSource
from settle_messaging.settings import MessagingSettings
from settle_shared.clock import Clock
from settle_shared.db import aware
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

CACHE_SECONDS = 5.0


@dataclass
class Messaging:
    """The service's parts, shared by the consumer, the sender, the inbound SMTP endpoint and
    the HTTP API."""

    settings: MessagingSettings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    # Set when something was queued, so the sender does not wait for its next poll.
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    # Profiles and template overrides, read on every request but changed rarely: kept for a
    # few seconds (another replica's change shows within CACHE_SECONDS; this one's at once).
    _cache: dict[tuple[str, str], tuple[float, Any]] = field(default_factory=dict)

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

    async def publish(
        self,
        session: AsyncSession,
        events: Sequence[Event],
        *,
        administration_id: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        """Stage events in the caller's transaction (the outbox relay publishes them)."""
        envelopes = [
            (
                payload.topic.name,
                self.outbox.envelope(
                    payload,
                    administration_id=administration_id,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                ),
            )
            for payload in events
        ]
        await self.outbox.add_envelopes(session, envelopes)


@dataclass(frozen=True)
class SenderProfile:
    """How an administration signs its messages, and what it wants done on a hard bounce."""

    administration: AdministrationInfo
    bounce_policy: str


async def load_profile(
    session: AsyncSession, messaging: Messaging, administration_id: str, language: str = "nl"
) -> SenderProfile:
    """The administration's profile, or the service's defaults when it has none yet."""
    settings = messaging.settings
    found, row = messaging.cached("profile", administration_id)
    if not found:
        row = (
            await session.execute(
                sa.select(tables.administration_profiles).where(
                    tables.administration_profiles.c.administration_id == administration_id
                )
            )
        ).first()
        messaging.remember("profile", administration_id, row)
    if row is None:
        info = AdministrationInfo(
            name=settings.from_name,
            email=settings.from_address,
            default_language=language,
            fallback_language="en" if language != "en" else "nl",
        )
        return SenderProfile(info, settings.bounce_policy)
    address = None
    if row.street and row.postal_code and row.city:
        address = PostalAddress(row.street, row.postal_code, row.city, row.country)
    info = AdministrationInfo(
        name=row.name or settings.from_name,
        email=row.email or settings.from_address,
        default_language=row.default_language,
        fallback_language=row.fallback_language,
        country=row.country,
        phone=row.phone,
        website=row.website,
        address=address,
        iban=row.iban,
        chamber_of_commerce=row.chamber_of_commerce,
    )
    return SenderProfile(info, row.bounce_policy or settings.bounce_policy)


async def load_overrides(
    session: AsyncSession, administration_id: str, messaging: Messaging | None = None
) -> Mapping[tuple[str, str], TemplateSource]:
    """The administration's own templates, keyed by (template key, language)."""
    if messaging is not None:
        found, value = messaging.cached("templates", administration_id)
        if found:
            return value
    table = tables.template_overrides
    rows = await session.execute(
        sa.select(table).where(table.c.administration_id == administration_id)
    )
    overrides = {
        (row.template_key, row.language): TemplateSource(
            subject=row.subject, text=row.body_text, html=row.body_html
        )
        for row in rows
    }
    if messaging is not None:
        messaging.remember("templates", administration_id, overrides)
    return overrides


async def invoice_ids_of(session: AsyncSession, message_ids: Sequence[str]) -> dict[str, list[str]]:
    """The invoices each message is about."""
    found: dict[str, list[str]] = {message_id: [] for message_id in message_ids}
    if not message_ids:
        return found
    table = tables.message_invoices
    rows = await session.execute(
        sa.select(table.c.message_id, table.c.invoice_id)
        .where(table.c.message_id.in_(message_ids))
        .order_by(table.c.message_id, table.c.invoice_id)
    )
    for message_id, invoice_id in rows:
        found[message_id].append(invoice_id)
    return found


def common_fields(message: Any, invoice_ids: list[str]) -> dict[str, Any]:
    """The fields every messaging event carries, taken from a message row."""
    return {
        "administration_id": message.administration_id,
        "message_id": message.message_id,
        "message_request_id": message.message_request_id,
        "debtor_id": message.debtor_id,
        "invoice_ids": invoice_ids,
        "case_id": message.case_id,
        "thread_id": message.thread_id,
    }
