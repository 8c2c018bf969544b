"""The messaging service's ports in memory: a store whose repositories are dicts and lists, and a
Messaging context whose transactions open that store. Use-case tests run on these, so a rule
reads without a database in the way."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, cast

from settle_messaging.application.context import Messaging
from settle_messaging.application.ports import Announcement, Store, TimelineQuery
from settle_messaging.domain.bounces import BlockedAddress
from settle_messaging.domain.messages import (
    Message,
    QueuedEmail,
    StoredAttachment,
    Thread,
    stored_smtp_message_id,
)
from settle_messaging.domain.model import Channel
from settle_messaging.domain.profiles import AdministrationProfile
from settle_messaging.domain.states import Direction, MessageState
from settle_messaging.domain.templates import TemplateSource
from settle_messaging.settings import MessagingSettings
from settle_shared.clock import FixedClock


class InMemoryMessages:
    def __init__(self) -> None:
        self.stored: dict[str, Message] = {}

    def _copy(self, message: Message) -> Message:
        copied = copy.deepcopy(message)
        copied.changed.clear()
        return copied

    async def add(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.stored[message.message_id] = self._copy(message)

    async def get(
        self,
        message_id: str,
        *,
        administration_id: str | None = None,
        channel: str | None = None,
        direction: str | None = None,
    ) -> Message | None:
        found = self.stored.get(message_id)
        if found is None:
            return None
        wanted = {
            "administration_id": administration_id,
            "channel": channel,
            "direction": direction,
        }
        if any(
            value is not None and getattr(found, name) != value for name, value in wanted.items()
        ):
            return None
        return self._copy(found)

    async def save(self, message: Message) -> None:
        stored = self.stored[message.message_id]
        for name in message.changed:
            setattr(stored, name, getattr(message, name))
        message.changed.clear()

    async def save_sent(self, messages: Sequence[Message]) -> None:
        for message in messages:
            await self.save(message)

    async def requests_seen(self, request_ids: Collection[str]) -> set[str]:
        wanted = set(request_ids)
        return {
            m.message_request_id
            for m in self.stored.values()
            if m.message_request_id is not None and m.message_request_id in wanted
        }

    async def letter_for(self, request_id: str) -> bool:
        return any(
            m.message_request_id == request_id and m.channel == Channel.LETTER
            for m in self.stored.values()
        )

    async def last_outbound(self, thread_id: str) -> str | None:
        sent = [
            m
            for m in self.stored.values()
            if m.thread_id == thread_id and m.direction == Direction.OUTBOUND
        ]
        return max(sent, key=lambda m: m.created_at).message_id if sent else None

    async def in_thread(self, message_id: str, thread_id: str) -> bool:
        found = self.stored.get(message_id)
        return found is not None and found.thread_id == thread_id

    async def reply_by_smtp_id(self, thread_id: str, smtp_message_id: str) -> str | None:
        wanted = stored_smtp_message_id(smtp_message_id)
        return next(
            (
                m.message_id
                for m in self.stored.values()
                if m.thread_id == thread_id and m.receipt and m.receipt.smtp_message_id == wanted
            ),
            None,
        )

    async def invoice_ids(self, message_ids: Sequence[str]) -> dict[str, list[str]]:
        return {
            i: list(self.stored[i].invoice_ids) if i in self.stored else [] for i in message_ids
        }

    async def due(
        self,
        now: datetime,
        limit: int,
        *,
        skip_administrations: Collection[str],
        skip_messages: Collection[str],
    ) -> list[QueuedEmail]:
        raise NotImplementedError("the sender is tested against the service")

    async def attachment(
        self, administration_id: str, message_id: str, attachment_id: str
    ) -> StoredAttachment | None:
        message = self.stored.get(message_id)
        if message is None or message.administration_id != administration_id:
            return None
        return next((a for a in message.attachments if a.attachment_id == attachment_id), None)

    async def language_of_thread(self, thread_id: str) -> str | None:
        spoken = [m for m in self.stored.values() if m.thread_id == thread_id and m.language]
        return max(spoken, key=lambda m: m.created_at).language if spoken else None


class InMemoryThreads:
    def __init__(self) -> None:
        self.stored: dict[str, Thread] = {}

    async def add(self, threads: Sequence[Thread]) -> None:
        for thread in threads:
            self.stored[thread.thread_id] = replace(thread)

    async def get(self, thread_id: str, administration_id: str | None = None) -> Thread | None:
        found = self.stored.get(thread_id)
        if found is None or administration_id not in (None, found.administration_id):
            return None
        return replace(found)

    async def touch(self, thread_id: str, at: datetime) -> None:
        self.stored[thread_id].last_message_at = at


class InMemoryBlockedAddresses:
    def __init__(self) -> None:
        self.reasons: dict[tuple[str, str], str] = {}
        self.at: dict[tuple[str, str], datetime] = {}

    async def blocked_among(self, candidates: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        return set(candidates) & set(self.reasons)

    async def block(self, administration_id: str, address: str, reason: str, at: datetime) -> None:
        self.reasons.setdefault((administration_id, address), reason)
        self.at.setdefault((administration_id, address), at)

    async def listed(
        self, administration_id: str, limit: int, after: str | None
    ) -> list[BlockedAddress]:
        found = sorted(
            address
            for owner, address in self.reasons
            if owner == administration_id and (after is None or address > after)
        )
        return [
            BlockedAddress(
                address,
                self.reasons[(administration_id, address)],
                self.at[(administration_id, address)],
            )
            for address in found[:limit]
        ]

    async def unblock(self, administration_id: str, address: str) -> bool:
        self.at.pop((administration_id, address), None)
        return self.reasons.pop((administration_id, address), None) is not None


class InMemoryTemplates:
    def __init__(self) -> None:
        self.stored: dict[str, dict[tuple[str, str], TemplateSource]] = {}

    async def overrides(self, administration_id: str) -> dict[tuple[str, str], TemplateSource]:
        return dict(self.stored.get(administration_id, {}))

    async def save(
        self,
        administration_id: str,
        template_key: str,
        language: str,
        source: TemplateSource,
        at: datetime,
    ) -> None:
        self.stored.setdefault(administration_id, {})[(template_key, language)] = source

    async def remove(self, administration_id: str, template_key: str, language: str) -> None:
        self.stored.get(administration_id, {}).pop((template_key, language), None)


class InMemoryProfiles:
    def __init__(self) -> None:
        self.stored: dict[str, AdministrationProfile] = {}

    async def get(self, administration_id: str) -> AdministrationProfile | None:
        return self.stored.get(administration_id)

    async def replace(self, profile: AdministrationProfile) -> None:
        self.stored[profile.administration_id] = profile


class InMemoryAdministrations:
    def __init__(self) -> None:
        self.stored: dict[str, tuple[str, datetime]] = {}

    async def known(self, administration_id: str) -> bool:
        return administration_id in self.stored

    async def learn(self, administration_id: str, name: str, at: datetime) -> None:
        held = self.stored.get(administration_id)
        self.stored[administration_id] = (name, held[1] if held else at)


class InMemoryTimeline:
    def __init__(self, messages: InMemoryMessages) -> None:
        self._messages = messages

    async def page(
        self, query: TimelineQuery, limit: int, after: tuple[datetime, str] | None
    ) -> list[Message]:
        def matches(message: Message) -> bool:
            conditions = {
                name: getattr(query, name)
                for name in ("administration_id", "debtor_id", "case_id", "thread_id",
                             "message_id", "direction", "state")
            }  # fmt: skip
            if any(v is not None and getattr(message, k) != v for k, v in conditions.items()):
                return False
            if query.invoice_id is not None and query.invoice_id not in message.invoice_ids:
                return False
            return after is None or (message.created_at, message.message_id) < after

        found = sorted(
            (m for m in self._messages.stored.values() if matches(m)),
            key=lambda m: (m.created_at, m.message_id),
            reverse=True,
        )
        return found[:limit]


@dataclass
class InMemoryStore:
    """Every repository in memory, and the events published, in order."""

    messages: InMemoryMessages = field(default_factory=InMemoryMessages)
    threads: InMemoryThreads = field(default_factory=InMemoryThreads)
    blocked: InMemoryBlockedAddresses = field(default_factory=InMemoryBlockedAddresses)
    templates: InMemoryTemplates = field(default_factory=InMemoryTemplates)
    profiles: InMemoryProfiles = field(default_factory=InMemoryProfiles)
    administrations: InMemoryAdministrations = field(default_factory=InMemoryAdministrations)
    published: list[Announcement] = field(default_factory=list)

    @property
    def timeline(self) -> InMemoryTimeline:
        return InMemoryTimeline(self.messages)

    async def publish(self, announcements: Sequence[Announcement]) -> None:
        self.published.extend(announcements)

    def event_types(self) -> list[str]:
        return [item.event.event_type for item in self.published]

    def by_state(self) -> list[tuple[str, MessageState]]:
        return [(m.channel, m.state) for m in self.messages.stored.values()]


class InMemoryMessaging(Messaging):
    """The service's context on an in-memory store: every transaction opens the same store."""

    def __init__(self, store: InMemoryStore, **settings: Any) -> None:
        defaults: dict[str, Any] = {
            "mail_domain": "mail.settle.example",
            "portal_base_url": "https://settle.example",
        }
        super().__init__(
            settings=MessagingSettings(**(defaults | settings)),
            clock=FixedClock(datetime(2025, 2, 12, 9, 30, tzinfo=UTC)),
            sessions=cast(Any, None),
            store_in=lambda _: store,
            mail_transport=cast(Any, None),
        )
        self.store = store

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Store]:
        yield self.store
