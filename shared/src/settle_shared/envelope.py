"""The envelope of every Kafka record: CloudEvents 1.0 in Kafka binary mode.

Attributes travel as `ce_*` headers, the body is the event model as JSON, and Settle adds
`administration_id`, `correlation_id` and `causation_id` headers. Any CloudEvents SDK can read
a Settle record; that is the contract external bailiffs rely on."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from settle_shared.events.base import EVENT_TYPES, Event
from settle_shared.ids import uuid_texts

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def new_event_ids(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text, from one read of the system's randomness:
    bulk staging makes one per event."""
    randomness = os.urandom(16 * count)
    return uuid_texts(randomness, 4)


def shared_headers(
    source: str, time: datetime, administration_id: str, correlation_id: str
) -> dict[str, str]:
    """The headers that events of one source, time, administration and correlation share: all
    but ``ce_id``, ``ce_type``, ``ce_subject`` and ``causation_id``."""
    if time.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    return {
        "ce_specversion": SPEC_VERSION,
        "ce_source": source,
        "ce_time": time.isoformat(),
        "content-type": CONTENT_TYPE,
        "administration_id": administration_id,
        "correlation_id": correlation_id,
    }


class EnvelopeError(ValueError):
    """A record that is not a valid Settle event: it can never be processed (poison)."""


@dataclass(frozen=True)
class Envelope:
    """One event with its CloudEvents attributes and Settle's headers; `data` is the payload's
    JSON and `key` the record key (the aggregate whose events stay in order)."""

    id: str
    type: str
    source: str
    time: datetime
    subject: str | None
    administration_id: str
    correlation_id: str
    causation_id: str | None
    key: str
    data: bytes

    @classmethod
    def wrap(
        cls,
        payload: Event,
        *,
        source: str,
        time: datetime,
        administration_id: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        event_id: str | None = None,
    ) -> Envelope:
        """Put an event in an envelope. A new correlation starts when none is given."""
        if time.tzinfo is None:
            raise ValueError("event time must be timezone-aware")
        new_id = event_id or str(uuid.uuid4())
        return cls(
            id=new_id,
            type=payload.event_type,
            source=source,
            time=time,
            subject=payload.subject(),
            administration_id=administration_id,
            correlation_id=correlation_id or new_id,
            causation_id=causation_id,
            key=payload.key(),
            data=payload.model_dump_json().encode(),
        )

    def headers(self) -> dict[str, str]:
        headers = {
            "ce_id": self.id,
            "ce_type": self.type,
            **shared_headers(self.source, self.time, self.administration_id, self.correlation_id),
        }
        if self.subject is not None:
            headers["ce_subject"] = self.subject
        if self.causation_id is not None:
            headers["causation_id"] = self.causation_id
        return headers

    @classmethod
    def from_record(
        cls, headers: Iterable[tuple[str, bytes]], key: bytes | None, value: bytes | None
    ) -> Envelope:
        """Read an envelope from a Kafka record, refusing anything that is not one."""
        try:
            found = {name: raw.decode() for name, raw in headers}
        except UnicodeDecodeError as exc:
            raise EnvelopeError(f"header is not UTF-8: {exc}") from None
        missing = [
            name
            for name in ("ce_id", "ce_type", "ce_source", "ce_time", "administration_id")
            if not found.get(name)
        ]
        if missing:
            raise EnvelopeError(f"missing header(s): {', '.join(missing)}")
        if found.get("ce_specversion") != SPEC_VERSION:
            raise EnvelopeError(f"unsupported ce_specversion {found.get('ce_specversion')!r}")
        try:
            time = datetime.fromisoformat(found["ce_time"])
        except ValueError:
            raise EnvelopeError(f"ce_time is not ISO 8601: {found['ce_time']!r}") from None
        if time.tzinfo is None:
            raise EnvelopeError("ce_time has no time zone")
        return cls(
            id=found["ce_id"],
            type=found["ce_type"],
            source=found["ce_source"],
            time=time,
            subject=found.get("ce_subject"),
            administration_id=found["administration_id"],
            correlation_id=found.get("correlation_id") or found["ce_id"],
            causation_id=found.get("causation_id"),
            key=key.decode() if key else "",
            data=value or b"",
        )

    def payload(self) -> Event | None:
        """The typed event, or None for a type this code does not know (a newer producer)."""
        model = EVENT_TYPES.get(self.type)
        if model is None:
            return None
        try:
            return model.model_validate_json(self.data)
        except ValueError as exc:
            raise EnvelopeError(f"{self.type} payload is invalid: {exc}") from None
