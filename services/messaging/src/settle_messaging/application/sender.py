"""The sender: queued emails go out over a small pool of reused SMTP connections, each debtor's
mail on one of them, and the outcomes of a batch are recorded with their events while the next
batch is sent. A 4xx keeps a message queued (with backoff, until `smtp_give_up_after_h`), a 5xx
fails it or bounces its recipients. How and why: docs/messaging.md, "From request to email"."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from settle_messaging.application.bounces import record_bounce
from settle_messaging.application.context import Messaging
from settle_messaging.application.outbound import Origin
from settle_messaging.application.ports import Announcement, MailTransport, Store
from settle_messaging.domain.addressing import bounce_address
from settle_messaging.domain.bounces import classify_smtp_rejection
from settle_messaging.domain.email_builder import Mailbox, OutgoingEmail, email_bytes
from settle_messaging.domain.errors import MessagingError
from settle_messaging.domain.messages import MAX_DETAIL, Message, QueuedEmail
from settle_messaging.domain.sending import (
    Delivered,
    Permanent,
    RecipientsRefused,
    SendOutcome,
    Transient,
)
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
    message: Message
    outcome: SendOutcome | None
    error: str | None = None


class Sender:
    """Sends queued emails until told to stop."""

    def __init__(self, messaging: Messaging, transport: MailTransport | None = None) -> None:
        self._messaging = messaging
        self._settings = messaging.settings
        # One given transport (the tests) or a pool: a server answers one mail per connection
        # at a time, so a few connections keep it, and us, busy instead of waiting in turn.
        self._transports: list[MailTransport] = (
            [transport]
            if transport is not None
            else [messaging.mail_transport() for _ in range(self._settings.smtp_connections)]
        )
        self._limiter = RateLimiter(messaging.settings.rate_limit_per_minute)
        self._server_failures = 0
        # Messages sent whose outcome is not committed yet, and the task committing them.
        self._in_flight: set[str] = set()
        self._recording: asyncio.Task[None] | None = None
        # Why the last batch could not be recorded: the next pass raises it, so the loop backs
        # off instead of sending the same messages again at full speed.
        self._unrecorded: Exception | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """The background loop of the service."""
        wake = self._messaging.wake
        try:
            while not stop.is_set():
                try:
                    sent, server_trouble = await self._send_batch(wait_for_record=False)
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
            if self._recording is not None:
                await self._recording
            await asyncio.gather(*(transport.close() for transport in self._transports))

    def _backoff(self, failures: int) -> float:
        initial, longest = self._settings.smtp_retry_initial_s, self._settings.smtp_retry_max_s
        return float(min(initial * 2 ** max(failures - 1, 0), longest))

    async def send_due(self) -> tuple[int, bool]:
        """Send one batch of due emails and record the outcomes. Returns how many were dealt
        with, and whether the server is in trouble (the sender should back off)."""
        return await self._send_batch(wait_for_record=True)

    async def _send_batch(self, *, wait_for_record: bool) -> tuple[int, bool]:
        if len(self._in_flight) >= 2 * self._settings.send_batch_size and self._recording:
            # The database is slow to take our outcomes: wait rather than pile them up.
            await self._recording
        self._raise_unrecorded()
        messaging = self._messaging
        now = messaging.now()
        batch = await self._due(now)
        if not batch:
            return 0, False
        attempts: list[_Attempt] = []
        lanes: list[list[tuple[Message, bytes]]] = [[] for _ in self._transports]
        for queued in batch:
            message = queued.message
            if not self._limiter.allow(message.administration_id):
                continue
            data = message.mime
            if data is None:
                try:
                    data = self._mail_bytes(queued)
                except MessagingError as exc:
                    attempts.append(_Attempt(message, None, f"{exc.code}: {exc}"))
                    continue
            # The same debtor always on the same connection: their mails leave in order.
            lane = zlib.crc32(message.debtor_id.encode()) % len(lanes)
            lanes[lane].append((message, data))
        results = await asyncio.gather(
            *(
                self._send_lane(transport, lane)
                for transport, lane in zip(self._transports, lanes, strict=True)
                if lane
            )
        )
        server_trouble = False
        for lane_attempts, trouble in results:
            attempts.extend(lane_attempts)
            server_trouble = server_trouble or trouble
        if attempts:
            self._in_flight.update(attempt.message.message_id for attempt in attempts)
            self._recording = asyncio.create_task(self._record_after(self._recording, attempts))
            if wait_for_record:
                await self._recording
                self._raise_unrecorded()
        return len(attempts), server_trouble

    def _raise_unrecorded(self) -> None:
        error, self._unrecorded = self._unrecorded, None
        if error is not None:
            raise error

    async def _record_after(
        self, previous: asyncio.Task[None] | None, attempts: Sequence[_Attempt]
    ) -> None:
        """Record a batch once the batch before it is recorded (outcomes commit in order)."""
        try:
            if previous is not None:
                await previous
            await self._record(attempts)
        except Exception as exc:
            # Not recorded, so still queued: they go out again (the same mails), as after a
            # crash; better twice than lost.
            log.error("sender batch not recorded", error=repr(exc), messages=len(attempts))
            self._unrecorded = exc
        finally:
            # Only now, after the commit: a later pass must not take them while still queued.
            self._in_flight.difference_update(attempt.message.message_id for attempt in attempts)

    async def _send_lane(
        self, transport: MailTransport, lane: Sequence[tuple[Message, bytes]]
    ) -> tuple[list[_Attempt], bool]:
        """Send a lane's mails in order over one connection; stop at the first sign of server
        trouble (what was not tried stays queued and goes out after the backoff)."""
        attempts: list[_Attempt] = []
        for message, data in lane:
            outcome = await transport.send(
                bounce_address(
                    message.message_id, self._settings.mail_domain, self._messaging.reply_secret
                ),
                [mailbox.address for mailbox in message.recipients],
                data,
            )
            attempts.append(_Attempt(message, outcome))
            if isinstance(outcome, Transient):
                log.warning("smtp server unavailable", reason=outcome.reason)
                return attempts, True
        return attempts, False

    async def _due(self, now: datetime) -> list[QueuedEmail]:
        async with self._messaging.transaction() as store:
            return await store.messages.due(
                now,
                self._settings.send_batch_size,
                skip_administrations=self._limiter.exhausted(),
                skip_messages=self._in_flight,
            )

    def _mail_bytes(self, queued: QueuedEmail) -> bytes:
        """The mail of a message queued before mails were stored, built as it would have been
        when queued."""
        message = queued.message
        outgoing = OutgoingEmail(
            message_id=message.message_id,
            mail_domain=self._settings.mail_domain,
            sender=Mailbox(message.sender_address or "", message.sender_name),
            to=tuple(message.recipients),
            subject=message.subject,
            text=message.body_text,
            html=message.body_html,
            # The queueing time, not now: a resend is byte for byte the first mail.
            sent_at=message.created_at,
            reply_token=self._messaging.reply_token(message.thread_id, queued.reply_expires_at),
        )
        return email_bytes(outgoing)

    async def _record(self, attempts: Sequence[_Attempt]) -> None:
        if not attempts:
            return
        messaging = self._messaging
        now = messaging.now()
        async with messaging.transaction() as store:
            sent: list[tuple[Message, MessageSent]] = []
            for attempt in attempts:
                message, outcome = attempt.message, attempt.outcome
                if attempt.error is not None:
                    await self._fail(store, message, "smtp_rejected", attempt.error, now)
                elif isinstance(outcome, Delivered):
                    message.sent(now)
                    event = MessageSent(
                        **message.event_fields(),
                        channel="email",
                        recipients=[mailbox.address for mailbox in message.recipients],
                        template_key=message.template_key,
                        sent_at=now,
                        legally_required=message.legally_required,
                    )
                    sent.append((message, event))
                    for recipient, (code, text) in outcome.refused.items():
                        await _bounce_on_send(store, messaging, message, recipient, code, text)
                elif isinstance(outcome, Permanent):
                    await self._fail(store, message, "smtp_rejected", outcome.reason, now)
                elif isinstance(outcome, RecipientsRefused) and outcome.permanent:
                    for recipient, (code, text) in outcome.refused.items():
                        await _bounce_on_send(store, messaging, message, recipient, code, text)
                else:
                    reason = (
                        outcome.reason
                        if isinstance(outcome, Transient)
                        else f"recipients refused for now: {outcome!r}"
                    )
                    await self._defer(store, message, reason, now)
            await store.messages.save_sent([message for message, _ in sent])
            # One outbox insert for the whole batch keeps a busy sender cheap.
            await store.publish(
                [
                    Announcement(
                        event, message.administration_id, correlation_id=message.correlation_id
                    )
                    for message, event in sent
                ]
            )
        log.info("sender batch recorded", messages=len(attempts), sent=len(sent))

    async def _fail(
        self, store: Store, message: Message, reason: str, detail: str, now: datetime
    ) -> None:
        log.warning("message failed", message_id=message.message_id, reason=detail)
        message.fail(reason, detail, now)
        await store.messages.save(message)
        event = MessageFailed(
            **message.event_fields(),
            channel="email",
            reason=reason,
            detail=detail[:MAX_DETAIL],
            failed_at=now,
        )
        await store.publish(
            [Announcement(event, message.administration_id, correlation_id=message.correlation_id)]
        )

    async def _defer(self, store: Store, message: Message, reason: str, now: datetime) -> None:
        if message.gives_up(now, timedelta(hours=self._settings.smtp_give_up_after_h)):
            await self._fail(store, message, "gave_up", reason, now)
            return
        message.defer(reason, now + timedelta(seconds=self._backoff(message.attempts + 1)))
        await store.messages.save(message)


async def _bounce_on_send(
    store: Store, messaging: Messaging, message: Message, recipient: str, code: int, text: str
) -> None:
    bounce = classify_smtp_rejection(code, text, recipient)
    await record_bounce(
        store,
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
