"""With real SMTP servers: the local mailbox process (keeps every mail as .eml) for outgoing
mail, and the service's own inbound endpoint for replies and bounces."""

from __future__ import annotations

import asyncio
import re
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

from settle_messaging.adapters import tables
from settle_messaging.adapters.inbound_smtp import serve_inbound
from settle_messaging.app import SERVICE
from settle_messaging.application.context import Messaging
from settle_messaging.application.sender import Sender
from settle_messaging.domain.addressing import bounce_address
from settle_shared.testing.infra import free_port, port_open
from settle_shared.testing.service import ServiceHarness, running_service

from ..service.conftest import ADM, BASE, make_request

pytestmark = pytest.mark.integration

DOMAIN = "mail.settle.example.com"
INBOUND_MAX_BYTES = 64 * 1024


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
                await session.execute(
                    sa.select(tables.messages).order_by(tables.messages.c.created_at)
                )
            )

    async def event_types(self) -> list[str]:
        table = tables.metadata.tables["outbox"]
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
        portal_base_url="https://settle.example.com",
        inbound_max_bytes=INBOUND_MAX_BYTES,
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


async def test_many_messages_go_out_over_the_connection_pool_each_exactly_once(
    service: Running, mailbox: Mailbox
):
    base = make_request().debtor
    for n in range(40):
        debtor = base.model_copy(
            update={"debtor_id": f"deb-{n}", "emails": [f"d{n}@korenaar.example.com"]}
        )
        request = make_request(message_request_id=f"req-{n}", debtor=debtor)
        await service.harness.deliver(request, administration_id=ADM)
    await mailbox.wait_for(40)
    deadline = time.monotonic() + 10
    while {m.state for m in await service.messages()} != {"sent"}:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    mails = mailbox.mails()
    assert len(mails) == 40
    assert len({mail["Message-ID"] for mail in mails}) == 40
    assert {mail["To"].addresses[0].addr_spec for mail in mails} == {
        f"d{n}@korenaar.example.com" for n in range(40)
    }


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


async def test_a_reply_delivered_again_or_to_one_address_many_times_is_one_reply(
    service: Running, mailbox: Mailbox
):
    address = await _reply_address(service, mailbox)
    reply = EmailMessage()
    reply["From"] = "info@korenaar.example.com"
    reply["To"] = address
    reply["Subject"] = "Re: herinnering"
    reply["Message-ID"] = "<answer-1@korenaar.example.com>"
    reply.set_content("Betaald op de 3e.")
    # One SMTP transaction naming the same reply address a thousand times...
    await aiosmtplib.send(
        reply, hostname="127.0.0.1", port=service.inbound_port, recipients=[address] * 1000
    )
    # ...and the same mail delivered again twice, as a retrying server does.
    for _ in range(2):
        await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)

    replies = [m for m in await service.messages() if m.direction == "inbound"]
    assert [m.body_text for m in replies] == ["Betaald op de 3e."]
    assert (await service.event_types()).count("settle.messaging.reply.received") == 1

    # Another mail (another Message-ID) to the same thread is another reply.
    reply.replace_header("Message-ID", "<answer-2@korenaar.example.com>")
    await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)
    assert len([m for m in await service.messages() if m.direction == "inbound"]) == 2


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
        f"To: {bounce_address(message.message_id, DOMAIN, service.messaging.reply_secret)}\r\n"
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
        await smtp.sendmail(
            "", [bounce_address(message.message_id, DOMAIN, service.messaging.reply_secret)], dsn
        )
    [message] = await service.messages()
    assert (message.state, message.bounce_kind) == ("bounced", "hard")
    assert "settle.messaging.message.bounced" in await service.event_types()


def delivery_report(final_recipients: list[str], message_id_header: str) -> bytes:
    blocks = "".join(
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        for recipient in final_recipients
    )
    return (
        "From: MAILER-DAEMON@mx.korenaar.example.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n'
        "\r\n--b1\r\nContent-Type: text/plain\r\n\r\nNot delivered.\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.korenaar.example.com\r\n\r\n"
        f"{blocks}"
        "--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {message_id_header}\r\n"
        "--b1--\r\n"
    ).encode()


async def blocked_addresses(service: Running) -> list[str]:
    table = tables.suppressed_addresses
    async with service.messaging.sessions() as session:
        return sorted(await session.scalars(sa.select(table.c.address)))


async def test_a_forged_bounce_to_an_unsigned_address_is_refused_and_blocks_nothing(
    service: Running, mailbox: Mailbox
):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    [message] = await service.messages()
    # The message id is in every mail's headers; the signed address is only in the envelope.
    forged = f"bounce+{message.message_id}@{DOMAIN}"
    report = delivery_report(["info@korenaar.example.com"], sent["Message-ID"])
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=service.inbound_port) as smtp:
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await smtp.sendmail("", [forged], report)
    [message] = await service.messages()
    assert message.state == "sent"
    assert await blocked_addresses(service) == []
    assert "settle.messaging.message.bounced" not in await service.event_types()


async def test_a_report_naming_hundreds_of_addresses_bounces_only_the_real_recipient_once(
    service: Running, mailbox: Mailbox
):
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    [message] = await service.messages()
    # As many as fit the inbound size limit of this test (64 KiB).
    strangers = [f"victim{n}@elsewhere.example.org" for n in range(600)]
    real = "info@korenaar.example.com"
    report = delivery_report([*strangers[:300], real, real, *strangers[300:]], sent["Message-ID"])
    signed = bounce_address(message.message_id, DOMAIN, service.messaging.reply_secret)
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=service.inbound_port) as smtp:
        await smtp.sendmail("", [signed], report)
    [message] = await service.messages()
    assert (message.state, message.bounce_kind) == ("bounced", "hard")
    assert await blocked_addresses(service) == [real]
    assert (await service.event_types()).count("settle.messaging.message.bounced") == 1


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


# --- bad inbound mail, through the real inbound endpoint ---------------------------------------


async def _reply_address(service: Running, mailbox: Mailbox) -> str:
    await service.harness.deliver(make_request(), administration_id=ADM)
    [sent] = await mailbox.wait_for(1)
    address: str = sent["Reply-To"].addresses[0].addr_spec
    return address


async def _assert_nothing_stored(service: Running) -> None:
    assert [m.direction for m in await service.messages()] == ["outbound"]
    assert "settle.messaging.reply.received" not in await service.event_types()


async def _send_raw(service: Running, recipient: str, raw: bytes) -> tuple[int, str]:
    """Send bytes as they are (no SIZE declared, nothing repaired); the server's answer."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=service.inbound_port) as smtp:
        await smtp.mail("info@korenaar.example.com")
        await smtp.rcpt(recipient)
        try:
            response = await smtp.data(raw)
        except aiosmtplib.SMTPResponseException as exc:
            return exc.code, exc.message
        return response.code, response.message


async def _assert_still_accepts_replies(service: Running, recipient: str) -> None:
    reply = EmailMessage()
    reply["From"] = "info@korenaar.example.com"
    reply["To"] = recipient
    reply["Subject"] = "Re: herinnering"
    reply.set_content("Betaald, zie bijlage.")
    await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)
    assert "Betaald, zie bijlage." in [m.body_text for m in await service.messages()]


async def test_an_oversized_reply_is_refused_with_an_smtp_error_and_nothing_stored(
    service: Running, mailbox: Mailbox
):
    address = await _reply_address(service, mailbox)
    reply = EmailMessage()
    reply["From"] = "info@korenaar.example.com"
    reply["To"] = address
    reply["Subject"] = "Re: herinnering"
    reply.set_content("Wij hebben betaald, zie het afschrift.\n" * 3000)  # about 120 kB
    assert len(reply.as_bytes()) > INBOUND_MAX_BYTES
    # A client that declares the size (SIZE, RFC 1870) is refused before it sends the data.
    with pytest.raises(aiosmtplib.SMTPResponseException) as declared:
        await aiosmtplib.send(reply, hostname="127.0.0.1", port=service.inbound_port)
    assert declared.value.code == 552
    # One that does not is refused once the data goes over the limit.
    code, _ = await _send_raw(service, address, reply.as_bytes())
    assert code == 552
    await _assert_nothing_stored(service)
    await _assert_still_accepts_replies(service, address)


MALFORMED = {
    "no headers at all": b"Wij hebben gisteren betaald, groet Jan\r\n",
    "no sender": b"Subject: betaald\r\n\r\nWij hebben betaald.\r\n",
    "multipart without its boundary": (
        b"From: info@korenaar.example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\nno boundary here at all\r\n'
    ),
    "multipart without a boundary parameter": (
        b"From: info@korenaar.example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\n--b1\r\n\r\nbetaald\r\n--b1--\r\n"
    ),
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=list(MALFORMED))
async def test_a_malformed_reply_is_refused_and_the_endpoint_keeps_working(
    service: Running, mailbox: Mailbox, raw: bytes
):
    address = await _reply_address(service, mailbox)
    code, message = await _send_raw(service, address, raw)
    assert (code, message) == (550, "5.6.0 inbound_mail_malformed")
    await _assert_nothing_stored(service)
    await _assert_still_accepts_replies(service, address)


async def test_a_reply_with_garbage_bytes_is_stored_as_clean_text(
    service: Running, mailbox: Mailbox
):
    address = await _reply_address(service, mailbox)
    raw = (
        b"From: \xff\xfe <info@korenaar.example.com>\r\nSubject: Re: \xc3\x28 \x00\x1b[31m\r\n"
        b"Content-Type: text/plain; charset=x-unknown-42\r\n\r\n"
        b"Betaald \xe9\x00\x07 gisteren.\r\n"
    )
    code, _ = await _send_raw(service, address, raw)
    assert code == 250
    [reply] = [m for m in await service.messages() if m.direction == "inbound"]
    for value in (reply.subject, reply.body_text, reply.sender_name or ""):
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in value), repr(value)
    assert "Betaald" in reply.body_text and "gisteren" in reply.body_text
    item = (await service.harness.client.get(f"{BASE}/messages/{reply.message_id}")).json()
    assert item["unread"] is True and item["sender_address"] == "info@korenaar.example.com"


async def test_html_in_a_reply_is_escaped_in_the_api(service: Running, mailbox: Mailbox):
    address = await _reply_address(service, mailbox)
    [sent] = mailbox.mails()
    plain = EmailMessage()
    plain["From"] = "info@korenaar.example.com"
    plain["To"] = address
    plain["Subject"] = "Re: <b>factuur</b>"
    plain.set_content("Betaald <script>alert('x')</script> & <b>klaar</b>")
    await aiosmtplib.send(plain, hostname="127.0.0.1", port=service.inbound_port)
    html_only = EmailMessage()
    html_only["From"] = "info@korenaar.example.com"
    html_only["To"] = address
    html_only["Subject"] = "Re: factuur"
    html_only.set_content(
        "<html><body><p>Ook <b>betaald</b></p><script>alert('y')</script>"
        "<img src=x onerror=alert(1)><p>&lt;script&gt;tekst&lt;/script&gt;</p></body></html>",
        subtype="html",
    )
    await aiosmtplib.send(html_only, hostname="127.0.0.1", port=service.inbound_port)

    response = await service.harness.client.get(f"{BASE}/inbox", params={"unread": "true"})
    assert response.headers["content-type"].startswith("application/json")
    items = {item["subject"]: item for item in response.json()["items"]}
    first, second = items["Re: <b>factuur</b>"], items["Re: factuur"]
    # The text is kept as the debtor wrote it; as HTML it is escaped, never markup.
    assert first["body_text"] == "Betaald <script>alert('x')</script> & <b>klaar</b>"
    assert first["body_html"] == (
        "Betaald &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;klaar&lt;/b&gt;"
    )
    # An HTML mail becomes text: its scripts and tags are gone, what it showed as text stays.
    assert "alert" not in second["body_text"] and "<b>" not in second["body_text"]
    assert "Ook betaald" in second["body_text"]
    assert "<script>tekst</script>" in second["body_text"]
    assert "&lt;script&gt;tekst&lt;/script&gt;" in second["body_html"]
    for item in (first, second):
        assert "<" not in item["body_html"].replace("<br>", "")

    # A reply written in the debtor portal (the mail's reply link leads there) is kept as
    # text and escaped as HTML too.
    plain_body = sent.get_body(("plain",)).get_content()
    assert re.search(r"https://settle\.example\.com/portal/[A-Za-z0-9_-]+/reply", plain_body)
    written = await service.harness.client.post(
        f"{BASE}/threads/{first['thread_id']}/replies",
        json={"debtor_id": first["debtor_id"], "text": "<script>alert(1)</script> <b>klaar</b>"},
    )
    assert written.status_code == 201, written.text
    page_reply = (
        await service.harness.client.get(f"{BASE}/messages/{written.json()['message_id']}")
    ).json()
    assert page_reply["body_text"] == "<script>alert(1)</script> <b>klaar</b>"
    assert (
        page_reply["body_html"] == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;klaar&lt;/b&gt;"
    )
