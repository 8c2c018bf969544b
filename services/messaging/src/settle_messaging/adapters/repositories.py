"""The repositories of the messaging service on its database (SQLAlchemy Core): one per
aggregate, each returning domain objects, and the store that holds them for one transaction
with its outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging.adapters import tables
from settle_messaging.application.ports import Announcement, TimelineQuery
from settle_messaging.domain.bounces import BlockedAddress
from settle_messaging.domain.email_builder import Mailbox
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
from settle_shared.db import aware
from settle_shared.outbox import Outbox

_MESSAGE_COLUMNS = tuple(column.name for column in tables.messages.columns)
_WITHOUT_MIME = [column for column in tables.messages.columns if column.name != "mime"]


def _aware(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


def _message(row: Any) -> Message:
    values = dict(row._mapping)
    values.pop("reply_expires_at", None)
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = aware(value)
    values["direction"] = Direction(values["direction"])
    values["state"] = MessageState(values["state"])
    return Message(**values)


def _column_value(value: Any) -> Any:
    return value.value if isinstance(value, (Direction, MessageState)) else value


def _message_row(message: Message) -> dict[str, Any]:
    return {name: _column_value(getattr(message, name)) for name in _MESSAGE_COLUMNS}


def _thread(row: Any) -> Thread:
    return Thread(
        thread_id=row.thread_id,
        administration_id=row.administration_id,
        debtor_id=row.debtor_id,
        case_id=row.case_id,
        subject=row.subject,
        created_at=aware(row.created_at),
        last_message_at=aware(row.last_message_at),
        reply_expires_at=aware(row.reply_expires_at),
    )


async def _invoice_ids(session: AsyncSession, message_ids: Sequence[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {message_id: [] for message_id in message_ids}
    if not message_ids:
        return found
    links = tables.message_invoices
    rows = await session.execute(
        sa.select(links.c.message_id, links.c.invoice_id)
        .where(links.c.message_id.in_(message_ids))
        .order_by(links.c.message_id, links.c.invoice_id)
    )
    for message_id, invoice_id in rows:
        found[message_id].append(invoice_id)
    return found


async def _recipients(
    session: AsyncSession, message_ids: Sequence[str]
) -> dict[str, list[Mailbox]]:
    found: dict[str, list[Mailbox]] = defaultdict(list)
    recipients = tables.recipients
    rows = await session.execute(
        sa.select(recipients.c.message_id, recipients.c.address, recipients.c.name)
        .where(recipients.c.message_id.in_(message_ids))
        .order_by(recipients.c.message_id, recipients.c.position)
    )
    for message_id, address, name in rows:
        found[message_id].append(Mailbox(address, name))
    return found


class SqlMessages:
    """Messages with their recipients, invoices, attachments and reply receipts."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        session = self._session
        await session.execute(sa.insert(tables.messages), [_message_row(m) for m in messages])
        recipients = [
            {
                "message_id": message.message_id,
                "position": position,
                "kind": "to",
                "address": mailbox.address,
                "name": mailbox.name,
            }
            for message in messages
            for position, mailbox in enumerate(message.recipients)
        ]
        if recipients:
            await session.execute(sa.insert(tables.recipients), recipients)
        invoices = [
            {
                "message_id": message.message_id,
                "invoice_id": invoice_id,
                "administration_id": message.administration_id,
            }
            for message in messages
            for invoice_id in message.invoice_ids
        ]
        if invoices:
            await session.execute(sa.insert(tables.message_invoices), invoices)
        attachments = [
            {
                "attachment_id": file.attachment_id,
                "message_id": file.message_id,
                "filename": file.filename,
                "mime_type": file.mime_type,
                "size_bytes": file.size_bytes,
                "content": file.content,
                "created_at": file.created_at,
            }
            for message in messages
            for file in message.attachments
        ]
        if attachments:
            await session.execute(sa.insert(tables.attachments), attachments)
        receipts = [
            {
                "message_id": message.message_id,
                "via": message.receipt.via,
                "sender_address": message.receipt.sender_address,
                "smtp_message_id": message.receipt.smtp_message_id,
                "size_bytes": message.receipt.size_bytes,
                "received_at": message.receipt.received_at,
            }
            for message in messages
            if message.receipt is not None
        ]
        if receipts:
            await session.execute(sa.insert(tables.inbound_replies), receipts)

    async def get(
        self,
        message_id: str,
        *,
        administration_id: str | None = None,
        channel: str | None = None,
        direction: str | None = None,
    ) -> Message | None:
        messages = tables.messages
        query = sa.select(messages).where(messages.c.message_id == message_id)
        if administration_id is not None:
            query = query.where(messages.c.administration_id == administration_id)
        if channel is not None:
            query = query.where(messages.c.channel == channel)
        if direction is not None:
            query = query.where(messages.c.direction == direction)
        row = (await self._session.execute(query)).first()
        if row is None:
            return None
        message = _message(row)
        message.invoice_ids = (await _invoice_ids(self._session, [message_id]))[message_id]
        message.recipients = (await _recipients(self._session, [message_id]))[message_id]
        return message

    async def save(self, message: Message) -> None:
        if not message.changed:
            return
        values = {name: _column_value(getattr(message, name)) for name in message.changed}
        await self._session.execute(
            sa.update(tables.messages)
            .where(tables.messages.c.message_id == message.message_id)
            .values(**values)
        )
        message.changed.clear()

    async def save_sent(self, messages: Sequence[Message]) -> None:
        if not messages:
            return
        # One statement for the batch: a busy sender must not pay per message here.
        await self._session.execute(
            sa.update(tables.messages)
            .where(tables.messages.c.message_id == sa.bindparam("sent_id"))
            .values(
                state=MessageState.SENT.value,
                sent_at=sa.bindparam("sent_on"),
                attempts=sa.bindparam("tries"),
                next_attempt_at=None,
                mime=None,
            )
            .execution_options(synchronize_session=False),
            [
                {"sent_id": m.message_id, "sent_on": m.sent_at, "tries": m.attempts}
                for m in messages
            ],
        )
        for message in messages:
            message.changed.clear()

    async def requests_seen(self, request_ids: Collection[str]) -> set[str]:
        messages = tables.messages
        seen = await self._session.scalars(
            sa.select(messages.c.message_request_id)
            .where(messages.c.message_request_id.in_(list(request_ids)))
            .distinct()
        )
        return set(seen)

    async def letter_for(self, request_id: str) -> bool:
        messages = tables.messages
        found = await self._session.scalar(
            sa.select(messages.c.message_id).where(
                messages.c.message_request_id == request_id,
                messages.c.channel == Channel.LETTER.value,
            )
        )
        return found is not None

    async def last_outbound(self, thread_id: str) -> str | None:
        messages = tables.messages
        found: str | None = await self._session.scalar(
            sa.select(messages.c.message_id)
            .where(
                messages.c.thread_id == thread_id,
                messages.c.direction == Direction.OUTBOUND.value,
            )
            .order_by(messages.c.created_at.desc())
            .limit(1)
        )
        return found

    async def in_thread(self, message_id: str, thread_id: str) -> bool:
        messages = tables.messages
        found = await self._session.scalar(
            sa.select(messages.c.message_id).where(
                messages.c.message_id == message_id, messages.c.thread_id == thread_id
            )
        )
        return found is not None

    async def reply_by_smtp_id(self, thread_id: str, smtp_message_id: str) -> str | None:
        messages, replies = tables.messages, tables.inbound_replies
        found: str | None = await self._session.scalar(
            sa.select(messages.c.message_id)
            .join(replies, replies.c.message_id == messages.c.message_id)
            .where(
                messages.c.thread_id == thread_id,
                replies.c.smtp_message_id == stored_smtp_message_id(smtp_message_id),
            )
            .limit(1)
        )
        return found

    async def invoice_ids(self, message_ids: Sequence[str]) -> dict[str, list[str]]:
        return await _invoice_ids(self._session, message_ids)

    async def due(
        self,
        now: datetime,
        limit: int,
        *,
        skip_administrations: Collection[str],
        skip_messages: Collection[str],
    ) -> list[QueuedEmail]:
        messages = tables.messages
        # First the ids, in order, then the rows: sorting the whole queue with its stored
        # mails would move megabytes for every batch once thousands are waiting.
        query = (
            sa.select(messages.c.message_id)
            .where(
                messages.c.state == MessageState.QUEUED.value,
                messages.c.channel == Channel.EMAIL.value,
                sa.or_(messages.c.next_attempt_at.is_(None), messages.c.next_attempt_at <= now),
            )
            .order_by(messages.c.created_at, messages.c.message_id)
            .limit(limit)
        )
        if skip_administrations:
            query = query.where(messages.c.administration_id.not_in(list(skip_administrations)))
        if skip_messages:
            query = query.where(messages.c.message_id.not_in(list(skip_messages)))
        session = self._session
        ids = list(await session.scalars(query))
        if not ids:
            return []
        found = {
            row.message_id: row
            for row in await session.execute(
                sa.select(messages, tables.threads.c.reply_expires_at)
                .join(tables.threads, tables.threads.c.thread_id == messages.c.thread_id)
                .where(messages.c.message_id.in_(ids))
            )
        }
        recipients = await _recipients(session, ids)
        invoices = await _invoice_ids(session, ids)
        due = []
        for message_id in ids:
            if message_id not in found:
                continue
            row = found[message_id]
            message = _message(row)
            message.recipients = recipients[message_id]
            message.invoice_ids = invoices[message_id]
            due.append(QueuedEmail(message, aware(row.reply_expires_at)))
        return due

    async def attachment(
        self, administration_id: str, message_id: str, attachment_id: str
    ) -> StoredAttachment | None:
        files, messages = tables.attachments, tables.messages
        row = (
            await self._session.execute(
                sa.select(files)
                .join(messages, messages.c.message_id == files.c.message_id)
                .where(
                    messages.c.administration_id == administration_id,
                    files.c.message_id == message_id,
                    files.c.attachment_id == attachment_id,
                )
            )
        ).first()
        if row is None:
            return None
        return StoredAttachment(
            attachment_id=row.attachment_id,
            message_id=row.message_id,
            filename=row.filename,
            mime_type=row.mime_type,
            size_bytes=row.size_bytes,
            created_at=aware(row.created_at),
            content=row.content,
        )

    async def language_of_thread(self, thread_id: str) -> str | None:
        messages = tables.messages
        language: str | None = await self._session.scalar(
            sa.select(messages.c.language)
            .where(messages.c.thread_id == thread_id, messages.c.language.is_not(None))
            .order_by(messages.c.created_at.desc())
            .limit(1)
        )
        return language


class SqlThreads:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, threads: Sequence[Thread]) -> None:
        if not threads:
            return
        await self._session.execute(
            sa.insert(tables.threads),
            [
                {
                    "thread_id": thread.thread_id,
                    "administration_id": thread.administration_id,
                    "debtor_id": thread.debtor_id,
                    "case_id": thread.case_id,
                    "subject": thread.subject,
                    "created_at": thread.created_at,
                    "last_message_at": thread.last_message_at,
                    "reply_expires_at": thread.reply_expires_at,
                }
                for thread in threads
            ],
        )

    async def get(self, thread_id: str, administration_id: str | None = None) -> Thread | None:
        threads = tables.threads
        query = sa.select(threads).where(threads.c.thread_id == thread_id)
        if administration_id is not None:
            query = query.where(threads.c.administration_id == administration_id)
        row = (await self._session.execute(query)).first()
        return _thread(row) if row is not None else None

    async def touch(self, thread_id: str, at: datetime) -> None:
        await self._session.execute(
            sa.update(tables.threads)
            .where(tables.threads.c.thread_id == thread_id)
            .values(last_message_at=at)
        )


class SqlBlockedAddresses:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def blocked_among(self, candidates: Collection[tuple[str, str]]) -> set[tuple[str, str]]:
        if not candidates:
            return set()
        blocked = tables.suppressed_addresses
        rows = await self._session.execute(
            sa.select(blocked.c.administration_id, blocked.c.address).where(
                blocked.c.address.in_(sorted({address for _, address in candidates}))
            )
        )
        return {(administration_id, address) for administration_id, address in rows} & set(
            candidates
        )

    async def block(self, administration_id: str, address: str, reason: str, at: datetime) -> None:
        blocked = tables.suppressed_addresses
        exists = await self._session.scalar(
            sa.select(blocked.c.address).where(
                blocked.c.administration_id == administration_id, blocked.c.address == address
            )
        )
        if exists is None:
            await self._session.execute(
                sa.insert(blocked).values(
                    administration_id=administration_id,
                    address=address,
                    reason=reason[:2000],
                    created_at=at,
                )
            )

    async def listed(
        self, administration_id: str, limit: int, after: str | None
    ) -> list[BlockedAddress]:
        blocked = tables.suppressed_addresses
        query = sa.select(blocked).where(blocked.c.administration_id == administration_id)
        if after is not None:
            query = query.where(blocked.c.address > after)
        rows = await self._session.execute(query.order_by(blocked.c.address).limit(limit))
        return [
            BlockedAddress(address=row.address, reason=row.reason, blocked_at=aware(row.created_at))
            for row in rows
        ]

    async def unblock(self, administration_id: str, address: str) -> bool:
        blocked = tables.suppressed_addresses
        result = await self._session.execute(
            sa.delete(blocked).where(
                blocked.c.administration_id == administration_id, blocked.c.address == address
            )
        )
        return bool(getattr(result, "rowcount", 0))


class SqlTemplates:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def overrides(self, administration_id: str) -> dict[tuple[str, str], TemplateSource]:
        overrides = tables.template_overrides
        rows = await self._session.execute(
            sa.select(overrides).where(overrides.c.administration_id == administration_id)
        )
        return {
            (row.template_key, row.language): TemplateSource(
                subject=row.subject, text=row.body_text, html=row.body_html
            )
            for row in rows
        }

    async def save(
        self,
        administration_id: str,
        template_key: str,
        language: str,
        source: TemplateSource,
        at: datetime,
    ) -> None:
        await self.remove(administration_id, template_key, language)
        await self._session.execute(
            sa.insert(tables.template_overrides).values(
                administration_id=administration_id,
                template_key=template_key,
                language=language,
                subject=source.subject,
                body_text=source.text,
                body_html=source.html,
                updated_at=at,
            )
        )

    async def remove(self, administration_id: str, template_key: str, language: str) -> None:
        overrides = tables.template_overrides
        await self._session.execute(
            sa.delete(overrides).where(
                overrides.c.administration_id == administration_id,
                overrides.c.template_key == template_key,
                overrides.c.language == language,
            )
        )


_PROFILE_FIELDS = tuple(
    column.name for column in tables.administration_profiles.columns if column.name != "updated_at"
)


class SqlProfiles:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, administration_id: str) -> AdministrationProfile | None:
        profiles = tables.administration_profiles
        row = (
            await self._session.execute(
                sa.select(profiles).where(profiles.c.administration_id == administration_id)
            )
        ).first()
        if row is None:
            return None
        return AdministrationProfile(
            **{name: getattr(row, name) for name in _PROFILE_FIELDS},
            updated_at=_aware(row.updated_at),
        )

    async def replace(self, profile: AdministrationProfile) -> None:
        profiles = tables.administration_profiles
        await self._session.execute(
            sa.delete(profiles).where(profiles.c.administration_id == profile.administration_id)
        )
        await self._session.execute(
            sa.insert(profiles).values(
                **{name: getattr(profile, name) for name in _PROFILE_FIELDS},
                updated_at=profile.updated_at,
            )
        )


class SqlAdministrations:
    """The administrations the gateway announced."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def known(self, administration_id: str) -> bool:
        known = tables.administrations
        found = await self._session.scalar(
            sa.select(known.c.administration_id).where(
                known.c.administration_id == administration_id
            )
        )
        return found is not None

    async def learn(self, administration_id: str, name: str, at: datetime) -> None:
        known = tables.administrations
        at = aware(at)  # stored in UTC
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(known).values(
            administration_id=administration_id, name=name, known_since=at
        )
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[known.c.administration_id],
                set_={"name": statement.excluded.name},
            )
        )


class SqlTimeline:
    """The timeline and inbox of messages, newest first."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def page(
        self, query: TimelineQuery, limit: int, after: tuple[datetime, str] | None
    ) -> list[Message]:
        messages = tables.messages
        select = sa.select(*_WITHOUT_MIME).where(
            messages.c.administration_id == query.administration_id
        )
        for name in ("debtor_id", "case_id", "thread_id", "message_id", "direction", "state"):
            value = getattr(query, name)
            if value is not None:
                select = select.where(messages.c[name] == value)
        if query.invoice_id is not None:
            links = tables.message_invoices
            select = select.where(
                messages.c.message_id.in_(
                    sa.select(links.c.message_id).where(
                        links.c.administration_id == query.administration_id,
                        links.c.invoice_id == query.invoice_id,
                    )
                )
            )
        if after is not None:
            at, last_id = after
            select = select.where(
                sa.or_(
                    messages.c.created_at < at,
                    sa.and_(messages.c.created_at == at, messages.c.message_id < last_id),
                )
            )
        select = select.order_by(messages.c.created_at.desc(), messages.c.message_id.desc())
        found = [_message(row) for row in await self._session.execute(select.limit(limit))]
        ids = [message.message_id for message in found]
        if not ids:
            return found
        invoices = await _invoice_ids(self._session, ids)
        recipients = await _recipients(self._session, ids)
        files: dict[str, list[StoredAttachment]] = defaultdict(list)
        attachments = tables.attachments
        for row in await self._session.execute(
            sa.select(
                attachments.c.message_id,
                attachments.c.attachment_id,
                attachments.c.filename,
                attachments.c.mime_type,
                attachments.c.size_bytes,
                attachments.c.created_at,
            ).where(attachments.c.message_id.in_(ids))
        ):
            files[row.message_id].append(
                StoredAttachment(
                    attachment_id=row.attachment_id,
                    message_id=row.message_id,
                    filename=row.filename,
                    mime_type=row.mime_type,
                    size_bytes=row.size_bytes,
                    created_at=aware(row.created_at),
                )
            )
        for message in found:
            message.invoice_ids = invoices[message.message_id]
            message.recipients = recipients[message.message_id]
            message.attachments = files[message.message_id]
        return found


class SqlStore:
    """The repositories of one transaction, and its outbox."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self.session = session
        self._outbox = outbox
        self.messages = SqlMessages(session)
        self.threads = SqlThreads(session)
        self.blocked = SqlBlockedAddresses(session)
        self.templates = SqlTemplates(session)
        self.profiles = SqlProfiles(session)
        self.administrations = SqlAdministrations(session)
        self.timeline = SqlTimeline(session)

    async def publish(self, announcements: Sequence[Announcement]) -> None:
        envelopes = [
            (
                item.event.topic.name,
                self._outbox.envelope(
                    item.event,
                    administration_id=item.administration_id,
                    correlation_id=item.correlation_id,
                    causation_id=item.causation_id,
                ),
            )
            for item in announcements
        ]
        await self._outbox.add_envelopes(self.session, envelopes)
