"""Message requests become queued messages, and the sender sends them exactly once."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord
from sqlalchemy import event

from settle_messaging.adapters import tables
from settle_messaging.adapters.smtp import Permanent, RecipientsRefused, Transient
from settle_messaging.domain.addressing import bounce_address
from settle_messaging.domain.messages import QueuedEmail
from settle_shared.envelope import Envelope
from settle_shared.events.dunning import MessageDebtor, MessageRequested

from .conftest import BASE, MessagingHarness, make_request

pytestmark = pytest.mark.service


def parsed(data: bytes) -> EmailMessage:
    message = message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


async def test_a_request_is_queued_once_however_often_it_is_delivered(service: MessagingHarness):
    request = make_request()
    await service.deliver(request, event_id="evt-1")
    await service.deliver(request, event_id="evt-1")  # the same event again
    await service.deliver(request, event_id="evt-2")  # the same request, republished
    messages = await service.messages()
    assert [(m.state, m.channel, m.message_request_id) for m in messages] == [
        ("queued", "email", "req-1")
    ]
    assert "2025-0001" in messages[0].body_text and "2025-0002" in messages[0].body_text
    assert "1.494,50" in messages[0].body_text  # Dutch amount format
    page = (await service.client.get(f"{BASE}/messages", params={"invoice_id": "inv-2"})).json()
    assert [item["message_id"] for item in page["items"]] == [messages[0].message_id]
    assert page["items"][0]["invoice_ids"] == ["inv-1", "inv-2"]


async def test_the_sender_sends_a_queued_email_once_with_a_stable_message_id(
    service: MessagingHarness,
):
    await service.deliver(make_request())
    assert await service.sender.send_due() == (1, False)
    assert await service.sender.send_due() == (0, False)  # nothing left: nothing sent twice
    [(envelope_sender, recipients, data)] = service.transport.sent
    [message] = await service.messages()
    assert message.state == "sent"
    assert recipients == ["info@korenaar.example.com"]
    assert envelope_sender == bounce_address(
        message.message_id, "mail.settle.example", service.messaging.reply_secret
    )
    mail = parsed(data)
    assert mail["Message-ID"] == f"<{message.message_id}@mail.settle.example>"
    assert mail["Reply-To"].startswith("reply+")
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    kinds, payloads = zip(*await service.events(), strict=True)
    assert kinds == ("settle.messaging.message.sent",)
    assert payloads[0]["message_request_id"] == "req-1"
    assert payloads[0]["invoice_ids"] == ["inv-1", "inv-2"]
    # A resend (say after a crash before the state was committed) is the very same mail.
    assert (
        service.sender._mail_bytes(await _queued(service, message.message_id, recipients)) == data
    )


async def test_crlf_in_a_debtor_name_or_subject_cannot_add_headers(service: MessagingHarness):
    debtor = MessageDebtor(
        debtor_id="deb-9",
        number="D-9",
        name="Evil\r\nBcc: victim@example.com\r\nX-Injected: yes",
        kind="business",
        emails=["boss@evil.example.com"],
    )
    await service.deliver(make_request(debtor=debtor))
    free = {
        "debtor": debtor.model_dump(),
        "language": "en",
        "subject": "Hello\r\nBcc: other@example.com",
        "body": "Line one\r\nBcc: nope@example.com",
        "sender_name": "Sanne",
    }
    assert (await service.client.post(f"{BASE}/messages", json=free)).status_code == 202
    await service.sender.send_due()
    assert len(service.transport.sent) == 2
    for _, recipients, data in service.transport.sent:
        assert recipients == ["boss@evil.example.com"]
        mail = parsed(data)
        assert mail["Bcc"] is None and mail["X-Injected"] is None
        header_block = data.split(b"\r\n\r\n", 1)[0]
        assert b"\r\nBcc:" not in header_block and b"\r\nX-Injected" not in header_block


async def test_an_invalid_or_missing_address_fails_the_message_and_says_why(
    service: MessagingHarness,
):
    bad = make_request().debtor.model_copy(update={"emails": ["not an address\r\n@x"]})
    await service.deliver(make_request(debtor=bad))
    none = make_request().debtor.model_copy(update={"emails": [], "debtor_id": "deb-2"})
    await service.deliver(make_request(message_request_id="req-2", debtor=none))
    messages = await service.messages()
    assert [(m.state, m.failure_reason) for m in messages] == [
        ("failed", "invalid_email_address"),
        ("failed", "email_missing"),
    ]
    events = await service.events()
    assert [(k, p["reason"]) for k, p in events] == [
        ("settle.messaging.message.failed", "invalid_email_address"),
        ("settle.messaging.message.failed", "email_missing"),
    ]


async def test_transient_smtp_errors_keep_the_message_queued_and_5xx_fails_it(
    service: MessagingHarness,
):
    await service.deliver(make_request())
    service.transport.outcomes = [Transient("421 try later")]
    assert await service.sender.send_due() == (1, True)
    [message] = await service.messages()
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.next_attempt_at is not None
    async with service.messaging.sessions() as session, session.begin():
        await session.execute(sa.update(tables.messages).values(next_attempt_at=None))
    service.transport.outcomes = [Permanent(554, "554 5.7.1 policy")]
    await service.sender.send_due()
    [message] = await service.messages()
    assert (message.state, message.failure_reason) == ("failed", "smtp_rejected")
    assert await service.event_types() == ["settle.messaging.message.failed"]


async def test_a_refused_recipient_is_a_hard_bounce_and_the_policy_applies(
    service: MessagingHarness,
):
    profile = {"name": "Voorbeeld B.V.", "email": "debiteuren@voorbeeld.example.com",
               "bounce_policy": "both"}  # fmt: skip
    assert (await service.client.put(f"{BASE}/profile", json=profile)).status_code == 204
    await service.deliver(make_request())
    service.transport.outcomes = [
        RecipientsRefused({"info@korenaar.example.com": (550, "5.1.1 no such user")}, True)
    ]
    await service.sender.send_due()
    messages = await service.messages()
    assert [(m.channel, m.state) for m in messages] == [("email", "bounced"), ("letter", "queued")]
    kinds = await service.event_types()
    assert kinds == [
        "settle.messaging.letter.awaiting_posting",
        "settle.messaging.message.bounced",
    ]
    bounced = (await service.events())[1][1]
    assert bounced["kind"] == "hard" and bounced["policy"] == "both"
    assert bounced["fallback_letter_message_id"] == messages[1].message_id
    # The address is blocked: the next reminder to it fails instead of bouncing again.
    await service.deliver(make_request(message_request_id="req-2"))
    assert (await service.messages())[-1].failure_reason == "address_blocked"


async def test_a_letter_is_rendered_stored_and_announced_until_posted(service: MessagingHarness):
    await service.deliver(make_request(channels=["email", "letter"]))
    messages = await service.messages()
    assert sorted(m.channel for m in messages) == ["email", "letter"]
    letter = next(m for m in messages if m.channel == "letter")
    assert letter.state == "queued"
    assert await service.event_types() == ["settle.messaging.letter.awaiting_posting"]
    item = (await service.client.get(f"{BASE}/messages/{letter.message_id}")).json()
    [attachment] = item["attachments"]
    pdf = await service.client.get(
        f"{BASE}/messages/{letter.message_id}/attachments/{attachment['attachment_id']}"
    )
    assert pdf.content.startswith(b"%PDF")
    posted = await service.client.post(f"{BASE}/messages/{letter.message_id}/posted")
    assert posted.status_code == 204
    assert (await service.event_types())[-1] == "settle.messaging.message.sent"
    # The email of the same step is not touched by the letter.
    assert await service.sender.send_due() == (1, False)


async def test_the_fourteen_day_letter_without_its_costs_fails_visibly(
    service: MessagingHarness,
):
    await service.deliver(make_request(template_key="fourteen_day_letter", legally_required=True))
    [message] = await service.messages()
    assert (message.state, message.failure_reason) == ("failed", "template_error")
    assert "collection costs" in message.failure_detail


async def test_messages_of_another_administration_stay_invisible(service: MessagingHarness):
    await service.deliver(make_request())
    other = "/internal/v1/administrations/adm-2"
    assert (await service.client.get(f"{other}/messages")).json()["items"] == []
    [message] = await service.messages()
    assert (await service.client.get(f"{other}/messages/{message.message_id}")).status_code == 404


async def _queued(service: MessagingHarness, message_id: str, recipients: list[str]):
    """The message as the sender takes it from the queue."""
    async with service.messaging.transaction() as store:
        message = await store.messages.get(message_id)
        assert message is not None
        thread = await store.threads.get(message.thread_id)
        assert thread is not None
    message.recipients = _mailboxes(recipients)
    return QueuedEmail(message, thread.reply_expires_at)


def _mailboxes(addresses):
    from settle_messaging.domain.email_builder import Mailbox

    return [Mailbox(address, "Bakkerij De Korenaar") for address in addresses]


def _record(request: MessageRequested, offset: int) -> ConsumerRecord[bytes, bytes]:
    """A request as the consumer gets it from Kafka (a fresh event id each time)."""
    envelope = Envelope.wrap(
        request,
        source="/settle/test",
        time=datetime.now(UTC),
        administration_id=request.administration_id,
    )
    return ConsumerRecord(
        topic="dunning.messages.v1", partition=0, offset=offset, timestamp=0, timestamp_type=0,
        key=envelope.key.encode(), value=envelope.data, checksum=None, serialized_key_size=0,
        serialized_value_size=len(envelope.data),
        headers=[(name, value.encode()) for name, value in envelope.headers().items()],
    )  # fmt: skip


@contextmanager
def _inserts(service: MessagingHarness) -> Iterator[list[str]]:
    """The tables each INSERT statement went to, while the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO"):
            seen.append(statement.split()[2])

    engine = service.harness.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_batch_is_queued_with_one_insert_per_table_and_each_request_once(
    service: MessagingHarness,
):
    base = make_request().debtor
    requests = [
        make_request(
            message_request_id=f"req-{n}",
            debtor=base.model_copy(
                update={"debtor_id": f"deb-{n}", "emails": [f"d{n}@korenaar.example.com"]}
            ),
        )
        for n in range(5)
    ]
    invalid = make_request(
        message_request_id="req-bad", debtor=base.model_copy(update={"emails": ["not an address"]})
    )
    records = [_record(request, n) for n, request in enumerate(requests)]
    records += [records[0], _record(requests[1], 6), _record(invalid, 7)]  # again, republished
    consumer = service.harness.runtime.consumers[0]
    with _inserts(service) as inserts:
        await consumer.process(records)
    for table in ("threads", "messages", "recipients", "message_invoices", "outbox"):
        assert inserts.count(table) == 1, inserts
    messages = await service.messages()
    assert sorted((m.message_request_id, m.state) for m in messages) == [
        *[(f"req-{n}", "queued") for n in range(5)], ("req-bad", "failed")
    ]  # fmt: skip
    assert [kind for kind, _ in await service.events()] == ["settle.messaging.message.failed"]
    # The mail is built when queued, and it is what the sender sends.
    stored = {m.message_id: m.mime for m in messages if m.state == "queued"}
    assert all(mime and mime.startswith(b"Message-ID: <") for mime in stored.values())
    assert await service.sender.send_due() == (5, False)
    assert sorted(data for _, _, data in service.transport.sent) == sorted(stored.values())
    assert {m.mime for m in await service.messages()} == {None}  # done with: not kept
    # The whole batch delivered again (Kafka redelivers after a crash): nothing new.
    await consumer.process([_record(request, 10 + n) for n, request in enumerate(requests)])
    assert len(await service.messages()) == 6
    assert await service.sender.send_due() == (0, False)


async def test_a_failed_message_keeps_the_subject_it_was_rendered_with(
    service: MessagingHarness,
):
    none = make_request().debtor.model_copy(update={"emails": []})
    await service.deliver(make_request(debtor=none))
    [message] = await service.messages()
    assert message.failure_reason == "email_missing"
    assert message.subject.startswith("Herinnering") and "friendly_reminder" not in message.subject
    [(_, failed)] = await service.events()
    assert failed["subject_line"] == message.subject
    listed = (await service.client.get(f"{BASE}/messages/{message.message_id}")).json()
    assert listed["subject"] == message.subject
    async with service.messaging.sessions() as session:
        title = await session.scalar(sa.select(tables.threads.c.subject))
    assert title == message.subject  # what the reply page shows


async def test_every_message_event_carries_the_rendered_subject(service: MessagingHarness):
    await service.deliver(make_request(channels=["email", "letter"]))
    await service.sender.send_due()
    messages = {m.channel: m for m in await service.messages()}
    for kind, payload in await service.events():
        channel = "letter" if "letter" in kind else "email"
        assert payload["subject_line"] == messages[channel].subject, kind
        assert payload["subject_line"].startswith("Herinnering")


async def test_an_sms_is_failed_at_once_not_skipped(service: MessagingHarness):
    await service.deliver(make_request(channels=["email", "sms"]))
    messages = {m.channel: m for m in await service.messages()}
    assert (messages["email"].state, messages["sms"].state) == ("queued", "failed")
    sms = messages["sms"]
    assert sms.failure_reason == "channel_unavailable"
    assert sms.failure_detail == "SMS cannot be sent: no SMS provider is configured"
    assert sms.subject == messages["email"].subject
    [(kind, failed)] = await service.events()
    assert kind == "settle.messaging.message.failed"
    assert (failed["channel"], failed["reason"], failed["message_request_id"]) == (
        "sms",
        "channel_unavailable",
        "req-1",
    )
    # A request only by SMS: the thread still gets the subject the email would have had.
    await service.deliver(make_request(message_request_id="req-2", channels=["sms"]))
    [*_, only] = await service.messages()
    assert only.subject.startswith("Herinnering") and only.state == "failed"


async def test_a_blocked_address_is_listed_and_mailed_again_once_unblocked(
    service: MessagingHarness,
):
    await service.deliver(make_request())
    service.transport.outcomes = [
        RecipientsRefused({"info@korenaar.example.com": (550, "5.1.1 no such user")}, True)
    ]
    await service.sender.send_due()
    listed = (await service.client.get(f"{BASE}/blocked-addresses")).json()
    [blocked] = listed["items"]
    assert blocked["address"] == "info@korenaar.example.com"
    assert "no such user" in blocked["reason"] and listed["next_after"] is None
    # Another administration sees none of it, nor may it unblock it.
    other = BASE.replace("/administrations/", "/administrations/other-")
    assert (await service.client.get(f"{other}/blocked-addresses")).json()["items"] == []
    refused = await service.client.post(
        f"{other}/blocked-addresses/unblock", json={"address": "info@korenaar.example.com"}
    )
    assert refused.status_code == 404

    unblocked = await service.client.post(
        f"{BASE}/blocked-addresses/unblock", json={"address": "Info@Korenaar.example.com"}
    )
    assert unblocked.status_code == 204, unblocked.text
    assert (await service.client.get(f"{BASE}/blocked-addresses")).json()["items"] == []
    again = await service.client.post(
        f"{BASE}/blocked-addresses/unblock", json={"address": "info@korenaar.example.com"}
    )
    assert again.status_code == 404
    # The next reminder to it is sent, not failed as blocked.
    await service.deliver(make_request(message_request_id="req-2"))
    service.transport.outcomes = []
    await service.sender.send_due()
    assert (await service.messages())[-1].state == "sent"
