"""Messaging benchmark: reminder requests rendered and delivered to the local SMTP server.

    .venv/bin/python bench/messaging_send.py [COUNT]

Starts the embedded stack's mailbox (`python -m settle_shared.embedded.mailbox`, one .eml file
per mail) as a process, then measures, each against an empty mail folder:

- floor: a bare aiosmtplib loop sending COUNT pre-rendered messages over one connection;
- service: COUNT `MessageRequested` events (one debtor each, two invoices) fed to the messaging
  consumer in batches of 500 (what it gets from Kafka), rendered, stored in SQLite, and sent by
  the service's sender loop over one connection until every message is `sent` and every mail
  is on disk.

Prints messages/s for both and the ratio (target: the service within 3x of the floor). Figures
depend on the machine and are printed, not asserted.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import aiosmtplib
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord

from settle_messaging.adapters import tables
from settle_messaging.app import SERVICE
from settle_messaging.application.sender import Sender
from settle_messaging.domain.email_builder import Mailbox, OutgoingEmail, build_email
from settle_messaging.domain.model import (
    AdministrationInfo,
    DebtorInfo,
    DebtorType,
    InvoiceLine,
    MessageContext,
    SenderInfo,
    Tone,
)
from settle_messaging.domain.templates import render
from settle_messaging.settings import MessagingSettings
from settle_shared.envelope import Envelope
from settle_shared.events.dunning import MessageDebtor, MessageInvoice, MessageRequested
from settle_shared.logs import configure_logging
from settle_shared.migrations import upgrade
from settle_shared.service import build_runtime
from settle_shared.testing.infra import free_port, port_open

BATCH = 500
DOMAIN = "mail.settle.example.com"


def start_mailbox(port: int, directory: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "settle_shared.embedded.mailbox", "--port", str(port),
         "--dir", str(directory)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 15
    while not port_open("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError("the mailbox did not start")
        time.sleep(0.05)
    return process


def count_mails(directory: Path) -> int:
    return sum(1 for _ in directory.glob("*.eml"))


async def wait_for_mails(directory: Path, count: int) -> None:
    while count_mails(directory) < count:  # noqa: ASYNC110 - the mailbox writes files
        await asyncio.sleep(0.02)


def pre_rendered(count: int) -> list[bytes]:
    """What the floor sends: one realistic reminder, built once per Message-ID."""
    context = MessageContext(
        debtor=DebtorInfo("Bakkerij De Korenaar", "nl", DebtorType.CONSUMER,
                          "info@korenaar.example.com"),
        administration=AdministrationInfo("Voorbeeld B.V.", "debiteuren@voorbeeld.example.com"),
        sender=SenderInfo("Voorbeeld B.V."),
        today=date(2025, 2, 12),
        invoices=(
            InvoiceLine("2025-0001", date(2025, 1, 6), date(2025, 2, 5), Decimal("1210.00"),
                        Decimal("1210.00")),
            InvoiceLine("2025-0002", date(2025, 1, 9), date(2025, 2, 8), Decimal("484.00"),
                        Decimal("284.50")),
        ),
    )  # fmt: skip
    rendered = render("friendly_reminder", "nl", Tone.FORMAL, context)
    mails = []
    for number in range(count):
        outgoing = OutgoingEmail(
            message_id=f"floor{number:08d}",
            mail_domain=DOMAIN,
            sender=Mailbox("debiteuren@voorbeeld.example.com", "Voorbeeld B.V."),
            to=(Mailbox(f"debtor{number}@korenaar.example.com", "Bakkerij De Korenaar"),),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            sent_at=datetime(2025, 2, 12, 9, 0, tzinfo=UTC),
        )
        mails.append(build_email(outgoing).as_bytes())
    return mails


async def floor(port: int, directory: Path, count: int) -> float:
    mails = pre_rendered(count)
    started = time.perf_counter()
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False) as smtp:
        for number, data in enumerate(mails):
            await smtp.sendmail(
                f"bounce+floor{number:08d}@{DOMAIN}",
                [f"debtor{number}@korenaar.example.com"],
                data,
            )
    await wait_for_mails(directory, count)
    return time.perf_counter() - started


def request_records(count: int) -> list[ConsumerRecord[bytes, bytes]]:
    records = []
    for number in range(count):
        # Every debtor owes different amounts, as in real life (no formatting cache flatters).
        first = Decimal("1210.00") + Decimal(number) / 100
        second = Decimal("284.50") + Decimal(number % 997)
        request = MessageRequested(
            message_request_id=f"req-{number:08d}",
            administration_id="adm-bench",
            flow_id="default",
            business_date=date(2025, 2, 12),
            debtor=MessageDebtor(
                debtor_id=f"deb-{number}",
                number=f"D-{number}",
                name=f"Debiteur {number} B.V.",
                kind="business",
                emails=[f"debtor{number}@korenaar.example.com"],
            ),
            invoices=[
                MessageInvoice(invoice_id=f"inv-{number}-1", number=f"2025-{number:05d}",
                               invoice_date=date(2025, 1, 6), due_date=date(2025, 2, 5),
                               amount=first, open_amount=first,
                               currency="EUR", step_id="r1", phase="reminder_1",
                               legally_required=False),
                MessageInvoice(invoice_id=f"inv-{number}-2", number=f"2025-{number:05d}b",
                               invoice_date=date(2025, 1, 9), due_date=date(2025, 2, 8),
                               amount=second + 200, open_amount=second,
                               currency="EUR", step_id="r1", phase="reminder_1",
                               legally_required=False),
            ],
            total_open_amount=first + second,
            currency="EUR",
            channels=["email"],
            template_key="friendly_reminder",
            tone="formal",
            language="nl" if number % 2 else "en",
            fallback_language="en",
            phase="reminder_1",
            legally_required=False,
        )  # fmt: skip
        envelope = Envelope.wrap(
            request,
            source="/settle/dunning",
            time=datetime.now(UTC),
            administration_id=request.administration_id,
        )
        headers = [(name, value.encode()) for name, value in envelope.headers().items()]
        records.append(
            ConsumerRecord(
                topic="dunning.messages.v1", partition=0, offset=number, timestamp=0,
                timestamp_type=0, key=envelope.key.encode(), value=envelope.data, checksum=None,
                serialized_key_size=0, serialized_value_size=len(envelope.data), headers=headers,
            )
        )  # fmt: skip
    return records


async def service(port: int, directory: Path, workdir: Path, count: int) -> float:
    url = f"sqlite+aiosqlite:///{workdir / 'messaging.db'}"
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
    settings = MessagingSettings(
        database_url=url,
        environment="test",
        smtp_port=port,
        rate_limit_per_minute=0,
        inbound_smtp_port=0,
        mail_domain=DOMAIN,
        send_poll_interval_s=0.01,
        log_level="WARNING",
    )
    runtime = build_runtime(SERVICE, settings)
    consumer = runtime.consumers[0]
    messaging = runtime.app.state.messaging
    records = request_records(count)
    stop = asyncio.Event()
    started = time.perf_counter()
    sender = asyncio.create_task(Sender(messaging).run(stop))
    for first in range(0, count, BATCH):
        await consumer.process(records[first : first + BATCH])
    while True:
        async with runtime.sessions() as session:
            sent = await session.scalar(
                sa.select(sa.func.count()).where(tables.messages.c.state == "sent")
            )
        if sent == count:
            break
        await asyncio.sleep(0.05)
    await wait_for_mails(directory, count)
    elapsed = time.perf_counter() - started
    stop.set()
    await sender
    await runtime.engine.dispose()
    return elapsed


async def main(count: int) -> None:
    configure_logging("bench", "WARNING", "console")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        port = free_port()
        floor_dir, service_dir = root / "floor", root / "service"
        mailbox = start_mailbox(port, floor_dir)
        try:
            floor_s = await floor(port, floor_dir, count)
        finally:
            mailbox.terminate()
            mailbox.wait(10)
        mailbox = start_mailbox(port, service_dir)
        try:
            service_s = await service(port, service_dir, root, count)
        finally:
            mailbox.terminate()
            mailbox.wait(10)
    print(f"messages: {count}")
    print(f"floor   (bare aiosmtplib, one connection): {floor_s:7.2f} s  {count / floor_s:8.0f}/s")
    print(f"service (consume, render, store, send):    {service_s:7.2f} s  "
          f"{count / service_s:8.0f}/s")  # fmt: skip
    print(f"ratio service/floor: {service_s / floor_s:.2f}x (target: within 3x)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
