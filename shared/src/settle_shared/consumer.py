"""Idempotent, at-least-once event consumption with bounded retries and a dead-letter topic.

- Offsets are committed only after the database transaction that holds the effect and the
  inbox rows (the ids of processed events) has committed. A crash in between redelivers the
  events; the inbox makes the second delivery a no-op.
- A batch is first processed in one transaction (fast). If anything in it fails, each event is
  processed on its own so one poison event cannot hold back the others.
- An event that keeps failing goes to `<topic>.dlt` with the error and its origin in headers,
  and the consumer moves on. `settle dlt replay TOPIC` puts it back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Counter
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_shared.clock import Clock
from settle_shared.db import inbox_table, transaction
from settle_shared.envelope import Envelope, EnvelopeError
from settle_shared.events.base import Event, dead_letter_topic
from settle_shared.logs import get_logger, log_context
from settle_shared.settings import ServiceSettings

log = get_logger(__name__)

PROCESSED = Counter("settle_events_processed_total", "Events processed", ["group", "topic"])
DUPLICATES = Counter("settle_events_duplicate_total", "Redelivered events skipped", ["group"])
DEAD_LETTERED = Counter("settle_events_dead_lettered_total", "Events sent to a DLT", ["topic"])

DLT_HEADER_PREFIX = "dlt_"


class PermanentError(Exception):
    """A refusal that no retry can change (unknown administration, invalid payload): the event
    goes to the dead-letter topic at once."""


@dataclass(frozen=True)
class ReceivedEvent:
    """An event as a handler gets it: envelope, typed payload, and where it was read."""

    envelope: Envelope
    payload: Event
    topic: str
    partition: int
    offset: int


Handler = Callable[[AsyncSession, ReceivedEvent], Awaitable[None]]
# Gets every new event of a batch at once, in order: for services that gain from one bulk
# statement per batch instead of one per event. Same transaction, same guarantees.
BatchHandler = Callable[[AsyncSession, Sequence[ReceivedEvent]], Awaitable[None]]


def one_by_one(handler: Handler) -> BatchHandler:
    """A batch handler that hands each event to `handler` with its ids bound to the log."""

    async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
        for received in events:
            envelope = received.envelope
            with log_context(
                correlation_id=envelope.correlation_id,
                administration_id=envelope.administration_id,
                event_id=envelope.id,
            ):
                await handler(session, received)

    return handle


@dataclass(frozen=True)
class _Decoded:
    record: ConsumerRecord[Any, Any]
    envelope: Envelope
    payload: Event | None


class EventConsumer:
    """One consumer group of a service, subscribed to all the topics it reads."""

    def __init__(
        self,
        *,
        group_id: str,
        topics: Sequence[str],
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        sessions: async_sessionmaker[AsyncSession],
        metadata: sa.MetaData,
        broker: KafkaBroker,
        settings: ServiceSettings,
        clock: Clock,
        after_commit: Callable[[Sequence[ReceivedEvent]], None] | None = None,
        dead_letters: tuple[type[Exception], ...] = (),
    ) -> None:
        self.group_id = group_id
        self.topics = list(topics)
        if (handler is None) == (batch_handler is None):
            raise ValueError("give either a handler or a batch handler")
        self._handle = batch_handler or one_by_one(handler)  # type: ignore[arg-type]
        self._sessions = sessions
        self._inbox = inbox_table(metadata)
        self._broker = broker
        self._attempts = settings.consumer_max_attempts
        self._backoff = settings.consumer_retry_backoff_s
        self._clock = clock
        # Called after the effects committed and before the offsets are: a seam for
        # metrics and for the crash tests that prove redelivery is harmless.
        self._after_commit = after_commit
        # A service's refusals that no retry can change (its errors.DEAD_LETTER_ERRORS).
        self._permanent = (EnvelopeError, PermanentError, *dead_letters)
        self._subscribe(settings)

    def _subscribe(self, settings: ServiceSettings) -> None:
        async def on_batch(body: Any, message: KafkaMessage) -> None:
            await self.process(list(message.raw_message))

        self._broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=500,
            auto_offset_reset="earliest",
            # On an error that escapes (the dead-letter topic unreachable), seek back and
            # redeliver: never commit an offset for an event that left no trace.
            ack_policy=AckPolicy.NACK_ON_ERROR,
            session_timeout_ms=settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=max(settings.kafka_session_timeout_ms // 12, 100),
            title=f"{self.group_id}",
        )(on_batch)

    async def process(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        """Process a batch of records (what the subscriber calls)."""
        try:
            done = await self._process_together(records)
        except Exception as exc:
            log.info("batch failed; processing its events one by one", error=repr(exc))
            done = []
            for record in records:
                event = await self._process_alone(record)
                if event is not None:
                    done.append(event)
        if self._after_commit is not None:
            self._after_commit(done)

    async def _process_together(
        self, records: Sequence[ConsumerRecord[Any, Any]]
    ) -> list[ReceivedEvent]:
        decoded = [_decode(record) for record in records]
        async with transaction(self._sessions) as session:
            return await self._apply(session, decoded)

    async def _process_alone(self, record: ConsumerRecord[Any, Any]) -> ReceivedEvent | None:
        error: Exception | None = None
        for attempt in range(1, self._attempts + 1):
            try:
                decoded = _decode(record)
                async with transaction(self._sessions) as session:
                    done = await self._apply(session, [decoded])
                return done[0] if done else None
            except self._permanent as exc:
                error = exc
                break
            except Exception as exc:
                error = exc
                if attempt < self._attempts:
                    await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        assert error is not None
        await self._dead_letter(record, error, attempt)
        return None

    async def _claim(self, session: AsyncSession, decoded: Sequence[_Decoded]) -> set[str]:
        """Record the events in the inbox; returns the ids that were not there yet.

        One `INSERT … ON CONFLICT DO NOTHING RETURNING` lets the primary key decide, which
        stays fast however large the inbox grows. It is part of the effect's transaction, so
        a failure un-claims the events too."""
        now = self._clock.now()
        rows = {
            item.envelope.id: {
                "consumer_group": self.group_id,
                "event_id": item.envelope.id,
                "topic": item.record.topic,
                "processed_at": now,
            }
            for item in decoded
        }
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # Parameters as a list (executemany): the statement compiles once and is cached;
        # SQLAlchemy batches the rows into multi-row INSERTs that still return what they added.
        statement = insert(self._inbox).on_conflict_do_nothing().returning(self._inbox.c.event_id)
        result = await session.execute(statement, list(rows.values()))
        return set(result.scalars().all())

    async def _apply(
        self, session: AsyncSession, decoded: Sequence[_Decoded]
    ) -> list[ReceivedEvent]:
        done: list[ReceivedEvent] = []
        new = await self._claim(session, decoded)
        for item in decoded:
            envelope, record = item.envelope, item.record
            if envelope.id not in new:
                DUPLICATES.labels(self.group_id).inc()
                continue
            new.discard(envelope.id)  # the same event twice in one batch counts once
            if item.payload is None:
                # A type this version does not know (a newer producer): nothing to do here.
                continue
            done.append(
                ReceivedEvent(envelope, item.payload, record.topic, record.partition, record.offset)
            )
        if done:
            await self._handle(session, done)
        for received in done:
            PROCESSED.labels(self.group_id, received.topic).inc()
        return done

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], error: Exception, attempts: int
    ) -> None:
        headers = {name: raw.decode(errors="replace") for name, raw in record.headers or ()}
        headers.update(
            {
                "dlt_error": f"{type(error).__name__}: {error}"[:2000],
                "dlt_origin_topic": record.topic,
                "dlt_origin_partition": str(record.partition),
                "dlt_origin_offset": str(record.offset),
                "dlt_consumer_group": self.group_id,
                "dlt_attempts": str(attempts),
                "dlt_failed_at": self._clock.now().isoformat(),
            }
        )
        await self._broker.publish(
            record.value or b"",
            dead_letter_topic(record.topic),
            key=record.key,
            headers=headers,
        )
        DEAD_LETTERED.labels(record.topic).inc()
        log.error(
            "event dead-lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            group=self.group_id,
            error=headers["dlt_error"],
        )


def _decode(record: ConsumerRecord[Any, Any]) -> _Decoded:
    envelope = Envelope.from_record(record.headers or (), record.key, record.value)
    return _Decoded(record, envelope, envelope.payload())
