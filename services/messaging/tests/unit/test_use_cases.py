"""The use cases on an in-memory store: what a bounce, a reply and a redelivered request do,
with no database in the way (tests/service runs the same use cases on SQLite)."""

from __future__ import annotations

import pytest

from settle_messaging.application.bounces import record_bounce
from settle_messaging.application.inbound import mark_read, open_thread, store_reply
from settle_messaging.application.outbound import Origin, queue_requests
from settle_messaging.domain.bounces import Bounce, BounceKind
from settle_messaging.domain.messages import Message
from settle_messaging.domain.profiles import AdministrationProfile
from settle_messaging.domain.states import MessageState

from ..service.conftest import ADM, make_request
from .fakes import InMemoryMessaging, InMemoryStore

pytestmark = pytest.mark.unit

ADDRESS = "info@korenaar.example.com"


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def messaging(store: InMemoryStore) -> InMemoryMessaging:
    return InMemoryMessaging(store)


async def queued_reminder(
    store: InMemoryStore, messaging: InMemoryMessaging, request_id: str = "req-1"
) -> Message:
    [message_id] = await queue_requests(
        store, messaging, [(make_request(message_request_id=request_id), Origin(request_id))]
    )
    return store.messages.stored[message_id]


def hard_bounce(recipient: str = ADDRESS) -> Bounce:
    return Bounce(
        kind=BounceKind.HARD,
        recipient=recipient,
        status="5.1.1",
        action="failed",
        diagnostic="smtp; 550 5.1.1 user unknown",
    )


async def test_a_hard_bounce_marks_the_message_and_blocks_the_address(store, messaging):
    message = await queued_reminder(store, messaging)
    message.sent(messaging.now())

    assert await record_bounce(store, messaging, message.message_id, hard_bounce(), Origin())

    bounced = store.messages.stored[message.message_id]
    assert bounced.state is MessageState.BOUNCED
    assert bounced.bounce_kind == "hard" and "5.1.1" in (bounced.bounce_detail or "")
    assert (ADM, ADDRESS) in store.blocked.reasons  # the default policy blocks
    assert store.event_types()[-1] == "settle.messaging.message.bounced"
    # The next reminder to the address fails at once instead of bouncing again.
    again = await queued_reminder(store, messaging, "req-2")
    assert (again.state, again.failure_reason) == (MessageState.FAILED, "address_blocked")


async def test_the_letter_policy_sends_the_step_as_a_letter_and_blocks_nothing(store, messaging):
    store.profiles.stored[ADM] = AdministrationProfile(ADM, bounce_policy="letter")
    message = await queued_reminder(store, messaging)

    await record_bounce(store, messaging, message.message_id, hard_bounce(), Origin())

    assert sorted(store.by_state()) == [
        ("email", MessageState.BOUNCED),
        ("letter", MessageState.QUEUED),
    ]
    assert store.blocked.reasons == {}
    announced = store.published[-1].event
    letter = next(m for m in store.messages.stored.values() if m.channel == "letter")
    assert announced.fallback_letter_message_id == letter.message_id  # type: ignore[attr-defined]


async def test_a_soft_bounce_is_only_announced(store, messaging):
    message = await queued_reminder(store, messaging)
    soft = Bounce(BounceKind.SOFT, ADDRESS, status="4.2.2", action="delayed", diagnostic="full")

    await record_bounce(store, messaging, message.message_id, soft, Origin())

    kept = store.messages.stored[message.message_id]
    assert (kept.state, kept.bounce_kind) == (MessageState.QUEUED, "soft")
    assert store.blocked.reasons == {}
    assert store.event_types() == ["settle.messaging.message.bounced"]


async def test_a_reply_lands_in_its_thread_unread_answering_the_last_message(store, messaging):
    message = await queued_reminder(store, messaging)
    token = messaging.reply_token(
        message.thread_id, store.threads.stored[message.thread_id].reply_expires_at
    )
    thread = await open_thread(store, messaging, token)

    reply_id = await store_reply(
        store,
        messaging,
        thread,
        via="email",
        subject="Re: herinnering",
        text="Ik heb\r\nal betaald\x00",
        sender="boss@korenaar.example.com",
        sender_name="De Baas",
        smtp_message_id="<abc@korenaar.example.com>",
        in_reply_to=None,
        size_bytes=120,
    )

    reply = store.messages.stored[reply_id]
    assert (reply.thread_id, reply.state, reply.unread) == (
        message.thread_id,
        MessageState.RECEIVED,
        True,
    )
    assert reply.in_reply_to == message.message_id
    assert reply.invoice_ids == ["inv-1", "inv-2"]  # the invoices of the message it answers
    assert reply.body_text == "Ik heb\nal betaald"  # control characters gone
    assert store.event_types()[-1] == "settle.messaging.reply.received"

    await mark_read(store, messaging, ADM, reply_id)
    await mark_read(store, messaging, ADM, reply_id)  # already read: nothing new
    assert store.messages.stored[reply_id].state is MessageState.READ
    assert store.event_types().count("settle.messaging.message.read") == 1


async def test_a_request_seen_before_queues_nothing(store, messaging):
    request, origin = make_request(), Origin("req-1")
    first = await queue_requests(store, messaging, [(request, origin), (request, origin)])
    again = await queue_requests(store, messaging, [(request, origin)])
    assert len(first) == 1 and again == []
    assert len(store.messages.stored) == 1 and len(store.threads.stored) == 1
