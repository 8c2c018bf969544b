"""Benchmark: the collection service opens and computes cases for many invoices that dunning
says are ready for collection, on PostgreSQL.

    .venv/bin/python bench/collection_cases.py [--invoices 100000] [--batch 500]

Setup (not timed): a scratch database, migrated; the importer's copies of the invoices and
debtors loaded with COPY (two invoices per consumer debtor, their 14-day letters sent, the
administration opening cases by itself). Then, timed (between every 20,000 the bench runs
`ANALYZE cases`, as autovacuum would in a deployment; the test server has it off):

1. open: every InvoiceReadyForCollection goes through the consumer's batch handler in batches
   of `--batch`, as the running service receives them (without Kafka): the first invoice of a
   debtor opens a case, the second joins it; each case is stored with its balance and
   CaseOpened / CaseInvoicesAdded staged in the outbox;
2. compute: every case's balance a year later (costs and interest charged, two interest
   periods per invoice), replayed from its entries, as the case page shows it.

Prints the time per ready invoice and per case of each part. Needs PostgreSQL on
127.0.0.1:5432 (user postgres, trust); creates and drops its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import sqlalchemy as sa

from settle_collection.adapters.consumer import batch_handler
from settle_collection.app import SERVICE, context_for
from settle_collection.domain.balances import case_balance
from settle_collection.domain.cases import Entry, EntryKind
from settle_collection.domain.parties import AdministrationSettings, Opening
from settle_collection.settings import CollectionSettings
from settle_shared.clock import FixedClock
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events.dunning import InvoiceReadyForCollection
from settle_shared.migrations import upgrade
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database

SERVER = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
ADM = "adm-bench"
DUE = date(2026, 1, 5)
LETTER = date(2026, 2, 16)
READY = date(2026, 3, 5)
NOW = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def ready_events(count: int) -> list[ReceivedEvent]:
    events = []
    for i in range(count):
        fact = InvoiceReadyForCollection(
            administration_id=ADM,
            invoice_id=f"inv-{i:07d}",
            debtor_id=f"deb-{i // 2:07d}",
            flow_id="default-consumer",
            open_amount=Decimal("1210.00"),
            currency="EUR",
            on=READY,
            legal_letter_sent_on=LETTER,
        )
        envelope = Envelope.wrap(fact, source="/settle/dunning", time=NOW, administration_id=ADM)
        events.append(ReceivedEvent(envelope, fact, "dunning.steps.v1", 0, i))
    return events


async def load(url: str, count: int) -> None:
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await conn.copy_records_to_table(
            "invoices",
            records=[
                (
                    ADM,
                    f"inv-{i:07d}",
                    f"deb-{i // 2:07d}",
                    f"2026-{i:07d}",
                    date(2025, 12, 6),
                    DUE,
                    Decimal("1210.00"),
                    Decimal("1210.00"),
                    "EUR",
                    None,
                    1,
                    False,
                )
                for i in range(count)
            ],
            columns=[
                "administration_id",
                "invoice_id",
                "debtor_id",
                "number",
                "invoice_date",
                "due_date",
                "amount",
                "open_amount",
                "currency",
                "pdf_url",
                "version",
                "settled",
            ],
        )
        await conn.copy_records_to_table(
            "debtors",
            records=[
                (
                    ADM,
                    f"deb-{d:07d}",
                    f"D{d}",
                    f"Debtor {d}",
                    "consumer",
                    f'["d{d}@example.nl"]',
                    '["Dorpsstraat 1"]',
                    "1234 AB",
                    "Utrecht",
                    "NL",
                    "nl",
                    1,
                )
                for d in range((count + 1) // 2)
            ],
            columns=[
                "administration_id",
                "debtor_id",
                "number",
                "name",
                "kind",
                "emails",
                "address_lines",
                "postal_code",
                "city",
                "country",
                "language",
                "version",
            ],
        )
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def bench(count: int, batch: int) -> dict[str, Any]:
    async with scratch_database(SERVER, "settle_bench_collection") as url:
        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
        await load(url, count)
        engine = create_engine(url)
        ctx = context_for(CollectionSettings(database_url=url), session_factory(engine))
        ctx = replace(ctx, clock=FixedClock(NOW))
        async with ctx.transaction() as store:
            await store.settings.save(ADM, AdministrationSettings(opening=Opening.AUTOMATIC))
        handle = batch_handler(lambda: ctx)
        events = ready_events(count)

        started = lap = time.perf_counter()
        laps: list[float] = []
        analyzing = 0.0
        for start in range(0, count, batch):
            async with transaction(ctx.sessions) as session:
                await handle(session, events[start : start + batch])
            if (start + batch) % 20_000 == 0:
                laps.append(time.perf_counter() - lap)
                # What autovacuum does in a deployment as a table grows (it is off on the test
                # server): fresh statistics, so the planner keeps to the debtor index.
                analyze_started = time.perf_counter()
                async with engine.connect() as conn:
                    await conn.execute(sa.text("ANALYZE cases"))
                    await conn.commit()
                lap = time.perf_counter()
                analyzing += lap - analyze_started
        open_s = time.perf_counter() - started - analyzing

        async with engine.connect() as conn:
            cases = await conn.scalar(sa.text("SELECT count(*) FROM cases"))
            staged = await conn.scalar(sa.text("SELECT count(*) FROM outbox"))
        # Costs and interest charged on every case, then every balance a year later.
        async with ctx.transaction() as store:
            table = await store.rates.table()
            found = await store.cases.search(
                ADM, status=None, step=None, debtor_id=None, after=None, limit=count
            )
        charged = [
            case.with_entry(
                Entry(EntryKind.COSTS_CHARGED, READY, amount=Decimal("303.00"), vat=Decimal("0"))
            ).with_entry(Entry(EntryKind.INTEREST_CHARGED, READY))
            for case in found
        ]
        started = time.perf_counter()
        total = Decimal(0)
        for case in charged:
            total += case_balance(case, date(2027, 3, 5), table, 2).total
        compute_s = time.perf_counter() - started
        await engine.dispose()
    assert cases == (count + 1) // 2 and total > 0
    return {
        "ready": count,
        "cases": float(cases or 0),
        "events": float(staged or 0),
        "open_s": open_s,
        "open_ms_per_invoice": open_s * 1000 / count,
        "open_ms_per_case": open_s * 1000 / (cases or 1),
        "compute_s": compute_s,
        "compute_ms_per_case": compute_s * 1000 / (cases or 1),
        "laps": laps,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    result = asyncio.run(bench(args.invoices, args.batch))
    print(
        f"{result['ready']:,.0f} ready invoices -> {result['cases']:,.0f} cases "
        f"({result['events']:,.0f} events staged)\n"
        f"open:    {result['open_s']:.1f} s, {result['open_ms_per_invoice']:.2f} ms per ready "
        f"invoice, {result['open_ms_per_case']:.2f} ms per case\n"
        f"compute: {result['compute_s']:.1f} s, {result['compute_ms_per_case']:.3f} ms per case "
        "(balance with costs and interest a year on)\n"
        "each 20,000 ready invoices: " + ", ".join(f"{lap:.1f} s" for lap in result["laps"])
    )


if __name__ == "__main__":
    main()
