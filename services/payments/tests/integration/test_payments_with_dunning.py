"""The payments service and dunning as processes of their own, on a real Kafka-protocol broker
and PostgreSQL, with the local PSP calling the webhook as Mollie does: a debtor pays in the
PSP's checkout, the payments service fetches the state, publishes PaymentStatusChanged, and
dunning holds the invoice with an attention item."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from settle_payments.adapters.psp.local_server import local_psp_process
from settle_shared.envelope import Envelope
from settle_shared.events import EVENT_TYPES
from settle_shared.events.base import Event
from settle_shared.events.importer import DebtorUpserted, InvoiceImported
from settle_shared.events.payments import PAYMENTS
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.service import load_service
from settle_shared.testing.infra import scratch_database
from settle_shared.testing.kafka import read_topic

pytestmark = pytest.mark.integration

ADM = "adm-int"
TOKEN = {"Authorization": "Bearer change-me"}


@contextmanager
def serving(
    name: str, settings: dict[str, str], log: Path, port: int | None = None
) -> Iterator[str]:
    """`settle serve NAME` as a process; yields its URL once it is ready."""
    spec = load_service(name)
    port = port or free_port()
    env = dict(os.environ)
    env.update(
        {
            f"{spec.env_prefix}{key}".upper(): value
            for key, value in {
                "environment": "test",
                "http_port": str(port),
                "log_format": "console",
                **settings,
            }.items()
        }
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "settle_shared.cli.main", "serve", name],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


@asynccontextmanager
async def databases(postgres_url: str) -> AsyncIterator[tuple[str, str]]:
    async with (
        scratch_database(postgres_url, "settle_pay") as payments_db,
        scratch_database(postgres_url, "settle_dun") as dunning_db,
    ):
        for name, url in (("payments", payments_db), ("dunning", dunning_db)):
            await asyncio.to_thread(upgrade, load_service(name).migrations_dir, url)
        yield payments_db, dunning_db


@asynccontextmanager
async def dunning_and_payments(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> AsyncIterator[tuple[str, str, str]]:
    """The local PSP, dunning and the payments service (talking to that PSP) as processes,
    the services each on a fresh database: their base URLs."""
    async with databases(postgres_url) as (payments_db, dunning_db):
        common = {"kafka_bootstrap_servers": kafka_bootstrap, "kafka_partitions": "3"}
        with (
            local_psp_process(webhook_delay_s=0.5) as psp,
            serving(
                "dunning",
                {**common, "database_url": dunning_db, "daily_run_enabled": "false"},
                tmp_path / "dunning.log",
            ) as dunning,
        ):
            payments_port = free_port()
            with serving(
                "payments",
                {
                    **common,
                    "database_url": payments_db,
                    "psp_base_url": f"{psp}/v2",
                    "public_base_url": f"http://127.0.0.1:{payments_port}",
                },
                tmp_path / "payments.log",
                port=payments_port,
            ) as payments:
                yield psp, dunning, payments


async def publish(bootstrap: str, *events: Event) -> None:
    """Put events on their topics as their producer would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for event in events:
            envelope = Envelope.wrap(
                event, source="/settle/importer", time=datetime.now(UTC), administration_id=ADM
            )
            await producer.send_and_wait(
                event.topic.name,
                envelope.data,
                key=envelope.key.encode(),
                headers=[(k, v.encode()) for k, v in envelope.headers().items()],
            )
    finally:
        await producer.stop()


async def eventually(check, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        await asyncio.sleep(0.3)


async def test_a_payment_paid_at_the_psp_holds_the_invoice_in_dunning(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    services = dunning_and_payments(postgres_url, kafka_bootstrap, tmp_path)
    async with services as (psp, dunning, payments):
        await publish(
            kafka_bootstrap,
            DebtorUpserted(
                administration_id=ADM,
                debtor_id="deb-1",
                number="D1",
                version=1,
                name="Bakkerij De Korenaar",
                kind="business",
                emails=["a@korenaar.example"],
            ),
            InvoiceImported(
                administration_id=ADM,
                invoice_id="inv-1",
                number="2025-001",
                version=1,
                run_id="run-1",
                debtor_id="deb-1",
                debtor_number="D1",
                invoice_date=date(2025, 1, 6),
                due_date=date(2025, 2, 5),
                amount=Decimal("121.00"),
                open_amount=Decimal("121.00"),
                currency="EUR",
            ),
        )
        async with httpx.AsyncClient(timeout=10, headers=TOKEN) as client:
            base = f"{payments}/api/v1/administrations/{ADM}/payments"
            request = {
                "debtor_id": "deb-1",
                "invoice_ids": ["inv-1"],
                "idempotency_key": "click-1",
                "redirect_url": "https://portal.example/done",
            }

            async def paid_for() -> httpx.Response | None:
                answer = await client.post(base, json=request)
                return answer if answer.status_code in (200, 201) else None

            # The service knows the invoice once it consumed the importer's fact.
            created = (await eventually(paid_for)).json()
            assert created["amount"] == "121.00"

            # The debtor presses "Paid" on the PSP's checkout page.
            chosen = await client.post(
                created["checkout_url"], data={"outcome": "paid", "method": "ideal"}
            )
            assert chosen.status_code == 303
            assert chosen.headers["location"] == "https://portal.example/done"

            async def shown_paid() -> bool:
                shown = await client.get(f"{base}/{created['payment_id']}")
                return bool(shown.json()["status"] == "paid")

            await eventually(shown_paid)

            async def held() -> list[dict[str, object]]:
                answer = await client.get(
                    f"{dunning}/internal/v1/administrations/{ADM}/attention",
                    params={"status": "open"},
                )
                if answer.status_code != 200:
                    return []
                return [
                    item
                    for item in answer.json()["items"]
                    if item["reason"] == "online_payment_registered"
                ]

            [item] = await eventually(held)
            assert item["subject_id"] == "inv-1"

            # The PSP's repeated and late webhook calls changed nothing more.
            await asyncio.sleep(1.5)
            records = await read_topic(kafka_bootstrap, PAYMENTS.name)
            kinds = [
                EVENT_TYPES[dict(r.headers)["ce_type"].decode()].__name__
                for r in records
                if dict(r.headers).get("administration_id", b"").decode() == ADM
            ]
            assert kinds == ["PaymentCreated", "PaymentStatusChanged"]
            webhooks = httpx.get(f"{psp}/_local/webhooks").json()
            assert len(webhooks) == 3 and {w["status"] for w in webhooks} == {200}
