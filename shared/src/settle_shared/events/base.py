"""What every event is: a versioned pydantic model that knows its type, topic and key.

Producers and consumers import the same class; nobody redefines a payload by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from functools import cache
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
    # The external contract the topic belongs to (e.g. "bailiffs"): its own AsyncAPI document
    # and a JSON Schema per payload are generated for parties outside Settle (docs.py).
    contract: str | None = None

    @property
    def dead_letter(self) -> str:
        return dead_letter_topic(self.name)


def dead_letter_topic(topic: str) -> str:
    """Where a topic's events go when a consumer cannot process them."""
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
        fields, key_field, topic, event_type = _staging(cls)
        if tuple(values) != fields:
            raise ValueError(f"{cls.__name__}: fields {sorted(values)} are not the model's")
        if not _TIMES.isdisjoint(map(type, values.values())):
            # orjson writes a time of day or an instant otherwise than pydantic does.
            raise TypeError(f"{cls.__name__}: a datetime or time is not written by staged")
        key = values[key_field]
        payload = orjson.dumps(values, default=_as_pydantic_writes)  # a date as pydantic's
        return StagedEvent(topic, key, event_type, key, payload.decode())


_TIMES = frozenset({datetime, time})


@cache
def _staging(cls: type[Event]) -> tuple[tuple[str, ...], str, str, str]:
    """What ``staged`` needs of an event class: its fields in order, key field, topic, type."""
    if cls.key_field is None or cls.subject is not Event.subject:
        raise TypeError(f"{cls.__name__} is not keyed by one field")
    return tuple(cls.__pydantic_fields__), cls.key_field, cls.topic.name, cls.event_type


def _as_pydantic_writes(value: Any) -> str:
    # A Decimal as pydantic writes it in JSON; what else orjson does not know is refused.
    if type(value) is Decimal:
        return str(value)
    raise TypeError(f"{type(value).__name__} is not written by Event.staged")


@dataclass(frozen=True)
class Contract:
    """An external contract: topics that parties outside Settle read or write, documented for
    them in an AsyncAPI document of their own (docs/asyncapi/<name>.json)."""

    name: str
    title: str
    description: str


CONTRACTS: dict[str, Contract] = {}


def contract(name: str, *, title: str, description: str) -> str:
    """Declare an external contract; its topics name it (`topic(…, contract=name)`)."""
    if name in CONTRACTS:
        raise ValueError(f"contract {name} declared twice")
    CONTRACTS[name] = Contract(name, title, description)
    return name


TOPICS: dict[str, Topic] = {}
EVENT_TYPES: dict[str, type[Event]] = {}


def topic(
    name: str, *, producer: str, key: str, description: str, contract: str | None = None
) -> Topic:
    """Declare a topic in the catalogue (part of an external `contract`, when it is one)."""
    if name in TOPICS:
        raise ValueError(f"topic {name} declared twice")
    declared = Topic(
        name=name, producer=producer, key=key, description=description, contract=contract
    )
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
