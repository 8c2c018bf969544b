"""Inbound: a debtor's reply (by email or on the reply page) and delivery-status reports.

A reply is accepted only with a genuine, unexpired token of an existing thread; otherwise it is
refused and nothing of it is stored. A stored reply is unread until a user marks it read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging.adapters import tables
from settle_messaging.application.bounces import record_bounce
from settle_messaging.application.context import (
    Messaging,
    common_fields,
    invoice_ids_of,
)
from settle_messaging.application.outbound import Origin
from settle_messaging.domain.addressing import message_id_from_header
from settle_messaging.domain.bounces import classify_delivery_report
from settle_messaging.domain.email_builder import header_text
from settle_messaging.domain.errors import InvalidReplyToken, MalformedInboundMail, NotFound
from settle_messaging.domain.inbound import InboundReply
from settle_messaging.domain.reply_tokens import verify_reply_token
from settle_messaging.domain.states import Direction, MessageState, is_unread
from settle_shared.db import transaction
from settle_shared.events.messaging import MessageRead, ReplyReceived
from settle_shared.logs import get_logger

log = get_logger(__name__)

_MAX_PAGE_REPLY_CHARS = 20_000
# Control characters a mail may carry (NUL among them, which PostgreSQL refuses in text); line
# breaks and tabs are the text's own.
_CONTROL = {code: None for code in range(32) if chr(code) not in "\n\t"} | {127: None}


def _clean(text: str) -> str:
    """A reply's text without control characters: storable anywhere, harmless to show."""
    return text.replace("\r\n", "\n").translate(_CONTROL)


@dataclass(frozen=True)
class Thread:
    """What a reply token opens."""

    thread_id: str
    administration_id: str
    debtor_id: str
    case_id: str | None
    subject: str


async def open_thread(session: AsyncSession, messaging: Messaging, token: str) -> Thread:
    """The thread a reply token belongs to; raises ``InvalidReplyToken`` for a malformed,
    tampered or expired token and for a thread that does not exist."""
    claims = verify_reply_token(token, messaging.now(), messaging.reply_secret)
    row = (
        await session.execute(
            sa.select(tables.threads).where(tables.threads.c.thread_id == str(claims.thread_id))
        )
    ).first()
    if row is None:
        raise InvalidReplyToken("the reply token's thread does not exist")
    return Thread(row.thread_id, row.administration_id, row.debtor_id, row.case_id, row.subject)


async def store_reply(
    session: AsyncSession,
    messaging: Messaging,
    thread: Thread,
    *,
    via: Literal["email", "reply_page"],
    subject: str,
    text: str,
    sender: str | None,
    sender_name: str | None,
    smtp_message_id: str | None,
    in_reply_to: str | None,
    size_bytes: int,
) -> str:
    """Store a reply as an unread inbound message of its thread and announce it."""
    now = messaging.now()
    subject, text = header_text(subject, 300), _clean(text)
    sender_name = header_text(sender_name) if sender_name else None
    last = (
        await session.execute(
            sa.select(tables.messages.c.message_id, tables.messages.c.message_request_id)
            .where(
                tables.messages.c.thread_id == thread.thread_id,
                tables.messages.c.direction == Direction.OUTBOUND.value,
            )
            .order_by(tables.messages.c.created_at.desc())
            .limit(1)
        )
    ).first()
    answered = in_reply_to or (last.message_id if last is not None else None)
    invoice_ids: list[str] = []
    if answered is not None:
        invoice_ids = (await invoice_ids_of(session, [answered]))[answered]
    message_id = uuid.uuid4().hex
    await session.execute(
        sa.insert(tables.messages).values(
            message_id=message_id,
            administration_id=thread.administration_id,
            thread_id=thread.thread_id,
            message_request_id=None,
            direction=Direction.INBOUND.value,
            channel="email",
            state=MessageState.RECEIVED.value,
            debtor_id=thread.debtor_id,
            case_id=thread.case_id,
            subject=subject[:300] or thread.subject,
            body_text=text,
            body_html=None,
            sender_name=(sender_name or "")[:200] or None,
            sender_address=(sender or "")[:320] or None,
            legally_required=False,
            in_reply_to=answered,
            attempts=0,
            created_at=now,
        )
    )
    if invoice_ids:
        await session.execute(
            sa.insert(tables.message_invoices),
            [
                {
                    "message_id": message_id,
                    "invoice_id": invoice_id,
                    "administration_id": thread.administration_id,
                }
                for invoice_id in invoice_ids
            ],
        )
    await session.execute(
        sa.insert(tables.inbound_replies).values(
            message_id=message_id,
            via=via,
            sender_address=(sender or "")[:320] or None,
            smtp_message_id=(smtp_message_id or "")[:300] or None,
            size_bytes=size_bytes,
            received_at=now,
        )
    )
    await session.execute(
        sa.update(tables.threads)
        .where(tables.threads.c.thread_id == thread.thread_id)
        .values(last_message_at=now)
    )
    event = ReplyReceived(
        administration_id=thread.administration_id,
        message_id=message_id,
        message_request_id=None,
        debtor_id=thread.debtor_id,
        invoice_ids=invoice_ids,
        case_id=thread.case_id,
        thread_id=thread.thread_id,
        in_reply_to_message_id=answered,
        via=via,
        sender=sender,
        subject_line=subject[:300] or thread.subject,
        received_at=now,
    )
    await messaging.publish(session, [event], administration_id=thread.administration_id)
    log.info("reply received", message_id=message_id, thread_id=thread.thread_id, via=via)
    return message_id


async def receive_page_reply(messaging: Messaging, token: str, text: str) -> str:
    """A reply written on the public reply page."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise MalformedInboundMail("the reply is empty")
    if len(text) > _MAX_PAGE_REPLY_CHARS:
        raise MalformedInboundMail(f"a reply has at most {_MAX_PAGE_REPLY_CHARS} characters")
    async with transaction(messaging.sessions) as session:
        thread = await open_thread(session, messaging, token)
        return await store_reply(
            session,
            messaging,
            thread,
            via="reply_page",
            subject=f"Re: {thread.subject}",
            text=text,
            sender=None,
            sender_name=None,
            smtp_message_id=None,
            in_reply_to=None,
            size_bytes=len(text.encode()),
        )


async def receive_mail_reply(
    messaging: Messaging, token: str, reply: InboundReply, size_bytes: int
) -> str | None:
    """A reply by email to ``reply+<token>@<domain>``; None when it was an auto-reply (an
    out-of-office answer is no message from the debtor and would only raise attention)."""
    if reply.is_auto_reply:
        log.info("auto-reply ignored", sender=reply.sender)
        return None
    domain = messaging.settings.mail_domain
    in_reply_to = message_id_from_header(reply.in_reply_to, domain)
    async with transaction(messaging.sessions) as session:
        thread = await open_thread(session, messaging, token)
        if in_reply_to is not None:
            known = await session.scalar(
                sa.select(tables.messages.c.message_id).where(
                    tables.messages.c.message_id == in_reply_to,
                    tables.messages.c.thread_id == thread.thread_id,
                )
            )
            in_reply_to = known
        return await store_reply(
            session,
            messaging,
            thread,
            via="email",
            subject=reply.subject,
            text=reply.text or reply.full_text,
            sender=reply.sender,
            sender_name=reply.sender_name,
            smtp_message_id=reply.message_id,
            in_reply_to=in_reply_to,
            size_bytes=size_bytes,
        )


async def receive_bounce(messaging: Messaging, message_id: str | None, raw: bytes) -> int:
    """A delivery-status report, addressed to ``bounce+<message id>@<domain>``. Returns how
    many bounces it recorded (a report of a delayed or delivered mail may hold none)."""
    bounces = classify_delivery_report(raw, max_bytes=messaging.settings.inbound_max_bytes)
    recorded = 0
    domain = messaging.settings.mail_domain
    async with transaction(messaging.sessions) as session:
        for bounce in bounces:
            target = message_id or message_id_from_header(bounce.original_message_id, domain)
            if target is None:
                continue
            if await record_bounce(session, messaging, target, bounce, Origin()):
                recorded += 1
    return recorded


async def mark_read(
    session: AsyncSession,
    messaging: Messaging,
    administration_id: str,
    message_id: str,
    read: bool = True,
) -> None:
    """Mark a debtor's reply read (or unread again) and announce it."""
    message = (
        await session.execute(
            sa.select(tables.messages).where(
                tables.messages.c.message_id == message_id,
                tables.messages.c.administration_id == administration_id,
                tables.messages.c.direction == Direction.INBOUND.value,
            )
        )
    ).first()
    if message is None:
        raise NotFound(f"reply {message_id} does not exist")
    state = MessageState(message.state)
    if is_unread(state) != read:
        return  # already as asked: nothing changes, nothing is announced
    now = messaging.now()
    target = MessageState.READ if read else MessageState.RECEIVED
    await session.execute(
        sa.update(tables.messages)
        .where(tables.messages.c.message_id == message_id)
        .values(state=target.value, read_at=now if read else None)
    )
    invoices = (await invoice_ids_of(session, [message_id]))[message_id]
    event: Any = MessageRead(**common_fields(message, invoices), read=read, at=now)
    await messaging.publish(session, [event], administration_id=administration_id)
