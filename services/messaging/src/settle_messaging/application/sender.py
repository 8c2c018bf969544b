"""The sender: queued emails go out over one SMTP connection.

* The mail is built from what was stored when the message was queued, with a Message-ID and
  MIME boundaries derived from the message id: a resend after a crash (sent, but the state not
  yet committed) is the same mail, recognisable as such by anyone who received the first.
* A batch is sent, then its outcomes are committed with their events in one transaction.
* The server down, busy or answering 4xx: nothing is lost; the message stays queued, the sender
  backs off (doubling up to a maximum) and tries again. Only after `smtp_give_up_after_h` does
  such a message fail.
* 5xx: the message fails with the server's reason; 5xx for every recipient is a hard bounce.
* Each administration may send at most `rate_limit_per_minute` emails a minute.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from settle_messaging import db
from settle_messaging.adapters.smtp import (
    Delivered,
    Permanent,
    RecipientsRefused,
    SendOutcome,
    SmtpTransport,
    Transient,
)
from settle_messaging.application.bounces import record_bounce
from settle_messaging.application.context import Messaging, aware, common_fields, invoice_ids_of
from settle_messaging.application.outbound import Origin
from settle_messaging.domain.addressing import bounce_address
from settle_messaging.domain.bounces import classify_smtp_rejection
from settle_messaging.domain.email_builder import Mailbox, OutgoingEmail, build_email
from settle_messaging.domain.errors import MessagingError
from settle_messaging.domain.model import Channel
from settle_messaging.domain.states import MessageState
from settle_shared.db import transaction
from settle_shared.events.base import Event
from settle_shared.events.messaging import MessageFailed, MessageSent
from settle_shared.logs import get_logger

log = get_logger(__name__)


class RateLimiter:
    """At most `per_minute` sends per administration in any 60 seconds (0: no limit).

    Measured on the monotonic clock: a limit on how fast mail leaves this machine is about
    elapsed real time, not about the business date the rest of Settle runs on."""

    def __init__(self, per_minute: int) -> None:
        self._limit = per_minute
        self._sent: dict[str, deque[float]] = defaultdict(deque)

    def _window(self, administration_id: str, now: float) -> deque[float]:
        window = self._sent[administration_id]
        while window and now - window[0] >= 60.0:
            window.popleft()
        return window

    def allow(self, administration_id: str) -> bool:
        """Take one send from the administration's allowance, if there is one left."""
        if self._limit <= 0:
            return True
        now = time.monotonic()
        window = self._window(administration_id, now)
        if len(window) >= self._limit:
            return False
        window.append(now)
        return True

    def exhausted(self) -> list[str]:
        """Administrations that may not send right now."""
        if self._limit <= 0:
            return []
        now = time.monotonic()
        return [a for a in list(self._sent) if len(self._window(a, now)) >= self._limit]


@dataclass(frozen=True)
class _Attempt:
    message: Any
    recipients: list[Mailbox]
    outcome: SendOutcome | None
    error: str | None = None


class Sender:
    """Sends queued emails until told to stop."""

    def __init__(self, messaging: Messaging, transport: SmtpTransport | None = None) -> None:
        self._messaging = messaging
        self._settings = messaging.settings
        self._transport = transport or SmtpTransport(messaging.settings)
        self._limiter = RateLimiter(messaging.settings.rate_limit_per_minute)
        self._server_failures = 0

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop of the service."""
        wake = self._messaging.wake
        try:
            while not stop.is_set():
                try:
                    sent, server_trouble = await self.send_due()
                except Exception as exc:  # the database away for a moment: try again
                    log.error("sender pass failed", error=repr(exc))
                    sent, server_trouble = 0, True
                if server_trouble:
                    self._server_failures += 1
                    await _sleep_or_stop(stop, self._backoff(self._server_failures))
                    continue
                self._server_failures = 0
                if sent == 0:
                    wake.clear()
                    await _wait_any(stop, wake, self._settings.send_poll_interval_s)
        finally:
            await self._transport.close()

    def _backoff(self, failures: int) -> float:
        initial, longest = self._settings.smtp_retry_initial_s, self._settings.smtp_retry_max_s
        return float(min(initial * 2 ** max(failures - 1, 0), longest))

    async def send_due(self) -> tuple[int, bool]:
        """Send one batch of due emails. Returns how many were dealt with, and whether the
        server is in trouble (the sender should back off)."""
        messaging = self._messaging
        now = messaging.now()
        batch = await self._due(now)
        if not batch:
            return 0, False
        attempts: list[_Attempt] = []
        server_trouble = False
        for message, recipients in batch:
            if not self._limiter.allow(message.administration_id):
                continue
            try:
                data = self._mail_bytes(message, recipients)
            except MessagingError as exc:
                attempts.append(_Attempt(message, recipients, None, f"{exc.code}: {exc}"))
                continue
            outcome = await self._transport.send(
                bounce_address(message.message_id, self._settings.mail_domain),
                [mailbox.address for mailbox in recipients],
                data,
            )
            attempts.append(_Attempt(message, recipients, outcome))
            if isinstance(outcome, Transient):
                log.warning("smtp server unavailable", reason=outcome.reason)
                server_trouble = True
                break
        await self._record(attempts)
        return len(attempts), server_trouble

    async def _due(self, now: datetime) -> list[tuple[Any, list[Mailbox]]]:
        table = db.messages
        query = (
            sa.select(table, db.threads.c.reply_expires_at)
            .join(db.threads, db.threads.c.thread_id == table.c.thread_id)
            .where(
                table.c.state == MessageState.QUEUED.value,
                table.c.channel == Channel.EMAIL.value,
                sa.or_(table.c.next_attempt_at.is_(None), table.c.next_attempt_at <= now),
            )
            .order_by(table.c.created_at, table.c.message_id)
            .limit(self._settings.send_batch_size)
        )
        if limited := self._limiter.exhausted():
            query = query.where(table.c.administration_id.not_in(limited))
        async with transaction(self._messaging.sessions) as session:
            messages = list(await session.execute(query))
            if not messages:
                return []
            ids = [m.message_id for m in messages]
            rows = await session.execute(
                sa.select(db.recipients.c.message_id, db.recipients.c.address, db.recipients.c.name)
                .where(db.recipients.c.message_id.in_(ids))
                .order_by(db.recipients.c.message_id, db.recipients.c.position)
            )
        addresses: dict[str, list[Mailbox]] = defaultdict(list)
        for message_id, address, name in rows:
            addresses[message_id].append(Mailbox(address, name))
        return [(m, addresses[m.message_id]) for m in messages]

    def _mail_bytes(self, message: Any, recipients: list[Mailbox]) -> bytes:
        messaging = self._messaging
        thread_expiry = message.reply_expires_at
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            mail_domain=self._settings.mail_domain,
            sender=Mailbox(message.sender_address, message.sender_name),
            to=tuple(recipients),
            subject=message.subject,
            text=message.body_text,
            html=message.body_html,
            # The queueing time, not now: a resend is byte for byte the first mail.
            sent_at=aware(message.created_at),
            reply_token=messaging.reply_token(message.thread_id, thread_expiry),
        )
        return build_email(outgoing).as_bytes()

    async def _record(self, attempts: Sequence[_Attempt]) -> None:
        if not attempts:
            return
        messaging = self._messaging
        now = messaging.now()
        async with transaction(messaging.sessions) as session:
            invoices = await invoice_ids_of(session, [a.message.message_id for a in attempts])
            sent: list[tuple[Any, Event]] = []
            delivered: list[dict[str, Any]] = []
            for attempt in attempts:
                message, outcome = attempt.message, attempt.outcome
                fields = common_fields(message, invoices[message.message_id])
                if attempt.error is not None:
                    await self._fail(session, message, fields, "smtp_rejected", attempt.error, now)
                elif isinstance(outcome, Delivered):
                    delivered.append({"mid": message.message_id, "tries": message.attempts + 1})
                    event = MessageSent(
                        **fields,
                        channel="email",
                        recipients=[mailbox.address for mailbox in attempt.recipients],
                        template_key=message.template_key,
                        sent_at=now,
                        legally_required=message.legally_required,
                    )
                    sent.append((message, event))
                    for recipient, (code, text) in outcome.refused.items():
                        await _bounce_on_send(session, messaging, message, recipient, code, text)
                elif isinstance(outcome, Permanent):
                    await self._fail(session, message, fields, "smtp_rejected", outcome.reason, now)
                elif isinstance(outcome, RecipientsRefused) and outcome.permanent:
                    for recipient, (code, text) in outcome.refused.items():
                        await _bounce_on_send(session, messaging, message, recipient, code, text)
                else:
                    reason = (
                        outcome.reason
                        if isinstance(outcome, Transient)
                        else f"recipients refused for now: {outcome!r}"
                    )
                    await self._defer(session, message, fields, reason, now)
            if delivered:
                # One statement for the batch: a busy sender must not pay per message here.
                await session.execute(
                    sa.update(db.messages)
                    .where(db.messages.c.message_id == sa.bindparam("mid"))
                    .values(
                        state=MessageState.SENT.value,
                        sent_at=now,
                        attempts=sa.bindparam("tries"),
                        next_attempt_at=None,
                    )
                    .execution_options(synchronize_session=False),
                    delivered,
                )
            # One outbox insert for the whole batch keeps a busy sender cheap.
            by_chain: dict[tuple[str, str | None], list[Event]] = defaultdict(list)
            for message, event in sent:
                by_chain[(message.administration_id, message.correlation_id)].append(event)
            for (administration_id, correlation_id), events in by_chain.items():
                await messaging.publish(
                    session,
                    events,
                    administration_id=administration_id,
                    correlation_id=correlation_id,
                )
        log.info("sender batch recorded", messages=len(attempts), sent=len(sent))

    async def _fail(
        self, session: Any, message: Any, fields: dict[str, Any], reason: str, detail: str, now: Any
    ) -> None:
        log.warning("message failed", message_id=message.message_id, reason=detail)
        await session.execute(
            sa.update(db.messages)
            .where(db.messages.c.message_id == message.message_id)
            .values(
                state=MessageState.FAILED.value,
                failed_at=now,
                failure_reason=reason,
                failure_detail=detail[:2000],
                attempts=message.attempts + 1,
            )
        )
        event = MessageFailed(
            **fields, channel="email", reason=reason, detail=detail[:2000], failed_at=now
        )
        await self._messaging.publish(
            session,
            [event],
            administration_id=message.administration_id,
            correlation_id=message.correlation_id,
        )

    async def _defer(
        self, session: Any, message: Any, fields: dict[str, Any], reason: str, now: datetime
    ) -> None:
        if now - aware(message.created_at) > timedelta(hours=self._settings.smtp_give_up_after_h):
            await self._fail(session, message, fields, "gave_up", reason, now)
            return
        attempts = message.attempts + 1
        await session.execute(
            sa.update(db.messages)
            .where(db.messages.c.message_id == message.message_id)
            .values(
                attempts=attempts,
                next_attempt_at=now + timedelta(seconds=self._backoff(attempts)),
                failure_detail=reason[:2000],
            )
        )


async def _bounce_on_send(
    session: Any, messaging: Messaging, message: Any, recipient: str, code: int, text: str
) -> None:
    bounce = classify_smtp_rejection(code, text, recipient)
    await record_bounce(
        session,
        messaging,
        message.message_id,
        bounce,
        Origin(message.message_request_id, message.correlation_id),
    )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass


async def _wait_any(stop: asyncio.Event, wake: asyncio.Event, seconds: float) -> None:
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
