"""From Kafka records to use cases: the importer consumes the gateway's administrations, so it
imports only into administrations that exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.application.administrations import learn_administration
from settle_importer.application.context import ImporterContext
from settle_importer.domain.errors import InvalidRequest
from settle_shared.consumer import ReceivedEvent
from settle_shared.events.gateway import AdministrationEvent


async def apply_received(
    ctx: ImporterContext, session: AsyncSession, received: ReceivedEvent
) -> None:
    """Apply one event of the gateway's administrations in the consumer's transaction."""
    payload = received.payload
    if not isinstance(payload, AdministrationEvent):
        return  # a type on the topic the importer does not need
    header = received.envelope.administration_id
    if header != payload.administration_id:
        raise InvalidRequest(
            f"header administration_id {header!r} differs from the payload's "
            f"{payload.administration_id!r}"
        )
    await learn_administration(ctx, session, payload.administration_id, payload.name, payload.at)
