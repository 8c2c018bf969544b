"""Inbound: a debtor's reply (by email or on the reply page) and delivery-status reports.

A reply is accepted only with a genuine, unexpired token of an existing thread; otherwise it is
refused and nothing of it is stored. A stored reply is unread until a user marks it read.
"""

from __future__ import annotations

from typing import Literal

from settle_messaging.application.bounces import record_bounce
from settle_messaging.application.context import Messaging
from settle_messaging.application.outbound import Origin
from settle_messaging.application.ports import Announcement, Store
from settle_messaging.domain.addressing import message_id_from_header
from settle_messaging.domain.bounces import classify_delivery_report
from settle_messaging.domain.email_builder import header_text
from settle_messaging.domain.errors import InvalidReplyToken, MalformedInboundMail, NotFound
from settle_messaging.domain.inbound import InboundReply
from settle_messaging.domain.messages import Thread, new_reply
from settle_messaging.domain.recipients import normalised_address
from settle_messaging.domain.reply_tokens import verify_reply_token
from settle_messaging.domain.states import Direction
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


async def open_thread(store: Store, messaging: Messaging, token: str) -> Thread:
    """The thread a reply token belongs to; raises ``InvalidReplyToken`` for a malformed,
    tampered or expired token and for a thread that does not exist."""
    claims = verify_reply_token(token, messaging.now(), messaging.reply_secret)
    thread = await store.threads.get(str(claims.thread_id))
    if thread is None:
        raise InvalidReplyToken("the reply token's thread does not exist")
    return thread


async def store_reply(
    store: Store,
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
    answered = in_reply_to or await store.messages.last_outbound(thread.thread_id)
    invoice_ids: list[str] = []
    if answered is not None:
        invoice_ids = (await store.messages.invoice_ids([answered]))[answered]
    reply = new_reply(
        thread,
        via=via,
        subject=subject,
        text=text,
        sender=sender,
        sender_name=sender_name,
        smtp_message_id=smtp_message_id,
        in_reply_to=answered,
        invoice_ids=invoice_ids,
        size_bytes=size_bytes,
        now=now,
    )
    await store.messages.add([reply])
    await store.threads.touch(thread.thread_id, now)
    event = ReplyReceived(
        **reply.event_fields(),
        in_reply_to_message_id=answered,
        via=via,
        sender=sender,
        received_at=now,
    )
    await store.publish([Announcement(event, thread.administration_id)])
    log.info("reply received", message_id=reply.message_id, thread_id=thread.thread_id, via=via)
    return reply.message_id


async def receive_portal_reply(
    messaging: Messaging, administration_id: str, thread_id: str, debtor_id: str, text: str
) -> str:
    """A reply the debtor wrote in the debtor portal, to the thread its portal link names (the
    gateway verified the link). A thread of another administration or debtor is not found."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise MalformedInboundMail("the reply is empty")
    if len(text) > _MAX_PAGE_REPLY_CHARS:
        raise MalformedInboundMail(f"a reply has at most {_MAX_PAGE_REPLY_CHARS} characters")
    async with messaging.transaction() as store:
        thread = await store.threads.get(thread_id, administration_id)
        if thread is None or thread.debtor_id != debtor_id:
            raise NotFound(f"thread {thread_id} does not exist")
        return await store_reply(
            store,
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
    async with messaging.transaction() as store:
        thread = await open_thread(store, messaging, token)
        if reply.message_id:
            # A mail delivered again (a retrying server, the same reply to several addresses
            # of one thread) is one reply.
            known = await store.messages.reply_by_smtp_id(thread.thread_id, reply.message_id)
            if known is not None:
                log.info("reply delivered again ignored", message_id=known)
                return known
        if in_reply_to is not None and not await store.messages.in_thread(
            in_reply_to, thread.thread_id
        ):
            in_reply_to = None
        return await store_reply(
            store,
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
    seen: set[tuple[str, str | None]] = set()
    async with messaging.transaction() as store:
        for bounce in bounces:
            target = message_id or message_id_from_header(bounce.original_message_id, domain)
            # A report naming one recipient many times bounces it once.
            key = (target, normalised_address(bounce.recipient) or bounce.recipient)
            if target is None or key in seen:
                continue
            seen.add(key)
            if await record_bounce(store, messaging, target, bounce, Origin()):
                recorded += 1
    return recorded


async def mark_read(
    store: Store,
    messaging: Messaging,
    administration_id: str,
    message_id: str,
    read: bool = True,
) -> None:
    """Mark a debtor's reply read (or unread again) and announce it."""
    message = await store.messages.get(
        message_id, administration_id=administration_id, direction=Direction.INBOUND.value
    )
    if message is None:
        raise NotFound(f"reply {message_id} does not exist")
    now = messaging.now()
    if not message.mark_read(read, now):
        return  # already as asked: nothing changes, nothing is announced
    await store.messages.save(message)
    event = MessageRead(**message.event_fields(), read=read, at=now)
    await store.publish([Announcement(event, administration_id)])
