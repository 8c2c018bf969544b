"""Dunning's consumer takes in a Kafka batch as one transaction: a run of imported invoices
together, every other fact on its own, in the order they came. These tests hand the consumer
whole batches, as Kafka would."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord

from settle_dunning.adapters.tables import debtors, dunning_states
from settle_shared.db import outbox_table
from settle_shared.envelope import Envelope
from settle_shared.events import importer
from settle_shared.events.base import Event

from .conftest import ADM, Dunning
from .test_online_payments import status_changed

pytestmark = pytest.mark.service


def imported(invoice_id: str, debtor_id: str = "deb-1", **extra: Any) -> importer.InvoiceImported:
    amount = Decimal(extra.pop("amount", "121.00"))
    return importer.InvoiceImported(
        administration_id=ADM,
        invoice_id=invoice_id,
        number=f"F-{invoice_id}",
        version=extra.pop("version", 1),
        run_id="run-1",
        debtor_id=debtor_id,
        debtor_number=f"D{debtor_id}",
        invoice_date=date(2025, 2, 1),
        due_date=extra.pop("due_date", date(2025, 3, 3)),
        amount=amount,
        open_amount=Decimal(extra.pop("open_amount", amount)),
        currency="EUR",
        payment_condition="30",
        **extra,
    )


def record(fact: Event, offset: int, administration_id: str = ADM) -> ConsumerRecord[bytes, bytes]:
    envelope = Envelope.wrap(
        fact,
        source="/settle/importer",
        time=datetime(2025, 3, 20, 8, 0, tzinfo=UTC),
        administration_id=administration_id,
        correlation_id="import-run-1",
    )
    return ConsumerRecord(
        topic=fact.topic.name,
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=envelope.key.encode(),
        value=envelope.data,
        checksum=None,
        serialized_key_size=len(envelope.key),
        serialized_value_size=len(envelope.data),
        headers=[(name, value.encode()) for name, value in envelope.headers().items()],
    )


async def consume(dunning: Dunning, records: list[ConsumerRecord[bytes, bytes]]) -> None:
    """Hand the records to dunning's consumer as one Kafka batch."""
    [consumer] = dunning.harness.runtime.consumers
    await consumer.process(records)


async def consume_facts(dunning: Dunning, facts: list[Event]) -> list[str]:
    """Consume the facts as one batch; returns their event ids."""
    records = [record(fact, offset) for offset, fact in enumerate(facts)]
    await consume(dunning, records)
    return [dict(r.headers)["ce_id"].decode() for r in records]


async def stored_states(dunning: Dunning) -> dict[str, dict[str, Any]]:
    async with dunning.harness.runtime.engine.connect() as conn:
        rows = (await conn.execute(sa.select(dunning_states))).all()
    return {row.invoice_id: row._asdict() for row in rows}


async def stored_debtors(dunning: Dunning) -> dict[str, dict[str, Any]]:
    async with dunning.harness.runtime.engine.connect() as conn:
        rows = (await conn.execute(sa.select(debtors))).all()
    return {row.id: row._asdict() for row in rows}


async def test_a_batch_of_imported_invoices_is_taken_in_with_flows_and_placeholders(
    dunning: Dunning,
) -> None:
    await dunning.debtor("deb-b", kind="business")
    facts: list[Event] = [
        imported("inv-1", "deb-b"),
        imported("inv-2", "deb-new"),
        imported("inv-3", "deb-new"),  # the same unknown debtor: one placeholder
        imported("inv-4", "deb-other", due_date=date(2025, 4, 30)),
    ]

    event_ids = await consume_facts(dunning, facts)

    states = await stored_states(dunning)
    assert sorted(states) == ["inv-1", "inv-2", "inv-3", "inv-4"]
    assert states["inv-1"]["flow_id"] == "default-business"
    assert {states[i]["flow_id"] for i in ("inv-2", "inv-3", "inv-4")} == {"default-consumer"}
    assert states["inv-4"]["next_step_date"] > states["inv-2"]["next_step_date"]
    stored = await stored_debtors(dunning)
    assert (stored["deb-new"]["kind"], stored["deb-new"]["version"]) == ("consumer", 0)
    assert stored["deb-new"]["name"] == "Ddeb-new"
    assert stored["deb-b"]["kind"] == "business" and stored["deb-b"]["version"] == 1
    # One plan per invoice, in the order they came, each caused by its own fact.
    planned = await staged(dunning, "settle.dunning.step.planned")
    assert [p["invoice_id"] for p, _ in planned] == ["inv-1", "inv-2", "inv-3", "inv-4"]
    assert [headers["causation_id"] for _, headers in planned] == event_ids
    assert {headers["correlation_id"] for _, headers in planned} == {"import-run-1"}
    assert dunning.dead == []

    # The placeholder's debtor fact, coming later, moves nothing that was already right.
    await dunning.debtor("deb-new", kind="business")
    assert (await dunning.invoice_view("inv-2"))["flow_id"] == "default-business"


async def staged(dunning: Dunning, event_type: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(payload, headers) of the staged events of one type, oldest first."""
    table = outbox_table(dunning.harness.runtime.spec.metadata)
    async with dunning.harness.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(table.c.payload, table.c.headers)
                .where(table.c.event_type == event_type)
                .order_by(table.c.seq)
            )
        ).all()
    return [(json.loads(row.payload), dict(row.headers)) for row in rows]


async def test_a_batch_raises_the_attention_its_invoices_need(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.deliver(status_changed("paid", "open", "inv-paid"))

    event_ids = await consume_facts(
        dunning,
        [
            imported("inv-paid"),
            imported("inv-assumed", due_date_source="default_term"),
            imported("inv-plain"),
        ],
    )

    items = {(i["subject_id"], i["reason"]) for i in await dunning.attention()}
    assert items == {
        ("inv-paid", "online_payment_registered"),
        ("inv-assumed", "due_date_assumed"),
    }
    states = await stored_states(dunning)
    assert states["inv-paid"]["blocked_by"] == "online_payment_registered"
    assert states["inv-plain"]["blocked_by"] is None
    raised = await staged(dunning, "settle.dunning.attention.raised")
    assert {(p["subject_id"], h["causation_id"]) for p, h in raised} == {
        ("inv-paid", event_ids[0]),
        ("inv-assumed", event_ids[1]),
    }


async def test_a_redelivered_batch_and_a_replayed_import_change_nothing(dunning: Dunning) -> None:
    await dunning.debtor()
    records = [record(imported(f"inv-{i}"), i) for i in range(5)]
    await consume(dunning, records)
    before = await stored_states(dunning)
    events_before = await dunning.events()

    await consume(dunning, records)  # the same events again: the inbox skips them
    # The same facts under new event ids (the importer replayed its run): versions not newer.
    await consume_facts(dunning, [imported(f"inv-{i}") for i in range(5)])

    assert await stored_states(dunning) == before
    assert await dunning.events() == events_before
    assert dunning.dead == []


async def test_an_invoice_imported_twice_in_one_batch_is_stored_once_as_the_newer_says(
    dunning: Dunning,
) -> None:
    await dunning.debtor()

    await consume_facts(
        dunning,
        [
            imported("inv-1", version=1),
            imported("inv-2"),
            imported("inv-1", version=2, open_amount="21.00"),
            imported("inv-1", version=1),  # older: ignored
        ],
    )

    states = await stored_states(dunning)
    assert sorted(states) == ["inv-1", "inv-2"]
    assert states["inv-1"]["open_amount"] == Decimal("21.00")
    assert states["inv-1"]["fact_version"] == 2
    assert dunning.dead == []


async def test_a_mixed_batch_is_applied_in_order(dunning: Dunning) -> None:
    settled = importer.InvoiceSettled(
        administration_id=ADM,
        invoice_id="inv-1",
        number="F-inv-1",
        version=2,
        run_id="run-1",
        reason="paid",
    )
    business = importer.DebtorUpserted(
        administration_id=ADM,
        debtor_id="deb-2",
        number="Ddeb-2",
        version=1,
        name="Debtor 2",
        kind="business",
        emails=["deb-2@example.nl"],
    )

    await consume_facts(
        dunning,
        [
            imported("inv-1", "deb-1"),
            imported("inv-2", "deb-2"),
            settled,  # settles the invoice imported just before it
            business,  # arrives after inv-2, which moves to the business flow
            imported("inv-3", "deb-2"),  # after the debtor fact: business from the start
        ],
    )

    states = await stored_states(dunning)
    assert states["inv-1"]["settled"] is True
    assert states["inv-2"]["flow_id"] == "default-business"
    assert states["inv-3"]["flow_id"] == "default-business"
    planned = [p["invoice_id"] for p in await dunning.events("step.planned")]
    assert planned == ["inv-1", "inv-2", "inv-1", "inv-2", "inv-3"]
    assert dunning.dead == []


async def test_a_bad_fact_in_a_batch_is_dead_lettered_alone(dunning: Dunning) -> None:
    await dunning.debtor()
    facts: list[Event] = [imported(f"inv-{i}") for i in range(5)]
    facts[2] = imported("inv-bad", amount="-5.00")

    await consume_facts(dunning, facts)

    assert [body["invoice_id"] for body in dunning.dead] == ["inv-bad"]
    assert sorted(await stored_states(dunning)) == ["inv-0", "inv-1", "inv-3", "inv-4"]
    planned = [p["invoice_id"] for p in await dunning.events("step.planned")]
    assert planned == ["inv-0", "inv-1", "inv-3", "inv-4"]


def debtor_fact(
    debtor_id: str, version: int, kind: str = "business", **extra: Any
) -> importer.DebtorUpserted:
    return importer.DebtorUpserted(
        administration_id=ADM,
        debtor_id=debtor_id,
        number=f"D{debtor_id}",
        version=version,
        name=extra.pop("name", f"Debtor {debtor_id}"),
        kind=kind,
        emails=[f"{debtor_id}@example.nl"],
        **extra,
    )


async def test_a_batch_of_debtor_facts_is_applied_in_order(dunning: Dunning) -> None:
    await consume_facts(dunning, [imported("inv-1", "deb-1"), imported("inv-2", "deb-2")])
    await consume_facts(dunning, [imported("inv-3", "deb-3")])

    await consume_facts(
        dunning,
        [
            debtor_fact("deb-1", 1),
            debtor_fact("deb-2", 1, kind="consumer"),
            debtor_fact("deb-1", 2, name="Renamed"),  # newer, in the same batch
            debtor_fact("deb-3", 1),
            debtor_fact("deb-3", 1, name="Not applied"),  # not newer: ignored
        ],
    )

    states = await stored_states(dunning)
    flows = {i: states[i]["flow_id"] for i in states}
    assert flows == {
        "inv-1": "default-business",
        "inv-2": "default-consumer",
        "inv-3": "default-business",
    }
    stored = await stored_debtors(dunning)
    assert (stored["deb-1"]["name"], stored["deb-1"]["version"]) == ("Renamed", 2)
    assert (stored["deb-3"]["name"], stored["deb-3"]["version"]) == ("Debtor deb-3", 1)
    assert stored["deb-2"]["emails"] == ["deb-2@example.nl"]
    # The moves to the business flow are planned once each, caused by their debtor's fact.
    planned = [p["invoice_id"] for p in await dunning.events("step.planned")]
    assert planned == ["inv-1", "inv-2", "inv-3", "inv-1", "inv-3"]
    assert dunning.dead == []


async def test_a_debtor_fact_of_another_administration_in_a_batch_is_dead_lettered_alone(
    dunning: Dunning,
) -> None:
    await consume_facts(dunning, [imported("inv-1", "deb-1"), imported("inv-2", "deb-2")])
    facts = [debtor_fact("deb-1", 1), debtor_fact("deb-2", 1)]
    records = [record(facts[0], 0, administration_id="adm-other"), record(facts[1], 1)]

    await consume(dunning, records)

    assert [body["debtor_id"] for body in dunning.dead] == ["deb-1"]
    stored = await stored_debtors(dunning)
    assert (stored["deb-1"]["version"], stored["deb-2"]["version"]) == (0, 1)
    assert (await dunning.invoice_view("inv-2"))["flow_id"] == "default-business"


async def test_a_batch_of_imports_counts_toward_the_plan_that_holds_its_invoices(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await consume_facts(dunning, [imported("inv-1", amount="100.00"), imported("inv-2")])
    plans = f"/internal/v1/administrations/{ADM}/plans"
    created = await dunning.client.post(
        plans,
        json={
            "invoice_ids": ["inv-1", "inv-2"],
            "kind": "monthly",
            "first_date": "2025-03-25",
            "instalments": 3,
        },
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["plan_id"]

    # The importer's next run re-imports them in one batch, inv-1 twice.
    await consume_facts(
        dunning,
        [
            imported("inv-1", amount="100.00", open_amount="60.00", version=2),
            imported("inv-2", open_amount="100.00", version=2),
            imported("inv-1", amount="100.00", open_amount="40.00", version=3),
        ],
    )

    plan = (await dunning.client.get(f"{plans}/{plan_id}")).json()
    assert plan["paid_amount"] == "81.00"  # 60.00 of inv-1 and 21.00 of inv-2 booked
    assert dunning.dead == []
