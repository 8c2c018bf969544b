"""With real SMTP servers: the local mailbox process (keeps every mail as .eml) for outgoing
mail, and the service's own inbound endpoint for replies and bounces."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
import sqlalchemy as sa

from settle_messaging import db
from settle_messaging.adapters.inbound_smtp import serve_inbound
from settle_messaging.app import SERVICE
from settle_messaging.application.context import Messaging
from settle_messaging.application.sender import Sender
from settle_shared.testing.infra import free_port, port_open
from settle_shared.testing.service import ServiceHarness, running_service

from ..service.conftest import ADM, BASE, make_request

pytestmark = pytest.mark.integration

DOMAIN = "mail.settle.example.com"


@dataclass
class Mailbox:
    """The mailbox process from the embedded stack, on a port of its own."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "settle_shared.embedded.mailbox", "--port", str(self.port),
             "--dir", str(self.directory)],
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "the mailbox did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def mails(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            mail = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(mail, EmailMessage)
            found.append(mail)
        return found

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(mails := self.mails()) < count:
            assert time.monotonic() < deadline, f"{len(mails)} mails, expected {count}"
            await asyncio.sleep(0.05)
        return mails


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Mailbox]:
    box = Mailbox(free_port(), tmp_path / "mail")
    box.start()
    try:
        yield box
    finally:
        box.stop()


@dataclass
class Running:
    harness: ServiceHarness
    inbound_port: int

    @property
    def messaging(self) -> Messaging:
        messaging: Messaging = self.harness.runtime.app.state.messaging
        return messaging

    async def messages(self) -> list[Any]:
        async with self.messaging.sessions() as session:
            return list(
                await session.execute(sa.select(db.messages).order_by(db.messages.c.created_at))
            )

    async def event_types(self) -> list[str]:
        table = db.metadata.tables["outbox"]
        async with self.messaging.sessions() as session:
            return list(await session.scalars(sa.select(table.c.event_type).order_by(table.c.seq)))


@pytest.fixture
async def service(sqlite_database: str, mailbox: Mailbox) -> AsyncIterator[Running]:
    inbound_port = free_port()
    async with running_service(
        SERVICE,
        sqlite_database,
        smtp_port=mailbox.port,
        inbound_smtp_port=inbound_port,
        mail_domain=DOMAIN,
        smtp_retry_initial_s=0.1,
        smtp_retry_max_s=0.4,
        send_poll_interval_s=0.05,
        public_base_url="https://settle.example.com",
    ) as harness:
        running = Running(harness, inbound_port)
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(Sender(running.messaging).run(stop)),
            asyncio.create_task(serve_inbound(running.messaging, stop)),
        ]
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", inbound_port):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        try:
            yield running
        finally:
            stop.set()
            await asyncio.gather(*tasks)


async def test_a_request_becomes_a_well_formed_multipart_email_in_the_debtors_language(
    service: Running, mailbox: Mailbox
):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [mail] = await mailbox.wait_for(1)
    [message] = await service.messages()
    assert mail["Message-ID"] == f"<{message.message_id}@{DOMAIN}>"
    assert mail["To"].addresses[0].addr_spec == "info@korenaar.example.com"
    assert mail["To"].addresses[0].display_name == "Bakkerij De Korenaar"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "2025-0001" in body and "2025-0002" in body
        assert "1.494,50" in body  # the total, formatted for a Dutch reader
        assert "284,50" in body
    assert "factu" in text.lower()  # Dutch: factuur / facturen
    assert "reply+" in mail["Reply-To"] and DOMAIN in mail["Reply-To"]
    for _ in range(40):
        if (await service.messages())[0].state == "sent":
            break
        await asyncio.sleep(0.05)
    assert (await service.messages())[0].state == "sent"


async def test_redelivering_the_same_request_sends_nothing_twice(
    service: Running, mailbox: Mailbox
):
    request = make_request()
    await service.harness.deliver(request, administration_id=ADM, event_id="evt-1")
    await mailbox.wait_for(1)
    await service.harness.deliver(request, administration_id=ADM, event_id="evt-1")
    await service.harness.deliver(request, administration_id=ADM, event_id="evt-2")
    await asyncio.sleep(0.5)
    assert len(mailbox.mails()) == 1


async def test_with_the_smtp_server_down_the_message_waits_and_goes_out_when_it_is_back(
    service: Running, mailbox: Mailbox
):
    mailbox.stop()
    await service.harness.deliver(make_request(), administration_id=ADM)
    await asyncio.sleep(1.0)
    [message] = await service.messages()
    assert message.state == "queued" and message.attempts >= 1
    mailbox.start()
    [mail] = await mailbox.wait_for(1)
    assert mail["Message-ID"] == f"<{message.message_id}@{DOMAIN}>"
    await asyncio.sleep(0.5)
    assert len(mailbox.mails()) == 1
    assert (await service.messages())[0].state == "sent"


async def test_a_reply_by_email_shows_up_unread_in_the_thread(service: Running, mailbox: Mailbox):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    reply = EmailMessage()
    reply["From"] = "Bakkerij De Korenaar <info@korenaar.example.com>"
    reply["To"] = sent["Reply-To"]
    reply["Subject"] = f"Re: {sent['Subject']}"
    reply["In-Reply-To"] = sent["Message-ID"]
    reply.set_content("Wij hebben gisteren betaald.\n\n> Geachte heer/mevrouw,\n> oud bericht")
    await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)
    inbox = (await service.harness.client.get(f"{BASE}/inbox", params={"unread": "true"})).json()[
        "items"
    ]
    [answer] = inbox
    assert answer["body_text"] == "Wij hebben gisteren betaald."
    assert answer["sender_address"] == "info@korenaar.example.com"
    [original] = [m for m in await service.messages() if m.direction == "outbound"]
    assert answer["thread_id"] == original.thread_id
    assert "settle.messaging.reply.received" in await service.event_types()


async def test_a_reply_with_a_tampered_token_is_refused(service: Running, mailbox: Mailbox):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    address = sent["Reply-To"].addresses[0].addr_spec
    local, domain = address.split("@")
    forged = f"{local[:-2]}{'aa' if local[-2:] != 'aa' else 'bb'}@{domain}"
    reply = EmailMessage()
    reply["From"] = "someone@korenaar.example.com"
    reply["To"] = forged
    reply["Subject"] = "hello"
    reply.set_content("let me in")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)
    assert [m.direction for m in await service.messages()] == ["outbound"]


async def test_a_delivery_status_notification_raises_the_bounce_event(
    service: Running, mailbox: Mailbox
):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    [message] = await service.messages()
    dsn = (
        "From: MAILER-DAEMON@mx.korenaar.example.com\r\n"
        f"To: bounce+{message.message_id}@{DOMAIN}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.korenaar.example.com\r\n\r\n"
        "Final-Recipient: rfc822; info@korenaar.example.com\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {sent['Message-ID']}\r\n"
        "--b1--\r\n"
    )
    # Bounces come with the null sender (MAIL FROM:<>), as RFC 3464 asks.
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=service.inbound_port) as smtp:
        await smtp.sendmail("", [f"bounce+{message.message_id}@{DOMAIN}"], dsn.encode())
    [message] = await service.messages()
    assert (message.state, message.bounce_kind) == ("bounced", "hard")
    assert "settle.messaging.message.bounced" in await service.event_types()


async def test_crlf_in_a_name_or_subject_does_not_inject_headers(
    service: Running, mailbox: Mailbox
):
    debtor = make_request().debtor.model_dump()
    debtor["name"] = "Evil\r\nBcc: victim@example.com"
    body = {
        "debtor": debtor,
        "language": "en",
        "sender_name": "Sanne\r\nX-Injected: 1",
        "subject": "Hi\r\nBcc: other@example.com",
        "body": "Text\r\nBcc: x@example.com",
    }
    queued = await service.harness.client.post(f"{BASE}/messages", json=body)
    assert queued.status_code == 202
    [mail] = await mailbox.wait_for(1)
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    assert mail["Subject"] == "Hi Bcc: other@example.com"
    assert [a.addr_spec for a in mail["To"].addresses] == ["info@korenaar.example.com"]
