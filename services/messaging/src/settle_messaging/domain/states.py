"""The life of a message as its timeline shows it, as a small state machine.

Outgoing: ``queued`` -> ``sent`` -> ``bounced``; ``queued`` -> ``failed`` (refused for good,
e.g. an invalid address or a permanent SMTP error); ``queued`` -> ``bounced`` (the server
refused the recipient while we were sending). Incoming: ``received`` -> ``read``, and back to
``received`` when a user marks it unread. Moving to the state a message already has is
allowed and changes nothing, so a redelivered event can be applied twice.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from settle_messaging.domain.errors import InvalidStateTransition


class MessageState(StrEnum):
    """Where a message stands."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    BOUNCED = "bounced"
    RECEIVED = "received"
    READ = "read"


class Direction(StrEnum):
    """Whether Settle sent the message or received it."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


ALLOWED_TRANSITIONS: MappingProxyType[MessageState, frozenset[MessageState]] = MappingProxyType(
    {
        MessageState.QUEUED: frozenset(
            {MessageState.SENT, MessageState.FAILED, MessageState.BOUNCED}
        ),
        MessageState.SENT: frozenset({MessageState.BOUNCED}),
        MessageState.FAILED: frozenset(),
        MessageState.BOUNCED: frozenset(),
        MessageState.RECEIVED: frozenset({MessageState.READ}),
        MessageState.READ: frozenset({MessageState.RECEIVED}),
    }
)


def initial_state(direction: Direction) -> MessageState:
    """The state a new message starts in: queued when we send it, received when it comes in."""
    return MessageState.QUEUED if direction is Direction.OUTBOUND else MessageState.RECEIVED


def can_transition(current: MessageState, target: MessageState) -> bool:
    """Whether a message may move from ``current`` to ``target`` (staying put is allowed)."""
    return current == target or target in ALLOWED_TRANSITIONS[current]


def transition(current: MessageState, target: MessageState) -> MessageState:
    """Return the new state, or raise ``InvalidStateTransition`` if the move is not allowed."""
    if not can_transition(current, target):
        raise InvalidStateTransition(f"a {current.value} message cannot become {target.value}")
    return target


def is_unread(state: MessageState) -> bool:
    """Whether the message counts as unread (and so raises attention)."""
    return state is MessageState.RECEIVED


def is_final(state: MessageState) -> bool:
    """Whether nothing can happen to the message any more."""
    return not ALLOWED_TRANSITIONS[state]
