"""What every event is: a versioned pydantic model that knows its type, topic and key.

Producers and consumers import the same class; nobody redefines a payload by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Topic:
    """A Kafka topic: one per producer and aggregate, versioned in its name."""

    name: str
    producer: str
    key: str
    description: str

    @property
    def dead_letter(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlt"


class StagedEvent(NamedTuple):
    """An event serialised by its producer, as the outbox stores it."""

    topic: str
    key: str
    event_type: str
    subject: str | None
    payload: str


class Event(BaseModel):
    """Base of every event payload.

    Changes inside a topic version are additive only, so consumers ignore fields they do not
    know yet (`extra="ignore"`).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[Topic]
    # The field that is the record key, where the key is one field: ``key()`` returns it, and
    # ``staged`` can key an event it never built.
    key_field: ClassVar[str | None] = None

    def key(self) -> str:
        """The record key: the aggregate whose events must stay in order."""
        if self.key_field is None:
            raise NotImplementedError
        return str(getattr(self, self.key_field))

    def subject(self) -> str | None:
        """CloudEvents subject: what the event is about, for consumers that filter."""
        return self.key()

    def as_staged(self) -> StagedEvent:
        return StagedEvent(
            self.topic.name, self.key(), self.event_type, self.subject(), self.model_dump_json()
        )

    @classmethod
    def staged(cls, values: dict[str, Any]) -> StagedEvent:
        """The event of ``values`` as ``as_staged`` gives it, without building or validating a
        model: for a producer that emits them by the hundred thousand (an import) from values
        that already have the model's types. ``values`` names every field, in the model's
        order; a test per event type that uses this keeps its JSON equal to the model's."""
        if values.keys() != cls.__pydantic_fields__.keys():
            raise ValueError(f"{cls.__name__}: fields {sorted(values)} are not the model's")
        if cls.key_field is None or cls.subject is not Event.subject:
            raise TypeError(f"{cls.__name__} is not keyed by one field")
        key = values[cls.key_field]
        payload = orjson.dumps(
            values, default=_as_pydantic_writes, option=orjson.OPT_PASSTHROUGH_DATETIME
        )
        return StagedEvent(cls.topic.name, key, cls.event_type, key, payload.decode())


def _as_pydantic_writes(value: Any) -> str:
    # A Decimal and a date as pydantic writes them in JSON. A datetime, which orjson would
    # write in another form than pydantic, is refused.
    kind = type(value)
    if kind is Decimal:
        return str(value)
    if kind is date:
        return value.isoformat()
    raise TypeError(f"{kind.__name__} is not written by Event.staged")


TOPICS: dict[str, Topic] = {}
EVENT_TYPES: dict[str, type[Event]] = {}


def topic(name: str, *, producer: str, key: str, description: str) -> Topic:
    """Declare a topic in the catalogue."""
    if name in TOPICS:
        raise ValueError(f"topic {name} declared twice")
    declared = Topic(name=name, producer=producer, key=key, description=description)
    TOPICS[name] = declared
    return declared


def event(cls: type[Event]) -> type[Event]:
    """Class decorator: add an event type to the catalogue (one type, one class)."""
    if cls.event_type in EVENT_TYPES:
        raise ValueError(f"event type {cls.event_type} declared twice")
    if cls.topic.name not in TOPICS:
        raise ValueError(f"{cls.__name__}: topic {cls.topic.name} is not declared")
    EVENT_TYPES[cls.event_type] = cls
    return cls
