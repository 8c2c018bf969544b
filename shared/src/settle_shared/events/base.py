"""What every event is: a versioned pydantic model that knows its type, topic and key.

Producers and consumers import the same class; nobody redefines a payload by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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


class Event(BaseModel):
    """Base of every event payload.

    Changes inside a topic version are additive only, so consumers ignore fields they do not
    know yet (`extra="ignore"`).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[Topic]

    def key(self) -> str:
        """The record key: the aggregate whose events must stay in order."""
        raise NotImplementedError

    def subject(self) -> str | None:
        """CloudEvents subject: what the event is about, for consumers that filter."""
        return self.key()


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
