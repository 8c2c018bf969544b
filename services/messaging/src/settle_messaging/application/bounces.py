"""Bounces: an email that came back (a delivery-status notification or an SMTP refusal while
sending). A hard bounce marks the message bounced and applies the administration's policy:
block the address, fall back to a letter, or both. A soft bounce is only announced."""

from __future__ import annotations

from settle_messaging.application.context import Messaging, load_profile
from settle_messaging.application.outbound import Origin, queue_letter_fallback
from settle_messaging.application.ports import Announcement, Store
from settle_messaging.domain.bounces import BlockedAddress, Bounce, BounceKind
from settle_messaging.domain.errors import NotFound
from settle_messaging.domain.messages import MAX_DETAIL, bounce_reason
from settle_messaging.domain.recipients import normalised_address, was_sent_to
from settle_shared.events.messaging import MessageBounced
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def record_bounce(
    store: Store, messaging: Messaging, message_id: str, bounce: Bounce, origin: Origin
) -> bool:
    """Apply one bounce to the message it concerns; False when the message is unknown."""
    message = await store.messages.get(message_id)
    if message is None:
        log.warning("bounce for an unknown message", message_id=message_id)
        return False
    recipient = normalised_address(bounce.recipient)
    if bounce.recipient and not was_sent_to(message.recipients, recipient):
        # A report may name any address; only the message's own recipients can bounce.
        log.warning("bounce for an address the message was not sent to", message_id=message_id)
        return False
    now = messaging.now()
    reason = bounce_reason(bounce)
    profile = await load_profile(store, messaging, message.administration_id)
    hard = bounce.kind is BounceKind.HARD
    message.bounce(bounce, reason, now)
    await store.messages.save(message)
    if hard and profile.blocks_address and recipient is not None:
        await store.blocked.block(message.administration_id, recipient, reason, now)
    letter_id = None
    if hard and profile.falls_back_to_letter:
        letter_id = await queue_letter_fallback(store, messaging, message, origin)
    event = MessageBounced(
        **message.event_fields(),
        kind=bounce.kind.value,
        recipient=recipient or bounce.recipient,
        reason=reason[:MAX_DETAIL],
        policy=profile.bounce_policy,
        fallback_letter_message_id=letter_id,
        bounced_at=now,
    )
    await store.publish(
        [
            Announcement(
                event,
                message.administration_id,
                correlation_id=message.correlation_id or origin.correlation_id,
                causation_id=origin.causation_id,
            )
        ]
    )
    log.info(
        "message bounced",
        message_id=message_id,
        kind=bounce.kind.value,
        policy=profile.bounce_policy,
    )
    return True


async def blocked_addresses(
    store: Store, administration_id: str, limit: int, after: str | None
) -> list[BlockedAddress]:
    """The addresses the administration no longer mails, in address order (keyset)."""
    return await store.blocked.listed(administration_id, limit, after)


async def unblock_address(store: Store, administration_id: str, address: str) -> None:
    """Mail a blocked address again (a person corrected it, or the mailbox works again);
    NotFound when it is not blocked."""
    recipient = normalised_address(address)
    if recipient is None or not await store.blocked.unblock(administration_id, recipient):
        raise NotFound(f"the address {address!r} is not blocked")
    log.info("address unblocked", administration_id=administration_id)
