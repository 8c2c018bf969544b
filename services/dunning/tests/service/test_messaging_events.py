"""Messaging's events in, attention items out: bounces, failures, sends, replies and reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from settle_shared.events import messaging

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

T0 = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)


def _common(message_id: str, debtor_id: str) -> dict[str, Any]:
    return {
        "administration_id": ADM,
        "message_id": message_id,
        "debtor_id": debtor_id,
        "invoice_ids": ["inv-1"],
        "thread_id": f"thread-{debtor_id}",
    }


def bounced(
    message_id: str = "msg-1",
    *,
    at: datetime = T0,
    kind: str = "hard",
    recipient: str | None = "deb-1@example.nl",
    debtor_id: str = "deb-1",
) -> messaging.MessageBounced:
    return messaging.MessageBounced(
        **_common(message_id, debtor_id),
        kind=kind,
        recipient=recipient,
        reason="550 5.1.1 user unknown",
        policy="block",
        bounced_at=at,
    )


def sent(message_id: str = "msg-2", *, at: datetime, debtor_id: str = "deb-1") -> Any:
    return messaging.MessageSent(
        **_common(message_id, debtor_id),
        channel="email",
        recipients=[f"{debtor_id}@example.nl"],
        sent_at=at,
    )


def failed(reason: str, *, debtor_id: str = "deb-1", at: datetime = T0) -> Any:
    return messaging.MessageFailed(
        **_common("msg-f", debtor_id),
        channel="email",
        reason=reason,
        detail="could not send",
        failed_at=at,
    )


def reply(message_id: str, *, at: datetime = T0, debtor_id: str = "deb-1") -> Any:
    return messaging.ReplyReceived(
        **_common(message_id, debtor_id),
        via="email",
        sender=f"{debtor_id}@example.nl",
        subject_line="Re: reminder",
        received_at=at,
    )


def read(message_id: str, *, at: datetime, is_read: bool = True) -> Any:
    return messaging.MessageRead(**_common(message_id, "deb-1"), read=is_read, at=at)


async def _raised(dunning: Dunning, reason: str) -> list[dict[str, Any]]:
    return [e for e in await dunning.events("attention.raised") if e["reason"] == reason]


async def _resolved(dunning: Dunning, reason: str) -> list[dict[str, Any]]:
    return [e for e in await dunning.events("attention.resolved") if e["reason"] == reason]


async def test_a_hard_bounce_raises_undeliverable_and_a_later_send_resolves_it(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.deliver(bounced(), event_id="evt-bounce")
    await dunning.deliver(bounced(), event_id="evt-bounce")  # redelivered: the inbox skips it
    await dunning.deliver(bounced())  # published twice: already open
    [raised] = await _raised(dunning, "email_undeliverable")
    assert raised["subject_type"] == "debtor" and raised["subject_id"] == "deb-1"
    assert "deb-1@example.nl" in raised["sentence"]
    [item] = await dunning.attention()
    assert item["reason"] == "email_undeliverable"

    # An email accepted before the bounce says nothing about the address now.
    await dunning.deliver(sent("msg-0", at=T0 - timedelta(hours=1)))
    assert await _resolved(dunning, "email_undeliverable") == []

    await dunning.deliver(sent(at=T0 + timedelta(days=1)))
    [resolved] = await _resolved(dunning, "email_undeliverable")
    assert resolved["subject_id"] == "deb-1"
    assert await dunning.attention() == []

    # The old bounce again, after the successful send: it is older, nothing is raised.
    await dunning.deliver(bounced())
    await dunning.deliver(sent(at=T0 + timedelta(days=1)))
    assert len(await _raised(dunning, "email_undeliverable")) == 1
    assert len(await _resolved(dunning, "email_undeliverable")) == 1
    assert dunning.dead == []


async def test_a_soft_bounce_raises_nothing(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.deliver(bounced(kind="soft"))
    assert await dunning.attention() == []


async def test_new_email_addresses_from_bookkeeping_resolve_undeliverable(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.deliver(bounced())
    await dunning.debtor(emails=["deb-1@example.nl"])  # upserted, the same address
    assert await _resolved(dunning, "email_undeliverable") == []

    await dunning.debtor(emails=["ap@example.nl"])
    [resolved] = await _resolved(dunning, "email_undeliverable")
    assert "changed" in resolved["sentence"]
    # A late copy of the bounce names an address the debtor no longer has.
    await dunning.deliver(bounced(at=T0 + timedelta(minutes=5)))
    assert len(await _raised(dunning, "email_undeliverable")) == 1
    assert await dunning.attention() == []


async def test_replies_count_as_unread_until_read(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.deliver(reply("r-1"), event_id="evt-r1")
    await dunning.deliver(reply("r-1"), event_id="evt-r1")  # redelivered
    await dunning.deliver(reply("r-1"))  # published twice: the same reply
    [item] = await dunning.attention()
    assert item["reason"] == "unread_messages"
    assert "sent 1 message " in item["sentence"]

    await dunning.deliver(reply("r-2", at=T0 + timedelta(minutes=1)))
    [item] = await dunning.attention()
    assert "sent 2 messages" in item["sentence"]
    assert len(await _raised(dunning, "unread_messages")) == 1  # still the one item

    await dunning.deliver(read("r-1", at=T0 + timedelta(hours=1)))
    [item] = await dunning.attention()
    assert "sent 1 message " in item["sentence"]
    await dunning.deliver(read("r-2", at=T0 + timedelta(hours=1)))
    assert await dunning.attention() == []
    [resolved] = await _resolved(dunning, "unread_messages")
    assert resolved["subject_id"] == "deb-1"

    # A read event again, or an older "marked unread" arriving late, changes nothing.
    await dunning.deliver(read("r-2", at=T0 + timedelta(hours=1)))
    await dunning.deliver(read("r-2", at=T0 + timedelta(minutes=30), is_read=False))
    assert await dunning.attention() == []

    # Marked unread again later: the item comes back.
    await dunning.deliver(read("r-2", at=T0 + timedelta(hours=2), is_read=False))
    [item] = await dunning.attention()
    assert item["reason"] == "unread_messages"
    assert len(await _raised(dunning, "unread_messages")) == 2
    assert dunning.dead == []


async def test_a_reply_marked_read_before_its_arrival_is_reported_stays_read(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.deliver(read("r-1", at=T0 + timedelta(hours=1)))
    await dunning.deliver(reply("r-1"))
    assert await dunning.attention() == []


async def test_a_failed_email_without_an_address_raises_email_missing(dunning: Dunning) -> None:
    await dunning.debtor("deb-2", emails=[])
    await dunning.deliver(failed("email_missing", debtor_id="deb-2"))
    [item] = await dunning.attention()
    assert (item["reason"], item["subject_id"]) == ("email_missing", "deb-2")
    assert item["invoice_ids"] == ["inv-1"]

    await dunning.debtor("deb-2", emails=["deb-2@example.nl"])
    assert await dunning.attention() == []
    # Reported again after the address arrived: the debtor has one now.
    await dunning.deliver(failed("email_missing", debtor_id="deb-2"))
    assert await dunning.attention() == []


async def test_a_refused_email_address_raises_undeliverable(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.deliver(failed("invalid_email_address"))
    [item] = await dunning.attention()
    assert item["reason"] == "email_undeliverable"
    await dunning.deliver(failed("template_error", at=T0 + timedelta(hours=1)))
    assert len(await dunning.attention()) == 1  # says nothing about the address


async def test_a_messaging_event_with_a_mismatched_administration_is_dead_lettered(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.harness.deliver(bounced(), administration_id="adm-other")
    assert [body["message_id"] for body in dunning.dead] == ["msg-1"]
    assert await dunning.attention() == []


async def test_a_letter_waiting_to_be_posted_is_attention_until_it_is_posted(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    waiting = messaging.LetterAwaitingPosting(
        **_common("msg-letter", "deb-1"),
        template_key="fourteen_day_letter",
        legally_required=True,
        queued_at=T0,
    )
    await dunning.deliver(waiting)
    [item] = await dunning.attention()
    assert (item["reason"], item["subject_id"]) == ("letter_to_post", "inv-1")
    assert "waiting to be posted" in item["sentence"]

    posted = messaging.MessageSent(
        **_common("msg-letter", "deb-1"), channel="letter", sent_at=T0 + timedelta(days=1)
    )
    await dunning.deliver(posted)
    assert await dunning.attention() == []
    [done] = await dunning.attention(status="all")
    assert done["reason"] == "letter_to_post"
    assert done["resolution"] == "The letter was posted."
