"""What the use cases need from the edge, as protocols: a repository per aggregate (messages,
threads, blocked addresses, template overrides, sender profiles), the timeline's query, the
outbox, and the connection mail leaves by. adapters/ implements them on the database and SMTP;
the tests implement them in memory."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from settle_messaging.domain.bounces import BlockedAddress
from settle_messaging.domain.messages import Message, QueuedEmail, StoredAttachment, Thread
from settle_messaging.domain.profiles import AdministrationProfile
from settle_messaging.domain.sending import SendOutcome
from settle_messaging.domain.templates import TemplateSource
from settle_shared.events.base import Event


class Messages(Protocol):
    """Messages with their recipients, invoices, attachments and reply receipts."""

    async def add(self, messages: Sequence[Message]) -> None:
        """Store new messages (one statement per table for the whole lot)."""

    async def get(
        self,
        message_id: str,
        *,
        administration_id: str | None = None,
        channel: str | None = None,
        direction: str | None = None,
    ) -> Message | None:
        """A message with its invoices, when it matches every condition given."""

    async def save(self, message: Message) -> None:
        """Write back what changed in a message."""

    async def save_sent(self, messages: Sequence[Message]) -> None:
        """Write back a batch of messages that were sent (one statement)."""

    async def requests_seen(self, request_ids: Collection[str]) -> set[str]:
        """The message requests that already queued a message."""

    async def letter_for(self, request_id: str) -> bool:
        """Whether a request already has a letter."""

    async def last_outbound(self, thread_id: str) -> str | None:
        """The id of the newest message sent in a thread."""

    async def in_thread(self, message_id: str, thread_id: str) -> bool:
        """Whether a message belongs to a thread."""

    async def reply_by_smtp_id(self, thread_id: str, smtp_message_id: str) -> str | None:
        """The id of the thread's reply that arrived with this Message-ID header, if any."""

    async def invoice_ids(self, message_ids: Sequence[str]) -> dict[str, list[str]]:
        """The invoices each message is about."""

    async def due(
        self,
        now: datetime,
        limit: int,
        *,
        skip_administrations: Collection[str],
        skip_messages: Collection[str],
    ) -> list[QueuedEmail]:
        """Queued emails whose time has come, oldest first, with their recipients."""

    async def attachment(
        self, administration_id: str, message_id: str, attachment_id: str
    ) -> StoredAttachment | None:
        """An attachment with its content."""

    async def language_of_thread(self, thread_id: str) -> str | None:
        """The language of a thread's newest message that has one."""


class Threads(Protocol):
    async def add(self, threads: Sequence[Thread]) -> None:
        """Store new threads."""

    async def get(self, thread_id: str, administration_id: str | None = None) -> Thread | None:
        """A thread (of the administration, when one is given)."""

    async def touch(self, thread_id: str, at: datetime) -> None:
        """Note that a message came into the thread at ``at``."""


class BlockedAddresses(Protocol):
    """Addresses an administration no longer mails after a hard bounce."""

    async def blocked_among(self, candidates: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which (administration, address) pairs are blocked: one look-up for a batch."""

    async def block(self, administration_id: str, address: str, reason: str, at: datetime) -> None:
        """Block an address (once: blocking it again changes nothing)."""

    async def listed(
        self, administration_id: str, limit: int, after: str | None
    ) -> list[BlockedAddress]:
        """The administration's blocked addresses in address order, from after ``after``."""

    async def unblock(self, administration_id: str, address: str) -> bool:
        """Mail the address again; False when it was not blocked."""


class Templates(Protocol):
    """An administration's own versions of the built-in templates."""

    async def overrides(self, administration_id: str) -> dict[tuple[str, str], TemplateSource]:
        """The administration's templates, keyed by (template key, language)."""

    async def save(
        self,
        administration_id: str,
        template_key: str,
        language: str,
        source: TemplateSource,
        at: datetime,
    ) -> None:
        """Save (or replace) one template."""

    async def remove(self, administration_id: str, template_key: str, language: str) -> None:
        """Go back to the built-in template."""


class Administrations(Protocol):
    """The administrations the gateway announced."""

    async def known(self, administration_id: str) -> bool:
        """Whether the gateway announced the administration."""

    async def learn(self, administration_id: str, name: str, at: datetime) -> None:
        """Record the administration, or its new name (``at``: when the gateway recorded it)."""


class Profiles(Protocol):
    async def get(self, administration_id: str) -> AdministrationProfile | None:
        """The administration's sender profile, if it set one."""

    async def replace(self, profile: AdministrationProfile) -> None:
        """Set the administration's sender profile."""


@dataclass(frozen=True)
class TimelineQuery:
    """Which messages a timeline or inbox shows (all conditions given must hold)."""

    administration_id: str
    debtor_id: str | None = None
    invoice_id: str | None = None
    case_id: str | None = None
    thread_id: str | None = None
    message_id: str | None = None
    direction: str | None = None
    state: str | None = None


class Timeline(Protocol):
    async def page(
        self, query: TimelineQuery, limit: int, after: tuple[datetime, str] | None
    ) -> list[Message]:
        """Messages newest first (with recipients, invoices and attachment descriptions),
        older than ``after`` (created at, message id) when given."""


@dataclass(frozen=True)
class Announcement:
    """An event to publish with the transaction, and where it belongs."""

    event: Event
    administration_id: str
    correlation_id: str | None = None
    causation_id: str | None = None


class Store(Protocol):
    """The repositories of one transaction and its outbox."""

    @property
    def messages(self) -> Messages: ...

    @property
    def threads(self) -> Threads: ...

    @property
    def blocked(self) -> BlockedAddresses: ...

    @property
    def templates(self) -> Templates: ...

    @property
    def profiles(self) -> Profiles: ...

    @property
    def administrations(self) -> Administrations: ...

    @property
    def timeline(self) -> Timeline: ...

    async def publish(self, announcements: Sequence[Announcement]) -> None:
        """Stage events in the transaction (the outbox relay publishes them)."""


class MailTransport(Protocol):
    """One connection outgoing mail leaves by."""

    async def send(self, sender: str, recipients: Sequence[str], data: bytes) -> SendOutcome:
        """Hand one mail to the server; every failure comes back as an outcome."""

    async def close(self) -> None:
        """Close the connection."""


TemplateOverrides = Mapping[tuple[str, str], TemplateSource]
