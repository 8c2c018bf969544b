"""Importer end to end on PostgreSQL: a Dutch CSV export imported, every event published.

    .venv/bin/python bench/importer_csv.py [--rows 100000] [--big 1000000]

For ``--rows`` (one debtor per five invoices: 100,000 invoices, 20,000 debtors) it creates its
own database on PostgreSQL (127.0.0.1:5432 or SETTLE_TEST_POSTGRES_URL) and an embedded broker
(or SETTLE_TEST_KAFKA_BOOTSTRAP), then measures, in one process:

- first import: parse, reconcile, snapshot and outbox written per chunk, with the outbox relay
  publishing concurrently; the clock stops when the last event is acknowledged by the broker;
- second import of the same file (nothing changed: no events but the run's own);
- a raw ``COPY`` of the same file into a table of text columns in the same database;
- peak RSS of the process;
- for each import, the CPU it cost per invoice in this process, in the PostgreSQL backends of
  the bench's database and in the embedded broker: on a small machine the three share the
  cores, so this shows where the time goes.

For ``--big`` rows it repeats the first import (with publishing) in a fresh process, for peak RSS
at that size. Figures are printed, not asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).parent))
from importer_parse import HEADER, write_export

from settle_importer.app import SERVICE, context_for
from settle_importer.application.importing import RunOptions, execute_run, start_run
from settle_importer.settings import ImporterSettings
from settle_importer.sources import CsvMapping, CsvSource
from settle_shared.db import create_engine, session_factory
from settle_shared.embedded.broker import start_broker, wait_for_broker
from settle_shared.kafka import catalogue_topics, ensure_topics
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.outbox import KafkaSender, OutboxRelay
from settle_shared.testing.infra import LOCAL_POSTGRES

# SETTLE_BENCH_RELAY_AFTER=1: publish only after the import, to see the two costs apart.
RELAY_AFTER = bool(os.environ.get("SETTLE_BENCH_RELAY_AFTER"))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (0 for one that is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used during a measurement by this process, the PostgreSQL backends serving the
    bench's database and the broker: where the time of an import goes on a machine whose
    cores all three share."""

    def __init__(self, engine, database: str, broker_pid: int) -> None:
        self.engine = engine
        self.database = database
        self.broker_pid = broker_pid

    async def _backends(self) -> list[int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                {"name": self.database},
            )
            return [int(pid) for pid in rows.scalars()]

    async def snapshot(self) -> dict[str, float]:
        backends = await self._backends()
        return {
            "importer": time.process_time(),
            "broker": cpu_seconds(self.broker_pid) if self.broker_pid else 0.0,
            **{f"pg{pid}": cpu_seconds(pid) for pid in backends},
        }

    @staticmethod
    def report(before: dict[str, float], after: dict[str, float], rows: int) -> str:
        used = {name: after[name] - before.get(name, 0.0) for name in after}
        postgres = sum(v for k, v in used.items() if k.startswith("pg"))
        parts = {"importer": used["importer"], "PostgreSQL": postgres, "broker": used["broker"]}
        shown = ", ".join(f"{name} {1e6 * sec / rows:,.0f}" for name, sec in parts.items())
        return f"CPU per invoice (µs): {shown}; {1e6 * sum(parts.values()) / rows:,.0f} in all"


async def import_and_publish(
    ctx, relay: OutboxRelay, path: Path, administration_id: str, meter: CpuMeter
) -> tuple[float, int, dict[str, int]]:
    """Seconds from the start of the run until its last event is published; events published."""
    done = asyncio.Event()
    published = 0

    async def relay_loop() -> None:
        nonlocal published
        if RELAY_AFTER:
            await done.wait()
        while not done.is_set():
            n = await relay.publish_pending()
            published += n
            if not n:
                await asyncio.sleep(0.02)
        while n := await relay.publish_pending():
            published += n

    before = await meter.snapshot()
    started = time.perf_counter()
    relaying = asyncio.create_task(relay_loop())
    run_id = await start_run(
        ctx, administration_id, source="csv", source_name=path.name, trigger="command_line"
    )
    outcome = await execute_run(
        ctx,
        administration_id,
        run_id,
        lambda: CsvSource(path, CsvMapping.dutch()),
        RunOptions(complete=True),
    )
    imported = time.perf_counter() - started
    done.set()
    await relaying
    seconds = time.perf_counter() - started
    after = await meter.snapshot()
    print(
        f"  (import itself {imported:.2f} s, then publishing the rest {seconds - imported:.2f} s)"
    )
    print(f"  {CpuMeter.report(before, after, outcome.counts['records'])}")
    assert outcome.status == "succeeded", outcome.error
    return seconds, published, outcome.counts


async def raw_copy(url: str, path: Path) -> float:
    import asyncpg

    columns = [c.strip().lower().replace("-", "_") for c in HEADER.split(";")]
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            "CREATE TABLE raw_export (" + ", ".join(f'"{c}" text' for c in columns) + ")"
        )
        started = time.perf_counter()
        await conn.copy_to_table(
            "raw_export", source=str(path), format="csv", delimiter=";", header=True
        )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def measure(rows: int, bootstrap: str, server: str, *, second: bool, broker_pid: int) -> None:
    name = f"settle_bench_importer_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"{server}/{name}"
    folder = Path(tempfile.mkdtemp(prefix="settle-bench-"))
    path = folder / "export.csv"
    write_export(path, rows)
    engine = create_engine(url)
    try:
        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
        await ensure_topics(bootstrap, catalogue_topics(), partitions=6)
        settings = ImporterSettings(database_url=url, kafka_bootstrap_servers=bootstrap)
        sessions = session_factory(engine)
        ctx = context_for(settings, sessions)
        relay = OutboxRelay(
            engine=engine,
            sessions=sessions,
            metadata=SERVICE.metadata,
            sender=KafkaSender(bootstrap, idempotence=False, client_id="bench-importer"),
            bootstrap_servers=bootstrap,
            clock=ctx.clock,
            batch_size=5000,
        )
        await relay.start()
        meter = CpuMeter(admin, name, broker_pid)
        first_s, first_events, counts = await import_and_publish(
            ctx, relay, path, "adm-bench", meter
        )
        print(f"rows (invoices)           {rows:>10,}  ({rows // 5:,} debtors)")
        print(
            f"first import + publish    {rows / first_s:>10,.0f} invoices/s  ({first_s:.2f} s, "
            f"{first_events:,} events, {counts['new']:,} new)"
        )
        if second:
            second_s, second_events, counts = await import_and_publish(
                ctx, relay, path, "adm-bench", meter
            )
            print(
                f"second import (no change) {rows / second_s:>10,.0f} invoices/s  "
                f"({second_s:.2f} s, {second_events:,} event(s), {counts['unchanged']:,} "
                f"unchanged): {first_s / second_s:.1f}x faster than the first"
            )
            copy_s = await raw_copy(url, path)
            print(
                f"raw COPY of the same file {rows / copy_s:>10,.0f} rows/s      ({copy_s:.2f} s): "
                f"the import takes {first_s / copy_s:.1f}x as long"
            )
        print(f"peak RSS                  {peak_rss_mib():>10,.0f} MiB")
        await relay.stop()
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000, help="0: skip")
    parser.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--bootstrap", default="", help=argparse.SUPPRESS)
    parser.add_argument("--broker-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    server = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
    if args.child:
        asyncio.run(
            measure(
                args.child,
                args.bootstrap,
                server,
                second=args.child == args.rows,
                broker_pid=args.broker_pid,
            )
        )
        return

    def child(rows: int, bootstrap: str, broker_pid: int) -> None:
        # A fresh process per size, so peak RSS is that size's own.
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(rows),
                "--rows",
                str(args.rows),
                "--bootstrap",
                bootstrap,
                "--broker-pid",
                str(broker_pid),
            ],
            check=True,
        )

    def all_sizes(bootstrap: str, broker_pid: int = 0) -> None:
        child(args.rows, bootstrap, broker_pid)
        if args.big:
            print()
            child(args.big, bootstrap, broker_pid)

    if bootstrap := os.environ.get("SETTLE_TEST_KAFKA_BOOTSTRAP"):
        all_sizes(bootstrap)  # a broker elsewhere: its CPU is not counted
        return
    # The embedded broker, started here so its CPU can be counted.
    port = free_port()
    broker = start_broker(port)
    bootstrap = f"127.0.0.1:{port}"
    try:
        asyncio.run(wait_for_broker(bootstrap))
        all_sizes(bootstrap, broker.pid)
    finally:
        broker.terminate()
        broker.wait(10)


if __name__ == "__main__":
    main()
