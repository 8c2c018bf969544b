"""How fast the consumers of the importer's facts and dunning's step events take a large
administration's first day in, each on PostgreSQL, in process.

    .venv/bin/python bench/consumers_intake.py [--invoices 10000] [--batch 500]
        [--consumer gateway --consumer payments --consumer collection]

For each consumer: a scratch database on 127.0.0.1:5432 (migrated; dropped after) and the
first day's events as bench/pipeline.py's export makes them (one debtor per five invoices,
every tenth invoice due a reminder): the importer's debtors, then its invoices, then dunning's
plan of every invoice (StepPlanned), then the daily run's steps (StepExecuted and PhaseChanged
of every tenth invoice). Each topic's events go through the consumer's batch handler in
batches of `--batch` (the shared consumer's Kafka batch), one transaction per batch, as the
running service gets them (without Kafka and without the inbox). Prints, per consumer and
kind of event, the events per second. A consumer that ignores a kind still reads it (collection
ignores dunning's plans): the figure says what that costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from settle_shared.clock import FixedClock
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events import dunning, importer
from settle_shared.events.base import Event
from settle_shared.migrations import upgrade
from settle_shared.outbox import Outbox
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database

SERVER = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
ADM = "adm-bench"
TODAY = date(2026, 3, 4)  # a Wednesday, as in bench/pipeline.py
NOW = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)
INVOICES_PER_DEBTOR = 5
OVERDUE_EVERY = 10

BatchHandler = Callable[[AsyncSession, Sequence[ReceivedEvent]], Awaitable[Any]]


def received(events: Sequence[Event], source: str, start: datetime) -> list[ReceivedEvent]:
    """The events as the consumer gets them, a microsecond apart (dunning's order by time)."""
    return [
        ReceivedEvent(
            Envelope.wrap(
                event,
                source=source,
                time=start + timedelta(microseconds=n),
                administration_id=ADM,
            ),
            event,
            event.topic.name,
            0,
            n,
        )
        for n, event in enumerate(events)
    ]


def first_day(count: int) -> dict[str, list[ReceivedEvent]]:
    """The first day's events per kind, in the order the consumers get them."""
    debtors = [
        importer.DebtorUpserted(
            administration_id=ADM,
            debtor_id=f"deb-{d:06d}",
            number=f"D{d:06d}",
            version=1,
            name=f"Debiteur {d} B.V.",
            kind="business",
            emails=[f"debiteur{d}@example.nl"],
            phone=f"020-{d:07d}",
            address_lines=[f"Straat {d}"],
            postal_code="1234 AB",
            city="Amsterdam",
            country="NL",
        )
        for d in range((count + INVOICES_PER_DEBTOR - 1) // INVOICES_PER_DEBTOR)
    ]
    invoices = []
    for n in range(count):
        overdue = n % OVERDUE_EVERY == 0
        due = TODAY - timedelta(days=30 if overdue else -(n % 28) - 1)
        invoices.append(
            importer.InvoiceImported(
                administration_id=ADM,
                invoice_id=f"inv-{n:07d}",
                number=f"F{n:07d}",
                version=1,
                run_id="run-1",
                debtor_id=f"deb-{n // INVOICES_PER_DEBTOR:06d}",
                debtor_number=f"D{n // INVOICES_PER_DEBTOR:06d}",
                invoice_date=due - timedelta(days=30),
                due_date=due,
                amount=Decimal("121.00") + n % 100,
                open_amount=Decimal("121.00") + n % 100,
                currency="EUR",
            )
        )
    plans = [
        dunning.StepPlanned(
            administration_id=ADM,
            invoice_id=invoice.invoice_id,
            debtor_id=invoice.debtor_id,
            flow_id="default-business",
            step_id="reminder_1",
            planned_on=max(invoice.due_date + timedelta(days=14), TODAY),
            basis="schedule",
            phase="sent",
        )
        for invoice in invoices
    ]
    steps: list[Event] = []
    for invoice in invoices[::OVERDUE_EVERY]:
        common = {
            "administration_id": ADM,
            "invoice_id": invoice.invoice_id,
            "debtor_id": invoice.debtor_id,
        }
        steps.append(
            dunning.StepExecuted(
                **common,
                flow_id="default-business",
                step_id="reminder_1",
                executed_on=TODAY,
                reason="scheduled",
                channels=["email"],
                phase="reminder_1",
                cycle=1,
                legally_required=False,
                message_request_id=f"msg-{invoice.invoice_id}",
                next_step_id="reminder_2",
                next_step_on=TODAY + timedelta(days=14),
            )
        )
        steps.append(
            dunning.PhaseChanged(
                **common,
                previous_phase="sent",
                phase="reminder_1",
                on=TODAY,
                open_amount=invoice.open_amount,
                currency="EUR",
            )
        )
    return {
        "importer debtors": received(debtors, "/settle/importer", NOW),
        "importer invoices": received(invoices, "/settle/importer", NOW),
        "dunning plans": received(plans, "/settle/dunning", NOW + timedelta(minutes=1)),
        "dunning steps": received(steps, "/settle/dunning", NOW + timedelta(minutes=2)),
    }


def gateway(url: str) -> tuple[Any, BatchHandler]:
    from settle_gateway.adapters.read_model import project
    from settle_gateway.app import SERVICE

    async def handle(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
        await project(session, events, TODAY)

    return SERVICE, handle


def payments(url: str) -> tuple[Any, BatchHandler]:
    from settle_payments.adapters.consumer import batch_handler
    from settle_payments.adapters.repositories import SqlStore
    from settle_payments.app import SERVICE
    from settle_payments.application.context import PaymentsContext
    from settle_payments.settings import PaymentsSettings

    outbox = Outbox(SERVICE.metadata, source="/settle/payments", clock=FixedClock(NOW))
    ctx = PaymentsContext(
        settings=PaymentsSettings(database_url=url),
        clock=FixedClock(NOW),
        sessions=session_factory(create_engine(url)),
        store_in=lambda session: SqlStore(session, outbox),
        psp=None,  # type: ignore[arg-type]  # no payment is made here
    )
    return SERVICE, batch_handler(lambda: ctx)


def collection(url: str) -> tuple[Any, BatchHandler]:
    from settle_collection.adapters.consumer import batch_handler
    from settle_collection.app import SERVICE, context_for
    from settle_collection.settings import CollectionSettings

    ctx = context_for(CollectionSettings(database_url=url), session_factory(create_engine(url)))
    ctx = replace(ctx, clock=FixedClock(NOW))
    return SERVICE, batch_handler(lambda: ctx)


CONSUMERS: dict[str, Callable[[str], tuple[Any, BatchHandler]]] = {
    "gateway": gateway,
    "payments": payments,
    "collection": collection,
}


async def bench(name: str, days: dict[str, list[ReceivedEvent]], batch: int) -> dict[str, float]:
    """Events per second of each kind through one consumer's batch handler."""
    async with scratch_database(SERVER, f"settle_bench_{name}") as url:
        service, handle = CONSUMERS[name](url)
        await asyncio.to_thread(upgrade, service.migrations_dir, url)
        engine = create_engine(url)
        sessions = session_factory(engine)
        rates = {}
        for kind, events in days.items():
            started = time.perf_counter()
            for start in range(0, len(events), batch):
                async with transaction(sessions) as session:
                    await handle(session, events[start : start + batch])
            rates[kind] = len(events) / (time.perf_counter() - started)
        await engine.dispose()
    return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--consumer", action="append", choices=list(CONSUMERS))
    args = parser.parse_args()
    days = first_day(args.invoices)
    print(
        f"{args.invoices:,} invoices, batches of {args.batch}: "
        + ", ".join(f"{len(events):,} {kind}" for kind, events in days.items())
    )
    for name in args.consumer or list(CONSUMERS):
        rates = asyncio.run(bench(name, days, args.batch))
        print(f"{name:<11}" + "".join(f"  {kind}: {rate:>7,.0f}/s" for kind, rate in rates.items()))


if __name__ == "__main__":
    main()
