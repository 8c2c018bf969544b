"""The consumer plumbing inside one service, with FastStream's in-memory test broker."""

from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from faststream.kafka import KafkaMessage, TestKafkaBroker

from settle_shared.consumer import PermanentError, ReceivedEvent
from settle_shared.db import new_metadata
from settle_shared.envelope import Envelope
from settle_shared.events.importer import InvoiceChanged
from settle_shared.service import ServiceRuntime, ServiceSpec, build_runtime
from settle_shared.settings import ServiceSettings

pytestmark = pytest.mark.service

metadata = new_metadata()
amounts = sa.Table(
    "open_amounts",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invoice_id", sa.String(64)),
    sa.Column("open_amount", sa.Numeric(12, 2)),
)


async def remember_open_amount(session, received: ReceivedEvent) -> None:
    event = received.payload
    assert isinstance(event, InvoiceChanged)
    if event.administration_id == "unknown":
        raise PermanentError("unknown administration")
    await session.execute(
        sa.insert(amounts).values(invoice_id=event.invoice_id, open_amount=event.open_amount)
    )


def setup(runtime: ServiceRuntime) -> None:
    runtime.consume("example-group", ["importer.invoices.v1"], remember_open_amount)


SPEC = ServiceSpec(
    name="example",
    description="example",
    settings_cls=ServiceSettings,
    metadata=metadata,
    migrations_dir=Path("unused"),
    setup=setup,
)


def changed(invoice_id: str, amount: str, administration: str = "adm-1") -> InvoiceChanged:
    return InvoiceChanged(
        administration_id=administration,
        invoice_id=invoice_id,
        number="1",
        version=2,
        run_id="r",
        open_amount=Decimal(amount),
        previous_open_amount=Decimal("100.00"),
        currency="EUR",
    )


async def publish(runtime: ServiceRuntime, event: InvoiceChanged, event_id: str) -> None:
    envelope = Envelope.wrap(
        event,
        source="/test",
        time=runtime.clock.now(),
        administration_id=event.administration_id,
        event_id=event_id,
    )
    await runtime.broker.publish(
        envelope.data, event.topic.name, key=envelope.key.encode(), headers=envelope.headers()
    )


async def test_a_redelivered_event_has_one_effect_and_a_refused_one_is_dead_lettered(
    sqlite_database,
):
    runtime = build_runtime(
        SPEC, ServiceSettings(database_url=sqlite_database, consumer_retry_backoff_s=0)
    )
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    dead = []

    @runtime.broker.subscriber("importer.invoices.v1.dlt")
    async def catch(body: dict) -> None:
        dead.append(body)

    async with TestKafkaBroker(runtime.broker):
        await publish(runtime, changed("inv-1", "40.00"), "evt-1")
        await publish(runtime, changed("inv-1", "40.00"), "evt-1")  # at-least-once: again
        await publish(runtime, changed("inv-2", "10.00", administration="unknown"), "evt-2")
        await publish(runtime, changed("inv-3", "5.00"), "evt-3")

    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(sa.select(amounts.c.invoice_id, amounts.c.open_amount))).all()
    assert rows == [("inv-1", Decimal("40.00")), ("inv-3", Decimal("5.00"))]
    assert [body["invoice_id"] for body in dead] == ["inv-2"]
    await runtime.engine.dispose()


async def test_a_batch_handler_gets_each_new_event_once_in_order(sqlite_database):
    seen: list[list[str]] = []

    async def record_batch(session, events) -> None:
        seen.append([received.payload.invoice_id for received in events])
        if any(received.payload.administration_id == "unknown" for received in events):
            raise PermanentError("unknown administration")

    def batch_setup(runtime: ServiceRuntime) -> None:
        runtime.consume("batch-group", ["importer.invoices.v1"], batch_handler=record_batch)

    spec = ServiceSpec(
        name="example",
        description="example",
        settings_cls=ServiceSettings,
        metadata=metadata,
        migrations_dir=Path("unused"),
        setup=batch_setup,
    )
    runtime = build_runtime(
        spec, ServiceSettings(database_url=sqlite_database, consumer_retry_backoff_s=0)
    )
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    async with TestKafkaBroker(runtime.broker):
        await publish(runtime, changed("inv-1", "40.00"), "evt-1")
        await publish(runtime, changed("inv-1", "40.00"), "evt-1")
        await publish(runtime, changed("inv-2", "1.00", administration="unknown"), "evt-2")
        await publish(runtime, changed("inv-3", "5.00"), "evt-3")
    # The in-memory broker delivers one record per batch. The refused one is tried in its
    # batch, then once alone (a permanent refusal is not retried) and dead-lettered; it never
    # reaches the inbox. The duplicate never reaches the handler.
    assert seen == [["inv-1"], ["inv-2"], ["inv-2"], ["inv-3"]]
    async with runtime.engine.connect() as conn:
        inbox = (await conn.execute(sa.text("SELECT event_id FROM inbox ORDER BY 1"))).all()
    assert [row[0] for row in inbox] == ["evt-1", "evt-3"]
    await runtime.engine.dispose()


def test_a_consumer_needs_exactly_one_kind_of_handler(sqlite_database):
    runtime = build_runtime(SPEC, ServiceSettings(database_url=sqlite_database))
    with pytest.raises(ValueError, match="either a handler or a batch handler"):
        runtime.consume("g", ["importer.invoices.v1"])


async def test_the_relay_publishes_staged_events_through_the_test_broker(sqlite_database):
    from settle_shared.db import transaction
    from settle_shared.outbox import BrokerSender

    runtime = build_runtime(SPEC, ServiceSettings(database_url=sqlite_database))
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    runtime.relay.use_cluster("in-memory")
    runtime.relay.use_sender(BrokerSender(runtime.broker))
    received: list[dict] = []

    @runtime.broker.subscriber("importer.invoices.v1", group_id="spy")
    async def spy(body: dict) -> None:
        received.append(body)

    async with TestKafkaBroker(runtime.broker):
        async with transaction(runtime.sessions) as session:
            await runtime.outbox.add(session, changed("inv-9", "12.00"), administration_id="adm-1")
        assert await runtime.relay.publish_pending() == 1
        assert await runtime.relay.publish_pending() == 0  # marked: never twice
    assert [body["invoice_id"] for body in received] == ["inv-9"]
    await runtime.engine.dispose()


class UnknownAdministration(Exception):
    """A service's own refusal, named in its errors.DEAD_LETTER_ERRORS."""


async def test_a_service_error_named_as_dead_letter_is_not_retried(sqlite_database):
    attempts: list[str] = []

    async def refuse_unknown(session, received: ReceivedEvent) -> None:
        attempts.append(received.payload.invoice_id)
        if received.payload.administration_id == "unknown":
            raise UnknownAdministration("unknown administration")

    def refusing_setup(runtime: ServiceRuntime) -> None:
        runtime.consume(
            "refusing-group",
            ["importer.invoices.v1"],
            refuse_unknown,
            dead_letters=(UnknownAdministration,),
        )

    spec = ServiceSpec(
        name="example",
        description="example",
        settings_cls=ServiceSettings,
        metadata=metadata,
        migrations_dir=Path("unused"),
        setup=refusing_setup,
    )
    runtime = build_runtime(
        spec,
        ServiceSettings(
            database_url=sqlite_database, consumer_retry_backoff_s=0, consumer_max_attempts=3
        ),
    )
    async with runtime.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    dead = []

    @runtime.broker.subscriber("importer.invoices.v1.dlt")
    async def catch(body: dict, message: KafkaMessage) -> None:
        dead.append((body["invoice_id"], message.headers.get("dlt_error")))

    async with TestKafkaBroker(runtime.broker):
        await publish(runtime, changed("inv-9", "1.00", administration="unknown"), "evt-9")
    # Tried in its batch, then once alone: no third try for a refusal no retry can change.
    assert attempts == ["inv-9", "inv-9"]
    assert dead == [("inv-9", "UnknownAdministration: unknown administration")]
    await runtime.engine.dispose()
