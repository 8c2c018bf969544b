"""Benchmark: dunning taking in a large administration's imported invoices and debtors on
PostgreSQL, its consumer's batch handler beside the one-by-one handler it replaced. Prints
invoices/s and debtor facts/s.

    .venv/bin/python bench/dunning_intake.py [--invoices 100000] [--baseline 5000]

N `InvoiceImported` facts of one administration (one debtor per five, none known yet, so each
debtor gets its placeholder; every tenth invoice 30 days overdue) go to the handler in
batches of 500 `ReceivedEvent`s, each batch in its own transaction, as the consumer hands them
over; no Kafka, no inbox. Then a `DebtorUpserted` per debtor, every other one a business
whose five invoices move from the placeholder's consumer flow to the business flow. Only the
handler's calls and their commits are timed: the facts of the next batch are built in between.
The one-by-one handler (`one_by_one(apply_received)`, what the consumer ran before) takes a
smaller `--baseline` N: at its rate the larger one would take many minutes. Each handler gets
a fresh database on 127.0.0.1:5432 (user postgres, trust), dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.adapters.consumer import apply_batch, apply_received
from settle_dunning.app import SERVICE, context_for
from settle_dunning.application.context import DunningContext
from settle_dunning.settings import DunningSettings
from settle_shared.consumer import ReceivedEvent, one_by_one
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events import importer
from settle_shared.migrations import upgrade
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database

SERVER = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
BUSINESS_DATE = date(2025, 3, 19)  # a Wednesday
INVOICES_PER_DEBTOR = 5
BATCH = 500  # the consumer's max_records

Handler = Callable[[AsyncSession, Sequence[ReceivedEvent]], Awaitable[None]]


def batches(total: int, administration_id: str) -> Iterator[list[ReceivedEvent]]:
    """The import's facts as the consumer receives them, a batch at a time."""
    now = datetime(2025, 3, 19, 7, 0, tzinfo=UTC)
    debtors = max(total // INVOICES_PER_DEBTOR, 1)
    for start in range(0, total, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, total)):
            overdue = i % 10 == 0
            due = BUSINESS_DATE - timedelta(days=30 if overdue else -20)
            debtor = i % debtors
            fact = importer.InvoiceImported(
                administration_id=administration_id,
                invoice_id=f"inv-{i:07d}",
                number=f"F{i}",
                version=1,
                run_id="run-1",
                debtor_id=f"deb-{debtor:07d}",
                debtor_number=f"D{debtor}",
                invoice_date=due - timedelta(days=30),
                due_date=due,
                amount=Decimal("121.00"),
                open_amount=Decimal("121.00"),
                currency="EUR",
                payment_condition="30",
            )
            envelope = Envelope.wrap(
                fact,
                source="/settle/importer",
                time=now,
                administration_id=administration_id,
                correlation_id="import-run-1",
            )
            batch.append(ReceivedEvent(envelope, fact, importer.INVOICES.name, 0, i))
        yield batch


def debtor_batches(total: int, administration_id: str) -> Iterator[list[ReceivedEvent]]:
    """Then the importer's debtor facts, one per debtor: every other debtor a business, whose
    invoices move from the placeholder's consumer flow to the business flow."""
    now = datetime(2025, 3, 19, 7, 0, tzinfo=UTC)
    debtors = max(total // INVOICES_PER_DEBTOR, 1)
    for start in range(0, debtors, BATCH):
        batch = []
        for d in range(start, min(start + BATCH, debtors)):
            fact = importer.DebtorUpserted(
                administration_id=administration_id,
                debtor_id=f"deb-{d:07d}",
                number=f"D{d}",
                version=1,
                name=f"Debtor {d}",
                kind="business" if d % 2 else "consumer",
                emails=[f"d{d}@example.nl"],
            )
            envelope = Envelope.wrap(
                fact,
                source="/settle/importer",
                time=now,
                administration_id=administration_id,
                correlation_id="import-run-1",
            )
            batch.append(ReceivedEvent(envelope, fact, importer.DEBTORS.name, 0, d))
        yield batch


async def timed(
    handler: Handler, ctx: DunningContext, facts: Iterator[list[ReceivedEvent]]
) -> float:
    """Seconds the handler took for the batches, each in a transaction of its own."""
    elapsed = 0.0
    for batch in facts:
        started = time.perf_counter()
        async with transaction(ctx.sessions) as session:
            await handler(session, batch)
        elapsed += time.perf_counter() - started
    return elapsed


async def bench(
    name: str, total: int, handler_for: Callable[[DunningContext], Handler]
) -> tuple[float, float]:
    """Seconds the handler took for `total` invoices and then their debtors' facts, on a
    database of its own."""
    async with scratch_database(SERVER, "settle_bench_intake") as url:
        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
        engine = create_engine(url)
        ctx = context_for(DunningSettings(database_url=url), session_factory(engine))
        handler = handler_for(ctx)
        administration_id = "adm-bench"
        async with transaction(ctx.sessions) as session:  # as the gateway announces it
            await ctx.ensure_administration(ctx.repositories(session), administration_id)
        gc.collect()
        gc.freeze()  # what the bench keeps is not the service's heap
        invoices_s = await timed(handler, ctx, batches(total, administration_id))
        debtors_s = await timed(handler, ctx, debtor_batches(total, administration_id))
        gc.unfreeze()
        async with engine.connect() as conn:
            states = await conn.scalar(sa.text("SELECT count(*) FROM dunning_states"))
            business = await conn.scalar(
                sa.text("SELECT count(*) FROM dunning_states WHERE flow_id = 'default-business'")
            )
            debtors = await conn.scalar(sa.text("SELECT count(*) FROM debtors WHERE version = 1"))
            events = await conn.scalar(sa.text("SELECT count(*) FROM outbox"))
        await engine.dispose()
    debtor_count = max(total // INVOICES_PER_DEBTOR, 1)
    assert states == total, (name, states, total)
    assert debtors == debtor_count, (name, debtors)
    assert business == total // 2, (name, business)  # the invoices of every other debtor
    assert events == total + business, (name, events)  # a plan per invoice, again if moved
    return invoices_s, debtors_s


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument(
        "--baseline", type=int, default=5_000, help="invoices for the one-by-one handler"
    )
    args = parser.parse_args()
    handlers: list[tuple[str, int, Callable[[DunningContext], Handler]]] = [
        ("batched (apply_batch)", args.invoices, lambda ctx: partial(apply_batch, ctx)),
        (
            "one by one (before)",
            args.baseline,
            lambda ctx: one_by_one(partial(apply_received, ctx)),
        ),
    ]
    print(
        f"{'handler':<22} {'invoices':>9} {'seconds':>8} {'invoices/s':>10} {'ms each':>8}"
        f" {'debtors':>8} {'seconds':>8} {'debtors/s':>9}"
    )
    rates = []
    for name, total, handler_for in handlers:
        invoices_s, debtors_s = await bench(name, total, handler_for)
        debtors = max(total // INVOICES_PER_DEBTOR, 1)
        rates.append((total / invoices_s, debtors / debtors_s))
        print(
            f"{name:<22} {total:>9,} {invoices_s:>8.1f} {total / invoices_s:>10,.0f} "
            f"{1000 * invoices_s / total:>8.2f} {debtors:>8,} {debtors_s:>8.1f} "
            f"{debtors / debtors_s:>9,.0f}",
            flush=True,
        )
    (invoices, debtors), (invoices_before, debtors_before) = rates
    print(
        f"batched takes invoices in {invoices / invoices_before:.1f}x and debtor facts in "
        f"{debtors / debtors_before:.1f}x as fast as one by one"
    )


if __name__ == "__main__":
    asyncio.run(main())
