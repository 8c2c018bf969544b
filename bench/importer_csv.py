"""Importer end to end on PostgreSQL: a Dutch CSV export imported, every event published.

    .venv/bin/python bench/importer_csv.py [--rows 100000] [--big 1000000]

For ``--rows`` (one debtor per five invoices: 100,000 invoices, 20,000 debtors) it creates its
own database on PostgreSQL (127.0.0.1:5432 or SETTLE_TEST_POSTGRES_URL) and an embedded broker
(or SETTLE_TEST_KAFKA_BOOTSTRAP), then measures, in one process:

- first import: parse, reconcile, snapshot and outbox written per chunk, with the outbox relay
  publishing concurrently from a process of its own (``settle relay importer``, as the
  importer runs in production), so the importing process only imports; the clock stops when
  the outbox queue is empty, that is when the broker has acknowledged the last event;
- second import of the same file (nothing changed: no events but the run's own), which the
  importer knows by its digest and does not read again;
- third import: the same rows with Windows line endings, so every record is read and compared
  with the snapshot (the cost of a daily import in which little changed);
- a raw ``COPY`` of the same file into a table of text columns in the same database;
- peak RSS of the importing process and of the relay process;
- for each import, the CPU it cost per invoice in this process, in the relay process, in the
  PostgreSQL backends of the bench's database and in the embedded broker: on a small machine
  they all share the cores, so this shows where the time goes; and the CPU time the virtual
  machine's host took away meanwhile (steal), which slows a run without being its doing.

For ``--big`` rows it repeats the first import (with publishing) in a fresh process, for peak RSS
at that size. Figures are printed, not asserted: they depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from importer_parse import HEADER, write_export
from machine import steal_seconds

from settle_importer.adapters.sources import CsvMapping, CsvSource
from settle_importer.app import SERVICE, context_for
from settle_importer.application.importing import RunOptions, execute_run, start_run
from settle_importer.settings import ImporterSettings
from settle_shared.db import create_engine, session_factory
from settle_shared.embedded.broker import start_broker, wait_for_broker
from settle_shared.kafka import catalogue_topics, ensure_topics
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.service import tune_garbage_collection
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database
from settle_shared.testing.service import announce_administration

# SETTLE_BENCH_RELAY_AFTER=1: publish only after the import, to see the two costs apart.
RELAY_AFTER = bool(os.environ.get("SETTLE_BENCH_RELAY_AFTER"))
# The relay process's poll interval: an idle relay is woken by the import's first commit, and
# after a pass that published it waits this long to gather the next one. The service's
# default: 0.05 s cost the relay more passes of fewer events each, and the run more time.
RELAY_POLL_S = os.environ.get("SETTLE_BENCH_RELAY_POLL_S", "0.2")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_of_mib(pid: int) -> float:
    """Peak RSS of another process that is still running (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (0 for one that is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used during a measurement by this process, the relay process, the PostgreSQL
    backends serving the bench's database and the broker: where the time of an import goes
    on a machine whose cores they all share."""

    def __init__(self, engine, broker_pid: int, relay_pid: int) -> None:
        self.engine = engine  # one on the bench's database
        self.broker_pid = broker_pid
        self.relay_pid = relay_pid

    async def _backends(self) -> list[int]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
            return [int(pid) for pid in rows.scalars()]

    async def snapshot(self) -> dict[str, float]:
        backends = await self._backends()
        return {
            "importer": time.process_time(),
            "relay": cpu_seconds(self.relay_pid),
            "broker": cpu_seconds(self.broker_pid) if self.broker_pid else 0.0,
            "steal": steal_seconds() or 0.0,
            **{f"pg{pid}": cpu_seconds(pid) for pid in backends},
        }

    @staticmethod
    def report(before: dict[str, float], after: dict[str, float], rows: int) -> str:
        used = {name: after[name] - before.get(name, 0.0) for name in after}
        postgres = sum(v for k, v in used.items() if k.startswith("pg"))
        parts = {
            "importer": used["importer"],
            "relay": used["relay"],
            "PostgreSQL": postgres,
            "broker": used["broker"],
        }
        shown = ", ".join(f"{name} {1e6 * sec / rows:,.0f}" for name, sec in parts.items())
        return (
            f"CPU per invoice (µs): {shown}; {1e6 * sum(parts.values()) / rows:,.0f} in all;"
            f" the host took {used['steal']:.2f} s of CPU meanwhile (steal)"
        )


class RelayProcess:
    """`settle relay importer` on the bench's database, as production runs it beside an
    importer whose own relay is off."""

    def __init__(self, url: str, bootstrap: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "SETTLE_CLI_NO_PLUGINS": "1",
            "SETTLE_IMPORTER_DATABASE_URL": url,
            "SETTLE_IMPORTER_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SETTLE_IMPORTER_OUTBOX_RELAY_IN_PROCESS": "false",
            "SETTLE_IMPORTER_OUTBOX_BATCH_SIZE": "5000",
            "SETTLE_IMPORTER_OUTBOX_POLL_INTERVAL_S": RELAY_POLL_S,
            "SETTLE_IMPORTER_LOG_LEVEL": "WARNING",
            "SETTLE_IMPORTER_LOG_FORMAT": "console",
        }
        command = [sys.executable, "-m", "settle_shared.cli.main", "relay", "importer"]
        self.process = subprocess.Popen([*command, "--port", str(self.port)], env=env)
        self.pid = self.process.pid

    async def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"settle relay exited with {self.process.returncode}")
                try:
                    url = f"http://127.0.0.1:{self.port}/health/ready"
                    if (await client.get(url)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError("settle relay not ready")

    def pause(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        if self.process.wait(30) != 0:
            raise RuntimeError(f"settle relay exited with {self.process.returncode}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


async def outbox_size(engine) -> int:
    """Events in the outbox: single rows and the events of batch rows."""
    query = sa.text(
        "SELECT (SELECT count(*) FROM outbox)"
        " + (SELECT coalesce(sum(events), 0) FROM outbox_batches)"
    )
    async with engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def until_published(engine) -> None:
    """Until the relay has taken every event off the queue, which it does once the broker
    has acknowledged them."""
    query = sa.text("SELECT EXISTS (SELECT 1 FROM outbox_pending)")
    async with engine.connect() as conn:
        while await conn.scalar(query):
            await conn.rollback()
            await asyncio.sleep(0.01)


async def import_and_publish(
    ctx, engine, relay: RelayProcess, path: Path, administration_id: str, meter: CpuMeter
) -> tuple[float, int, dict[str, int]]:
    """Seconds from the start of the run until its last event is published; events published."""
    events_before = await outbox_size(engine)
    before = await meter.snapshot()
    if RELAY_AFTER:
        relay.pause()
    started = time.perf_counter()
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
    if RELAY_AFTER:
        relay.resume()
    await until_published(engine)
    seconds = time.perf_counter() - started
    after = await meter.snapshot()
    published = await outbox_size(engine) - events_before
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
    with tempfile.TemporaryDirectory(prefix="settle-bench-") as folder:
        path = Path(folder) / "export.csv"
        write_export(path, rows)
        async with scratch_database(server, "settle_bench_importer") as url:
            await measure_on(url, path, rows, bootstrap, second=second, broker_pid=broker_pid)


async def measure_on(
    url: str, path: Path, rows: int, bootstrap: str, *, second: bool, broker_pid: int
) -> None:
    engine = create_engine(url)
    relay: RelayProcess | None = None
    try:
        await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
        # As the gateway announces it: the importer imports only into known administrations.
        await announce_administration(SERVICE, url, "adm-bench", scheduler_enabled=False)
        await ensure_topics(bootstrap, catalogue_topics(), partitions=6)
        settings = ImporterSettings(
            database_url=url, kafka_bootstrap_servers=bootstrap, outbox_relay_in_process=False
        )
        sessions = session_factory(engine)
        ctx = context_for(settings, sessions)
        tune_garbage_collection()  # as the importer service does once it has started
        relay = RelayProcess(url, bootstrap)
        await relay.wait_ready()
        meter = CpuMeter(engine, broker_pid, relay.pid)
        first_s, first_events, counts = await import_and_publish(
            ctx, engine, relay, path, "adm-bench", meter
        )
        print(f"rows (invoices)           {rows:>10,}  ({rows // 5:,} debtors)")
        print(
            f"first import + publish    {rows / first_s:>10,.0f} invoices/s  ({first_s:.2f} s, "
            f"{first_events:,} events, {counts['new']:,} new)"
        )
        if second:

            async def again(label: str, file: Path, how: str) -> None:
                seconds, events, counts = await import_and_publish(
                    ctx, engine, relay, file, "adm-bench", meter
                )
                print(
                    f"{label:<25} {rows / seconds:>10,.0f} invoices/s  ({seconds:.2f} s, "
                    f"{events:,} event(s), {counts['unchanged']:,} unchanged{how}): "
                    f"{first_s / seconds:.1f}x faster than the first"
                )

            await again("second import (no change)", path, "")
            # The same rows with Windows line endings: other bytes, so not known by the
            # digest, and every record is read and compared with the snapshot.
            crlf = path.with_name("export-crlf.csv")
            with path.open("rb") as lf, crlf.open("wb") as out:  # streamed: peak RSS is ours
                out.writelines(line.replace(b"\n", b"\r\n") for line in lf)
            await again("same rows, other bytes", crlf, ", each record read and compared")
            copy_s = await raw_copy(url, path)
            print(
                f"raw COPY of the same file {rows / copy_s:>10,.0f} rows/s      ({copy_s:.2f} s): "
                f"the import takes {first_s / copy_s:.1f}x as long"
            )
        print(f"peak RSS                  {peak_rss_mib():>10,.0f} MiB")
        print(f"peak RSS of the relay     {peak_rss_of_mib(relay.pid):>10,.0f} MiB")
        relay.stop()
    finally:
        if relay is not None:
            relay.kill()  # still running only when the bench failed
        await engine.dispose()


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
