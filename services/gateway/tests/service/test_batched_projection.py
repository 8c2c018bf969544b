"""The projection takes a Kafka batch at once: debtors, invoices and steps are written with a
statement per kind at the batch's end, with the outcome of taking the events one by one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import ConsumerRecord

from settle_gateway.adapters.read_model import TOPICS
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events import dunning, importer
from settle_shared.events.base import Event, dead_letter_topic
from settle_shared.migrations import upgrade
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import kafka_record

from .conftest import ADM, JWT_SECRET, NOW, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
RAN = date(2025, 3, 20)


def debtor(debtor_id: str, name: str, version: int) -> importer.DebtorUpserted:
    return importer.DebtorUpserted(
        administration_id=ADM,
        debtor_id=debtor_id,
        number=f"D{debtor_id}",
        version=version,
        name=name,
        kind="business",
        emails=[f"{debtor_id}@example.nl"],
        country="NL",
    )


def invoice(invoice_id: str, debtor_id: str, amount: str) -> importer.InvoiceImported:
    return importer.InvoiceImported(
        administration_id=ADM,
        invoice_id=invoice_id,
        number=f"F-{invoice_id}",
        version=1,
        run_id="run-1",
        debtor_id=debtor_id,
        debtor_number=f"D{debtor_id}",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3),
        amount=Decimal(amount),
        open_amount=Decimal(amount),
        currency="EUR",
    )


def executed(invoice_id: str, debtor_id: str) -> dunning.StepExecuted:
    return dunning.StepExecuted(
        administration_id=ADM,
        invoice_id=invoice_id,
        debtor_id=debtor_id,
        flow_id="standard",
        step_id="reminder_1",
        executed_on=RAN,
        reason="scheduled",
        channels=["email"],
        phase="reminder_1",
        cycle=1,
        legally_required=False,
        message_request_id=f"req-{invoice_id}",
    )


def failed(invoice_id: str, debtor_id: str) -> dunning.StepFailed:
    return dunning.StepFailed(
        administration_id=ADM,
        invoice_id=invoice_id,
        debtor_id=debtor_id,
        flow_id="standard",
        step_id="reminder_1",
        executed_on=RAN,
        cycle=1,
        message_request_id=f"req-{invoice_id}",
        failed_on=RAN,
        channels=["email"],
        reason="invalid_email_address",
        detail="no valid email address",
        phase="reminder_1",
    )


def records(events: Sequence[Event]) -> list[ConsumerRecord[bytes, bytes]]:
    """The events as one Kafka batch, a second apart (dunning's are ordered by time)."""
    batch = []
    for offset, event in enumerate(events):
        envelope = Envelope.wrap(
            event,
            source="/settle/test",
            time=NOW + timedelta(seconds=offset),
            administration_id=ADM,
            event_id=f"event-{offset}",
        )
        batch.append(kafka_record(envelope, event.topic.name, offset))
    return batch


@contextmanager
def statements(runtime: ServiceRuntime) -> Iterator[list[str]]:
    """The statements run while the block runs, by their first words and table."""
    seen: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        words = statement.split()
        verb = words[0]
        table = words[2] if verb in ("INSERT", "DELETE") else words[1]
        seen.append(f"{verb} {table}")

    engine = runtime.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


async def test_a_batch_is_projected_as_its_events_one_by_one(gateway: Gateway) -> None:
    await gateway.debtor("deb-3", name="Bakkerij Smit")  # known before the batch
    events: list[Event] = [
        debtor("deb-1", "Jansen Transport", 1),
        invoice("inv-1", "deb-1", "121.00"),
        invoice("inv-2", "deb-2", "30.50"),  # its debtor comes later in the batch
        invoice("inv-3", "deb-3", "10.00"),
        debtor("deb-1", "Jansen Logistiek", 2),  # renamed within the batch
        debtor("deb-1", "Jansen Transport", 1),  # older news, later: changes nothing
        debtor("deb-2", "De Vries B.V.", 1),
        debtor("deb-3", "Smit Brood", 2),
        executed("inv-1", "deb-1"),
        failed("inv-1", "deb-1"),  # its step ran in the same batch
        executed("inv-2", "deb-2"),
    ]
    batch = records(events)
    batch.append(batch[1])  # a redelivered event within the batch
    consumer = gateway.harness.runtime.consumers[0]
    with statements(gateway.harness.runtime) as seen:
        await consumer.process(batch)
    assert seen.count("INSERT rm_debtors") == 1
    assert seen.count("UPDATE rm_debtors") <= 3  # the known one, counts, recounts
    assert seen.count("INSERT rm_steps") == 1
    assert seen.count("INSERT rm_debtor_words") == 1
    assert seen.count("INSERT rm_invoices") == 1

    listed_debtors = (await gateway.get(f"{API}/debtors")).json()["items"]
    names = {d["debtor_id"]: d["name"] for d in listed_debtors}
    assert names == {"deb-1": "Jansen Logistiek", "deb-2": "De Vries B.V.", "deb-3": "Smit Brood"}
    for debtor_id, total in (("deb-1", "121.00"), ("deb-2", "30.50"), ("deb-3", "10.00")):
        detail = (await gateway.get(f"{API}/debtors/{debtor_id}")).json()
        assert detail["open_invoices"] == 1, debtor_id
        assert detail["open_totals"] == [{"currency": "EUR", "count": 1, "total": total}]
    listed = (await gateway.get(f"{API}/invoices")).json()["items"]
    assert {i["invoice_id"]: i["debtor_name"] for i in listed} == {
        "inv-1": "Jansen Logistiek",
        "inv-2": "De Vries B.V.",
        "inv-3": "Smit Brood",
    }
    found = (await gateway.get(f"{API}/debtors", params={"q": "smit"})).json()["items"]
    assert [d["debtor_id"] for d in found] == ["deb-3"]
    assert (await gateway.get(f"{API}/debtors", params={"q": "bakkerij"})).json()["items"] == []
    one = (await gateway.get(f"{API}/invoices/inv-1")).json()
    assert [(s["kind"], s["state"]) for s in one["timeline"]] == [("step", "failed")]
    two = (await gateway.get(f"{API}/invoices/inv-2")).json()
    assert [(s["kind"], s["state"]) for s in two["timeline"]] == [("step", "executed")]
    phases = {p["phase"]: (p["count"], p["total"]) for p in (await gateway.dashboard())["phases"]}
    assert phases == {"reminder_1": (2, "151.50"), "new": (1, "10.00")}

    # The whole batch again (Kafka redelivers after a crash): nothing changes.
    await consumer.process(records(events))
    assert (await gateway.get(f"{API}/debtors/deb-1")).json()["open_invoices"] == 1
    assert len((await gateway.get(f"{API}/invoices/inv-1")).json()["timeline"]) == 1


@pytest.mark.integration
async def test_a_poison_event_in_a_batch_is_dead_lettered_alone_on_postgresql(
    pg_database: str,
) -> None:
    from settle_gateway.app import SERVICE
    from settle_shared.testing.service import running_service

    dead: list[Any] = []

    def catch_dead_letters(runtime: ServiceRuntime) -> None:
        @runtime.broker.subscriber(*(dead_letter_topic(topic) for topic in TOPICS))
        async def dead_letters(body: Any) -> None:
            dead.append(body)

    async with running_service(
        SERVICE,
        pg_database,
        before_start=catch_dead_letters,
        jwt_secret=JWT_SECRET,
        consumer_retry_backoff_s=0,
    ) as harness:
        consumer = harness.runtime.consumers[0]
        # A name longer than the read model keeps: PostgreSQL refuses the batch's insert.
        events = [
            debtor("deb-1", "Jansen", 1),
            debtor("deb-2", "x" * 301, 1),
            debtor("deb-3", "Smit", 1),
            invoice("inv-1", "deb-1", "121.00"),
        ]
        await consumer.process(records(events))
        async with harness.runtime.sessions() as session:
            stored = (
                await session.execute(sa.text("SELECT debtor_id, open_invoices FROM rm_debtors"))
            ).all()
        assert sorted(map(tuple, stored)) == [("deb-1", 1), ("deb-3", 0)]
        assert [body["debtor_id"] for body in dead] == ["deb-2"]


@pytest.mark.integration
async def test_the_planner_statistics_follow_a_first_import_on_postgresql(
    pg_database: str,
) -> None:
    # Planned as empty, the look-ups of a batch's invoices would read the whole administration.
    from settle_gateway.adapters.read_model import project
    from settle_gateway.app import SERVICE

    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    engine = create_engine(pg_database)
    sessions = session_factory(engine)

    async def counted() -> float:
        query = "SELECT reltuples FROM pg_class WHERE relname = 'rm_invoices'"
        async with engine.connect() as conn:
            return float(await conn.scalar(sa.text(query)) or 0)

    async def import_invoices(first: int, count: int) -> None:
        events = [
            ReceivedEvent(
                Envelope.wrap(fact, source="/settle/test", time=NOW, administration_id=ADM),
                fact,
                fact.topic.name,
                0,
                n,
            )
            for n in range(first, first + count)
            for fact in [invoice(f"inv-{n}", "deb-1", "10.00")]
        ]
        for start in range(0, count, 500):
            async with transaction(sessions) as session:
                await project(session, events[start : start + 500], RAN)

    try:
        await import_invoices(0, 100)
        assert await counted() <= 0  # too small to matter: not analysed yet
        await import_invoices(100, 1_400)
        analysed = await counted()
        assert 1_000 <= analysed <= 1_500
        await import_invoices(1_500, 500)
        assert await counted() == analysed  # not grown enough to analyse again
        await import_invoices(2_000, 3_000)
        assert await counted() > analysed
    finally:
        await engine.dispose()
