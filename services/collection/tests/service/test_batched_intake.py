"""The importer's debtors taken a Kafka batch at a time: read with one query per batch and
written with one statement, with the outcome of taking them one by one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord

from settle_collection.adapters.tables import debtors
from settle_shared.events import importer
from settle_shared.events.base import Event
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import kafka_records

from .conftest import ADM, Collection

pytestmark = pytest.mark.service

NOW = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)


def debtor(debtor_id: str, version: int, kind: str, name: str) -> importer.DebtorUpserted:
    return importer.DebtorUpserted(
        administration_id=ADM,
        debtor_id=debtor_id,
        number=f"D-{debtor_id}",
        version=version,
        name=name,
        kind=kind,  # type: ignore[arg-type]  # a Literal
        emails=[f"{debtor_id}@example.nl"],
        address_lines=["Dorpsstraat 1"],
        postal_code="1234 AB",
        city="Utrecht",
        country="NL",
    )


def records(events: Sequence[Event]) -> list[ConsumerRecord[bytes, bytes]]:
    return kafka_records(events, source="/settle/importer", start=NOW, administration_id=ADM)


@contextmanager
def statements(runtime: ServiceRuntime) -> Iterator[list[str]]:
    """The statements on the debtors table run while the block runs."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if " debtors" in statement.split("WHERE")[0]:
            seen.append(statement.split()[0])

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


async def stored(collection: Collection) -> dict[str, tuple[str, str, int]]:
    async with collection.ctx.sessions() as session:
        rows = await session.execute(
            sa.select(debtors.c.debtor_id, debtors.c.name, debtors.c.kind, debtors.c.version)
        )
        return {row.debtor_id: (row.name, row.kind, row.version) for row in rows}


async def test_a_batch_of_debtors_is_read_once_and_written_once_in_order(
    collection: Collection,
) -> None:
    consumer = collection.harness.runtime.consumers[0]
    batch = records(
        [
            debtor("deb-1", 1, "consumer", "J. Jansen"),
            debtor("deb-2", 1, "business", "Smit B.V."),
            debtor("deb-1", 2, "business", "Jansen Transport"),  # newer, same batch
            debtor("deb-2", 1, "consumer", "Smit"),  # the same version again: old news
        ]
    )
    with statements(collection.harness.runtime) as seen:
        await consumer.process([*batch, batch[0]])  # with a redelivered event
    assert seen == ["SELECT", "INSERT"]
    assert await stored(collection) == {
        "deb-1": ("Jansen Transport", "business", 2),
        "deb-2": ("Smit B.V.", "business", 1),
    }
    # The batch again (Kafka redelivers after a crash): nothing changes.
    await consumer.process(batch)
    assert (await stored(collection))["deb-1"] == ("Jansen Transport", "business", 2)
    assert collection.dead == []


async def test_a_poison_fact_in_a_batch_is_dead_lettered_alone(collection: Collection) -> None:
    consumer = collection.harness.runtime.consumers[0]
    never_imported = importer.InvoiceChanged(
        administration_id=ADM,
        invoice_id="inv-9",
        number="2025-inv-9",
        version=2,
        run_id="run-2",
        open_amount=Decimal("5.00"),
        previous_open_amount=Decimal("10.00"),
        currency="EUR",
    )
    await consumer.process(
        records(
            [
                debtor("deb-1", 1, "consumer", "J. Jansen"),
                never_imported,
                debtor("deb-2", 1, "business", "Smit B.V."),
            ]
        )
    )
    assert set(await stored(collection)) == {"deb-1", "deb-2"}
    assert [body["invoice_id"] for _, body in collection.dead] == ["inv-9"]
