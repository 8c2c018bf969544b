"""A running dunning service on SQLite with a business clock the test moves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from settle_dunning.app import SERVICE
from settle_shared.clock import FixedClock
from settle_shared.db import outbox_table
from settle_shared.events import EVENT_TYPES, importer
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-1"


@dataclass
class Dunning:
    """The harness plus helpers in the words of the tests."""

    harness: ServiceHarness
    dead: list[dict[str, Any]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def client(self) -> Any:
        return self.harness.client

    def today(self, day: date) -> None:
        """Set the business clock to `day`, 10:00 in Amsterdam."""
        state = self.harness.runtime.app.state
        clock = FixedClock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))
        state.dunning = replace(state.dunning, clock=clock)

    def _version(self, key: str) -> int:
        self.versions[key] = self.versions.get(key, 0) + 1
        return self.versions[key]

    async def debtor(self, debtor_id: str = "deb-1", *, kind: str = "business", **extra: Any):
        fact = importer.DebtorUpserted(
            administration_id=extra.pop("administration_id", ADM),
            debtor_id=debtor_id,
            number=f"D{debtor_id}",
            version=extra.pop("version", None) or self._version(debtor_id),
            name=f"Debtor {debtor_id}",
            kind=kind,
            emails=extra.pop("emails", [f"{debtor_id}@example.nl"]),
            address_lines=["Dam 1"],
            postal_code="1012 JS",
            city="Amsterdam",
            country=extra.pop("country", "NL"),
            **extra,
        )
        await self.harness.deliver(fact, administration_id=fact.administration_id)
        return fact

    async def invoice(
        self,
        invoice_id: str = "inv-1",
        *,
        due: date = date(2025, 3, 3),
        amount: str = "121.00",
        debtor_id: str = "deb-1",
        event_id: str | None = None,
        version: int | None = None,
    ) -> importer.InvoiceImported:
        fact = importer.InvoiceImported(
            administration_id=ADM,
            invoice_id=invoice_id,
            number=f"F-{invoice_id}",
            version=version or self._version(invoice_id),
            run_id="run-1",
            debtor_id=debtor_id,
            debtor_number=f"D{debtor_id}",
            invoice_date=date(2025, 2, 1),
            due_date=due,
            amount=Decimal(amount),
            open_amount=Decimal(amount),
            currency="EUR",
            payment_condition="30",
        )
        await self.harness.deliver(fact, administration_id=ADM, event_id=event_id)
        return fact

    async def deliver(self, fact: Any, event_id: str | None = None) -> None:
        await self.harness.deliver(fact, administration_id=ADM, event_id=event_id)

    async def run(self, day: date, administration_id: str = ADM) -> Any:
        return await self.client.post(
            f"/internal/v1/administrations/{administration_id}/runs",
            json={"business_date": day.isoformat()},
        )

    async def events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        """Payloads staged in the outbox, oldest first (optionally of one short type)."""
        table = outbox_table(self.harness.runtime.spec.metadata)
        async with self.harness.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq)
                )
            ).all()
        wanted = f"settle.dunning.{event_type}" if event_type else None
        for row in rows:  # every staged event must be valid under its own contract
            EVENT_TYPES[row.event_type].model_validate_json(row.payload)
        return [
            json.loads(row.payload) for row in rows if wanted is None or row.event_type == wanted
        ]

    async def attention(self, *, status: str = "open") -> list[dict[str, Any]]:
        """Attention items as the API lists them, newest first."""
        response = await self.client.get(
            f"/internal/v1/administrations/{ADM}/attention", params={"status": status}
        )
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    async def invoice_view(self, invoice_id: str = "inv-1") -> dict[str, Any]:
        response = await self.client.get(
            f"/internal/v1/administrations/{ADM}/invoices/{invoice_id}"
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def dunning(sqlite_database: str) -> AsyncIterator[Dunning]:
    dead: list[dict[str, Any]] = []

    def catch_dead_letters(runtime: ServiceRuntime) -> None:
        @runtime.broker.subscriber(
            "importer.invoices.v1.dlt", "importer.debtors.v1.dlt", "messaging.messages.v1.dlt"
        )
        async def dead_letters(body: dict[str, Any]) -> None:
            dead.append(body)

    async with running_service(
        SERVICE,
        sqlite_database,
        before_start=catch_dead_letters,
        consumer_retry_backoff_s=0,
        daily_run_enabled=False,
    ) as harness:
        service = Dunning(harness, dead=dead)
        service.today(date(2025, 3, 20))
        await harness.administration(ADM)  # as the gateway announces it
        yield service
