"""A running collection service on SQLite with TestKafkaBroker, a business clock the test
moves, and helpers in the words of the tests: the importer's and dunning's facts that make an
invoice ready for collection, the API calls a user makes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from settle_collection.app import SERVICE
from settle_collection.application.context import CollectionContext
from settle_shared.clock import FixedClock
from settle_shared.db import outbox_table
from settle_shared.events import EVENT_TYPES, dunning, importer
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-1"
BASE = f"/internal/v1/administrations/{ADM}"


@dataclass
class Collection:
    harness: ServiceHarness
    dead: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.harness.client

    @property
    def ctx(self) -> CollectionContext:
        ctx: CollectionContext = self.harness.runtime.app.state.collection
        return ctx

    def today(self, day: date) -> None:
        """Set the business clock to `day`, 10:00 in Amsterdam."""
        state = self.harness.runtime.app.state
        clock = FixedClock(datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC))
        state.collection = replace(state.collection, clock=clock)

    def _version(self, key: str) -> int:
        self.versions[key] = self.versions.get(key, 0) + 1
        return self.versions[key]

    async def deliver(
        self, fact: Any, *, administration_id: str = ADM, event_id: str | None = None
    ) -> None:
        await self.harness.deliver(fact, administration_id=administration_id, event_id=event_id)

    async def debtor(
        self, debtor_id: str = "deb-1", *, kind: str = "consumer", **extra: Any
    ) -> None:
        await self.deliver(
            importer.DebtorUpserted(
                administration_id=ADM,
                debtor_id=debtor_id,
                number=f"D-{debtor_id}",
                version=self._version(debtor_id),
                name=extra.pop("name", f"Debtor {debtor_id}"),
                kind=kind,
                emails=extra.pop("emails", [f"{debtor_id}@example.nl"]),
                address_lines=["Dorpsstraat 1"],
                postal_code="1234 AB",
                city="Utrecht",
                country="NL",
                language=extra.pop("language", "nl"),
                **extra,
            )
        )

    async def invoice(
        self,
        invoice_id: str = "inv-1",
        *,
        debtor_id: str = "deb-1",
        amount: str = "1000.00",
        due: date = date(2025, 1, 31),
        currency: str = "EUR",
    ) -> None:
        await self.deliver(
            importer.InvoiceImported(
                administration_id=ADM,
                invoice_id=invoice_id,
                number=f"2025-{invoice_id}",
                version=self._version(invoice_id),
                run_id="run-1",
                debtor_id=debtor_id,
                debtor_number=f"D-{debtor_id}",
                invoice_date=date(2025, 1, 1),
                due_date=due,
                amount=Decimal(amount),
                open_amount=Decimal(amount),
                currency=currency,
                pdf_url=f"https://books.example/{invoice_id}.pdf",
            )
        )

    async def open_amount(self, invoice_id: str, open_amount: str, before: str) -> None:
        """Bookkeeping booked a payment on the invoice."""
        await self.deliver(
            importer.InvoiceChanged(
                administration_id=ADM,
                invoice_id=invoice_id,
                number=f"2025-{invoice_id}",
                version=self._version(invoice_id),
                run_id="run-2",
                open_amount=Decimal(open_amount),
                previous_open_amount=Decimal(before),
                currency="EUR",
            )
        )

    async def ready(
        self,
        invoice_id: str = "inv-1",
        *,
        debtor_id: str = "deb-1",
        on: date = date(2025, 4, 1),
        letter: date | None = date(2025, 3, 10),
        amount: str = "1000.00",
    ) -> None:
        """Dunning's flow for the invoice ended (the consumer's 14-day letter on `letter`)."""
        await self.deliver(
            dunning.InvoiceReadyForCollection(
                administration_id=ADM,
                invoice_id=invoice_id,
                debtor_id=debtor_id,
                flow_id="default-consumer",
                open_amount=Decimal(amount),
                currency="EUR",
                on=on,
                legal_letter_sent_on=letter,
            )
        )

    async def settings(self, **changes: Any) -> dict[str, Any]:
        current = (await self.client.get(f"{BASE}/collection/settings")).json()
        current.update(changes)
        answer = await self.client.put(f"{BASE}/collection/settings", json=current)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def cases(self, **params: Any) -> list[dict[str, Any]]:
        answer = await self.client.get(f"{BASE}/cases", params=params)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])

    async def case(self, case_id: str, **params: Any) -> dict[str, Any]:
        answer = await self.client.get(f"{BASE}/cases/{case_id}", params=params)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    async def post(self, case_id: str, action: str, body: Any = None) -> httpx.Response:
        return await self.client.post(f"{BASE}/cases/{case_id}/{action}", json=body or {})

    async def events(self, short: str | None = None) -> list[dict[str, Any]]:
        """Payloads staged in the outbox, oldest first (optionally of one type's last word)."""
        table = outbox_table(self.harness.runtime.spec.metadata)
        async with self.harness.runtime.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq)
                )
            ).all()
        for row in rows:  # every staged event is valid under its own contract
            EVENT_TYPES[row.event_type].model_validate_json(row.payload)
        return [
            json.loads(row.payload)
            for row in rows
            if short is None or row.event_type.endswith("." + short)
        ]


@pytest.fixture
async def collection(sqlite_database: str) -> AsyncIterator[Collection]:
    dead: list[tuple[str, dict[str, Any]]] = []

    def catch_dead_letters(runtime: ServiceRuntime) -> None:
        @runtime.broker.subscriber(
            "collection.partner-updates.v1.dlt",
            "importer.invoices.v1.dlt",
            "dunning.steps.v1.dlt",
        )
        async def dead_letters(body: dict[str, Any]) -> None:
            dead.append(("dlt", body))

    async with running_service(
        SERVICE,
        sqlite_database,
        before_start=catch_dead_letters,
        consumer_retry_backoff_s=0,
        schedule_enabled=False,
    ) as harness:
        service = Collection(harness, dead=dead)
        service.today(date(2025, 4, 1))
        yield service


async def a_consumer_case(service: Collection, **settings: Any) -> str:
    """A consumer's invoice of 1,000.00 ready on 1 April 2025 after a 14-day letter of
    10 March, in an administration that opens cases by itself: the case's id."""
    await service.settings(opening="automatic", **settings)
    await service.debtor()
    await service.invoice()
    await service.ready()
    [case] = await service.cases()
    return str(case["case_id"])
