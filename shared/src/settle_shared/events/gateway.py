"""What the gateway publishes: the administrations it owns. Every other service learns of an
administration from these events before its first invoice, and refuses work for one it has
not heard of."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from settle_shared.events.base import Event, Topic, event, topic

ADMINISTRATIONS = topic(
    "gateway.administrations.v1",
    producer="gateway",
    key="administration_id: one administration's events stay in order, so a consumer sees "
    "it created before it changed",
    description="Administrations created and changed in the gateway (or its command line); "
    "each service keeps its own record of them.",
)


class AdministrationEvent(Event):
    topic: ClassVar[Topic] = ADMINISTRATIONS
    key_field: ClassVar[str | None] = "administration_id"

    administration_id: str = Field(
        description="the id every service knows the administration by (letters, digits, "
        "'_', '.', ':' and '-', at most 64: it names a drop folder)"
    )
    name: str = Field(description="the administration's name, as people see it")
    organisation_id: str = Field(description="the organisation it belongs to")
    at: datetime = Field(description="when the gateway recorded it")


@event
class AdministrationCreated(AdministrationEvent):
    """A new administration. Also published once for every administration that existed
    before the gateway published these events, when the upgraded gateway first starts."""

    event_type: ClassVar[str] = "settle.gateway.administration.created"


@event
class AdministrationChanged(AdministrationEvent):
    """An administration was renamed; the event carries all it is now."""

    event_type: ClassVar[str] = "settle.gateway.administration.changed"
