"""The importer's invoice facts taken a Kafka batch at a time: the copies read with one query
and written with one statement, with the outcome of taking the facts one by one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord

from settle_payments.adapters.tables import payable_invoices
from settle_payments.app import SERVICE
from settle_shared.events import importer
from settle_shared.events.base import Event, dead_letter_topic
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import kafka_records, running_service

from .conftest import ADM, PaymentsHarness, imported

pytestmark = pytest.mark.service

NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def intake(sqlite_database: str, local_psp: str) -> AsyncIterator[tuple[Any, list[Any]]]:
    """The service, and the events its consumer dead-lettered."""
    dead: list[Any] = []

    def catch_dead_letters(runtime: ServiceRuntime) -> None:
        @runtime.broker.subscriber(dead_letter_topic(importer.INVOICES.name))
        async def dead_letters(body: Any) -> None:
            dead.append(body)

    async with running_service(
        SERVICE,
        sqlite_database,
        before_start=catch_dead_letters,
        psp_base_url=f"{local_psp}/v2",
        public_base_url="http://127.0.0.1:9",
        consumer_retry_backoff_s=0,
    ) as harness:
        yield PaymentsHarness(harness, local_psp), dead
        await harness.runtime.app.state.payments.psp.close()


def records(events: Sequence[Event]) -> list[ConsumerRecord[bytes, bytes]]:
    return kafka_records(events, source="/settle/importer", start=NOW, administration_id=ADM)


def changed(invoice_id: str, version: int, open_amount: str) -> importer.InvoiceChanged:
    return importer.InvoiceChanged(
        administration_id=ADM,
        invoice_id=invoice_id,
        number=f"2025-{invoice_id}",
        version=version,
        run_id="run-2",
        open_amount=Decimal(open_amount),
        previous_open_amount=Decimal("121.00"),
        currency="EUR",
    )


def settled(invoice_id: str, version: int) -> importer.InvoiceSettled:
    return importer.InvoiceSettled(
        administration_id=ADM,
        invoice_id=invoice_id,
        number=f"2025-{invoice_id}",
        version=version,
        run_id="run-2",
        reason="paid",
    )


@contextmanager
def writes(runtime: ServiceRuntime) -> Iterator[list[str]]:
    """The INSERT statements run while the block runs."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO payable_invoices"):
            seen.append(statement)

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


async def copies(service: PaymentsHarness) -> dict[str, tuple[int, bool, int]]:
    async with service.ctx.sessions() as session:
        rows = await session.execute(
            sa.select(
                payable_invoices.c.invoice_id,
                payable_invoices.c.open_minor,
                payable_invoices.c.settled,
                payable_invoices.c.version,
            )
        )
        return {row.invoice_id: (row.open_minor, row.settled, row.version) for row in rows}


async def test_a_batch_of_facts_is_applied_in_order_with_one_write(
    intake: tuple[PaymentsHarness, list[Any]],
) -> None:
    service, dead = intake
    consumer = service.harness.runtime.consumers[0]
    batch = records(
        [
            imported("inv-1"),
            imported("inv-2"),
            changed("inv-1", 2, "21.00"),
            settled("inv-2", 2),
            changed("inv-1", 2, "99.00"),  # the same version again: old news
            changed("inv-9", 2, "5.00"),  # never imported (a credit note's): nothing to pay
            imported("inv-3", version=3),
            imported("inv-3", version=2, open_amount=Decimal("1.00")),  # older, later
        ]
    )
    with writes(service.harness.runtime) as seen:
        await consumer.process([*batch, batch[0]])  # with a redelivered event
    assert len(seen) == 1
    assert await copies(service) == {
        "inv-1": (2100, False, 2),
        "inv-2": (0, True, 2),
        "inv-3": (12100, False, 3),
    }
    # The batch again (Kafka redelivers after a crash): nothing changes.
    await consumer.process(batch)
    assert (await copies(service))["inv-1"] == (2100, False, 2)
    assert dead == []


async def test_a_poison_fact_in_a_batch_is_dead_lettered_alone(
    intake: tuple[PaymentsHarness, list[Any]],
) -> None:
    service, dead = intake
    consumer = service.harness.runtime.consumers[0]
    await consumer.process(
        records([imported("inv-1"), imported("inv-2", currency="EURO"), imported("inv-3")])
    )
    assert set(await copies(service)) == {"inv-1", "inv-3"}
    assert [body["invoice_id"] for body in dead] == ["inv-2"]
