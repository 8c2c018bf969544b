"""The event contracts of every service, in one place both sides import.

Importing this package loads the whole catalogue."""

from settle_shared.events import (  # noqa: F401  (loads the catalogue)
    collection,
    dunning,
    gateway,
    importer,
    messaging,
    payments,
    plans,
)
from settle_shared.events.base import (
    EVENT_TYPES,
    TOPICS,
    Event,
    Topic,
    dead_letter_topic,
    event,
    topic,
)

__all__ = ["EVENT_TYPES", "TOPICS", "Event", "Topic", "dead_letter_topic", "event", "topic"]
