"""Messaging's facts about a debtor's email and replies, applied in the order they happened."""

from datetime import UTC, datetime, timedelta

import pytest

from settle_dunning.domain import AttentionAction, AttentionReason
from settle_dunning.domain.mailbox import (
    Mailbox,
    ReplyMark,
    email_missing,
    email_sent,
    email_undeliverable,
    reply_marked,
    reply_received,
)

from .factories import debtor

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)


def test_a_bounce_raises_once_and_a_later_send_resolves() -> None:
    bounce = email_undeliverable(Mailbox(), "d-1", debtor(), "ap@example.nl", T0)
    [raised] = bounce.attention
    assert raised.action is AttentionAction.RAISE
    assert raised.reason is AttentionReason.EMAIL_UNDELIVERABLE
    again = email_undeliverable(bounce.mailbox, "d-1", debtor(), "ap@example.nl", T0)
    assert again.attention == () and again.mailbox == bounce.mailbox

    before = email_sent(bounce.mailbox, "d-1", T0 - timedelta(minutes=1))
    assert before.attention == ()
    after = email_sent(bounce.mailbox, "d-1", LATER)
    assert [a.action for a in after.attention] == [AttentionAction.RESOLVE]
    assert email_undeliverable(after.mailbox, "d-1", None, None, T0).attention == ()


def test_a_bounce_for_an_address_the_debtor_no_longer_has_is_ignored() -> None:
    current = debtor(emails=("new@example.nl",))
    assert email_undeliverable(Mailbox(), "d-1", current, "old@example.nl", T0).attention == ()
    assert email_undeliverable(Mailbox(), "d-1", current, "NEW@example.nl", T0).attention


def test_email_missing_only_while_the_debtor_has_no_address() -> None:
    [raised] = email_missing("d-1", debtor(emails=()), ("inv-1",))
    assert raised.reason is AttentionReason.EMAIL_MISSING and raised.invoice_ids == ("inv-1",)
    assert email_missing("d-1", debtor(emails=("a@example.nl",)), ()) == ()


def test_reply_marks_follow_the_time_of_the_facts() -> None:
    received = reply_received(None, T0)
    assert received == ReplyMark(unread=True, at=T0)
    assert reply_received(received, T0) is None  # the same reply again
    read = reply_marked(received, True, LATER)
    assert read == ReplyMark(unread=False, at=LATER)
    assert reply_marked(read, True, LATER) is None
    assert reply_marked(read, False, T0) is None  # older than the read
    assert reply_marked(read, False, LATER + timedelta(minutes=1)) == ReplyMark(
        unread=True, at=LATER + timedelta(minutes=1)
    )
