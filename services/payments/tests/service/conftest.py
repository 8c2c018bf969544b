"""A running payments service on SQLite with TestKafkaBroker, talking to the local PSP as a
process of its own (the same adapter code that talks to Mollie)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from settle_payments.adapters.psp.local_server import local_psp_process
from settle_payments.app import SERVICE
from settle_payments.application.context import PaymentsContext
from settle_shared.db import outbox_table
from settle_shared.events.importer import InvoiceImported
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-1"
BASE = f"/api/v1/administrations/{ADM}/payments"


def imported(invoice_id: str, **changes: Any) -> InvoiceImported:
    """An open invoice of debtor deb-1, as the importer publishes it."""
    fields: dict[str, Any] = {
        "administration_id": ADM,
        "invoice_id": invoice_id,
        "number": f"2025-{invoice_id}",
        "version": 1,
        "run_id": "run-1",
        "debtor_id": "deb-1",
        "debtor_number": "D-1",
        "invoice_date": date(2025, 1, 6),
        "due_date": date(2025, 2, 5),
        "amount": Decimal("121.00"),
        "open_amount": Decimal("121.00"),
        "currency": "EUR",
    }
    fields.update(changes)
    return InvoiceImported(**fields)


def pay_request(*invoice_ids: str, key: str = "key-1", **extra: Any) -> dict[str, Any]:
    return {
        "debtor_id": "deb-1",
        "invoice_ids": list(invoice_ids),
        "idempotency_key": key,
        "redirect_url": "https://portal.example/pay/done",
        **extra,
    }


@dataclass
class PaymentsHarness:
    harness: ServiceHarness
    psp_url: str

    @property
    def client(self) -> httpx.AsyncClient:
        return self.harness.client

    @property
    def ctx(self) -> PaymentsContext:
        ctx: PaymentsContext = self.harness.runtime.app.state.payments
        return ctx

    async def deliver(self, fact: Any) -> None:
        await self.harness.deliver(fact, administration_id=fact.administration_id)

    async def pay(self, *invoice_ids: str, key: str = "key-1", **extra: Any) -> httpx.Response:
        return await self.client.post(BASE, json=pay_request(*invoice_ids, key=key, **extra))

    async def psp(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A call to the local PSP's own controls (what a bank or the debtor does)."""
        async with httpx.AsyncClient(base_url=self.psp_url, timeout=10) as client:
            return await client.request(method, path, **kwargs)

    async def psp_id(self, payment_id: str) -> str:
        """The PSP's id of a payment (never shown to the portal)."""
        async with self.ctx.transaction() as store:
            payment = await store.payments.get(payment_id)
        assert payment is not None and payment.psp_payment_id is not None
        return payment.psp_payment_id

    async def bank_says(self, psp_payment_id: str, status: str, method: str = "ideal") -> None:
        """The PSP moves a payment, without calling the webhook (the test calls it)."""
        answer = await self.psp(
            "POST",
            f"/_local/payments/{psp_payment_id}/status",
            json={"status": status, "method": method, "webhook": False},
        )
        assert answer.status_code == 200, answer.text

    async def webhook(self, psp_payment_id: str) -> httpx.Response:
        """Mollie's call: a form with the id, no token."""
        return await self.client.post(
            "/webhooks/mollie", data={"id": psp_payment_id}, headers={"Authorization": ""}
        )

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        """(event type, payload) of every event staged in the outbox, in order."""
        table = outbox_table(self.harness.runtime.spec.metadata)
        async with self.ctx.sessions() as session:
            rows = await session.execute(
                sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq)
            )
            return [(kind, json.loads(payload)) for kind, payload in rows]

    async def event_types(self) -> list[str]:
        return [kind.rsplit(".", 1)[-1] for kind, _ in await self.events()]

    async def count(self, table: str) -> int:
        async with self.ctx.sessions() as session:
            return int(await session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.fixture(scope="session")
def local_psp() -> Iterator[str]:
    """The local PSP as a process, for every service test."""
    with local_psp_process(webhook_delay_s=0.2) as url:
        yield url


@pytest.fixture
async def service(sqlite_database: str, local_psp: str) -> AsyncIterator[PaymentsHarness]:
    async with running_service(
        SERVICE,
        sqlite_database,
        psp_base_url=f"{local_psp}/v2",
        psp_timeout_s=2.0,
        # Webhooks of these tests are called by the tests, not by the local PSP.
        public_base_url="http://127.0.0.1:9",
    ) as harness:
        yield PaymentsHarness(harness, local_psp)
        await harness.runtime.app.state.payments.psp.close()
