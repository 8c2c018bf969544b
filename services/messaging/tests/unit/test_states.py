from __future__ import annotations

import pytest

from settle_messaging.domain.errors import InvalidStateTransition
from settle_messaging.domain.states import (
    Direction,
    MessageState,
    can_transition,
    initial_state,
    is_final,
    is_unread,
    transition,
)

pytestmark = pytest.mark.unit

Q, S, F, B, R, RD = (
    MessageState.QUEUED,
    MessageState.SENT,
    MessageState.FAILED,
    MessageState.BOUNCED,
    MessageState.RECEIVED,
    MessageState.READ,
)

ALLOWED = {(Q, S), (Q, F), (Q, B), (S, B), (R, RD), (RD, R)}


@pytest.mark.parametrize("current", list(MessageState))
@pytest.mark.parametrize("target", list(MessageState))
def test_transitions(current: MessageState, target: MessageState) -> None:
    if current == target or (current, target) in ALLOWED:
        assert transition(current, target) is target
        assert can_transition(current, target)
    else:
        assert not can_transition(current, target)
        with pytest.raises(InvalidStateTransition):
            transition(current, target)


def test_outgoing_and_incoming_start_differently() -> None:
    assert initial_state(Direction.OUTBOUND) is Q
    assert initial_state(Direction.INBOUND) is R


def test_only_received_messages_are_unread() -> None:
    assert [state for state in MessageState if is_unread(state)] == [R]


def test_failed_and_bounced_are_final() -> None:
    assert {state for state in MessageState if is_final(state)} == {F, B}


def test_a_sent_message_never_goes_back_to_the_queue() -> None:
    with pytest.raises(InvalidStateTransition, match="a sent message cannot become queued"):
        transition(S, Q)
