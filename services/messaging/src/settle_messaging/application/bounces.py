"""Bounces: an email that came back (a delivery-status notification or an SMTP refusal while
sending). A hard bounce marks the message bounced and applies the administration's policy:
block the address, fall back to a letter, or both. A soft bounce is only announced."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging.adapters import tables
from settle_messaging.application.context import (
    Messaging,
    common_fields,
    invoice_ids_of,
    load_profile,
)
from settle_messaging.application.outbound import Origin, queue_letter_fallback
from settle_messaging.domain.bounces import Bounce, BounceKind
from settle_messaging.domain.email_builder import validate_email_address
from settle_messaging.domain.errors import InvalidEmailAddress
from settle_messaging.domain.states import MessageState, can_transition
from settle_shared.events.messaging import MessageBounced
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def record_bounce(
    session: AsyncSession, messaging: Messaging, message_id: str, bounce: Bounce, origin: Origin
) -> bool:
    """Apply one bounce to the message it concerns; False when the message is unknown."""
    message = (
        await session.execute(
            sa.select(tables.messages).where(tables.messages.c.message_id == message_id)
        )
    ).first()
    if message is None:
        log.warning("bounce for an unknown message", message_id=message_id)
        return False
    now = messaging.now()
    reason = " ".join(part for part in (bounce.status, bounce.diagnostic) if part) or "bounced"
    profile = await load_profile(session, messaging, message.administration_id)
    policy = profile.bounce_policy
    hard = bounce.kind is BounceKind.HARD
    state = MessageState(message.state)
    if hard and state != MessageState.BOUNCED and can_transition(state, MessageState.BOUNCED):
        await session.execute(
            sa.update(tables.messages)
            .where(tables.messages.c.message_id == message_id)
            .values(
                state=MessageState.BOUNCED.value,
                bounced_at=now,
                bounce_kind=bounce.kind.value,
                bounce_detail=reason[:2000],
            )
        )
    elif message.bounce_kind is None:
        await session.execute(
            sa.update(tables.messages)
            .where(tables.messages.c.message_id == message_id)
            .values(bounce_kind=bounce.kind.value, bounce_detail=reason[:2000])
        )
    recipient = _address(bounce.recipient)
    if hard and policy in ("block", "both") and recipient is not None:
        await _block(session, message.administration_id, recipient, reason, now)
    letter_id = None
    if hard and policy in ("letter", "both"):
        letter_id = await queue_letter_fallback(session, messaging, message, origin)
    invoices = (await invoice_ids_of(session, [message_id]))[message_id]
    event = MessageBounced(
        **common_fields(message, invoices),
        kind=bounce.kind.value,
        recipient=recipient or bounce.recipient,
        reason=reason[:2000],
        policy=policy,
        fallback_letter_message_id=letter_id,
        bounced_at=now,
    )
    await messaging.publish(
        session,
        [event],
        administration_id=message.administration_id,
        correlation_id=message.correlation_id or origin.correlation_id,
        causation_id=origin.causation_id,
    )
    log.info("message bounced", message_id=message_id, kind=bounce.kind.value, policy=policy)
    return True


def _address(recipient: str | None) -> str | None:
    if not recipient:
        return None
    try:
        return validate_email_address(recipient)
    except InvalidEmailAddress:
        return None


async def _block(
    session: AsyncSession, administration_id: str, address: str, reason: str, now: datetime
) -> None:
    table = tables.suppressed_addresses
    exists = await session.scalar(
        sa.select(table.c.address).where(
            table.c.administration_id == administration_id, table.c.address == address
        )
    )
    if exists is None:
        await session.execute(
            sa.insert(table).values(
                administration_id=administration_id,
                address=address,
                reason=reason[:2000],
                created_at=now,
            )
        )
