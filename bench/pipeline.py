"""The whole pipeline at scale: a large administration's first day, from the drop of its
bookkeeping export to the last reminder on disk and the dashboard right.

    .venv/bin/python bench/pipeline.py [--invoices 100000] [--steady SECONDS [--every 5]]

Starts the services as processes the way `settle up` does (tests/e2e/first_day.py: a fresh
PostgreSQL database per service on 127.0.0.1:5432, the embedded broker, the local SMTP server
writing var/mail), sets the business clock to a Wednesday, writes a Dutch export of N
invoices (one debtor per five, every tenth invoice 30 days overdue, so its first reminder is
due that day), drops it in the demo administration's drop folder and times, from the drop:

  (a) the import run finished; (b) dunning holds a state for every invoice and knows every
  debtor; (c) the daily run (started by hand on the business date, as the e2e tests do)
  finished; (d) every reminder is on disk in the mailbox; (e) the gateway's dashboard (count
  and total per phase) and its invoice list of reminded invoices agree with the export.

Prints each stage's time and share, the events each service consumed from each other one per
second (from the consumers' inboxes), each process's peak RSS and CPU time during the day
(from /proc; the PostgreSQL backends still connected to a service's database counted as
"postgres:<service>"), and the load average of the machine. Beside it, in the same run, the
floors of the per-service benches: a COPY of the export into PostgreSQL (bench/importer_csv.py),
the due-row scan on dunning's database (bench/dunning_daily_run.py; run between (b) and (c),
outside the stages' clock) and a bare SMTP loop sending as many messages as there are
reminders (bench/messaging_send.py), and the ratio of the day to their sum. Figures are
printed, not asserted: they depend on the machine.

With --steady, the same stack then carries a steady load for SECONDS (tests/e2e/steady_load.py):
the export changes and is dropped again every --every seconds (half a percent of the open
invoices changed: partial payments, settled and new invoices) while debtors answer their
reminders, one reply a second. Once every consumer has caught up it prints, per consumer and
per topic, the p50/p99/max lag from each event's commit in its producer (`ce_time`) to the
consumer transaction that applied it (its inbox row's `processed_at`).

The services get the shell's SETTLE_* variables, as under `settle up`: for instance
SETTLE_MESSAGING_RATE_LIMIT_PER_MINUTE=0 lifts messaging's limit of 600 mails per
administration per minute, which otherwise paces stage (d) at 10 reminders a second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import steal_seconds
from messaging_send import floor as smtp_floor
from messaging_send import start_mailbox

from settle_shared.net import free_port
from tests.e2e.first_day import (
    HEADER,
    STAGES,
    Day,
    Export,
    PostgresStack,
    first_day,
    phases_of,
    postgres_available,
    psql,
    write_export,
)
from tests.e2e.steady_load import Book, Steady, steady_load


async def copy_floor(export: Export) -> float:
    """A raw COPY of the export into a table of text columns in a fresh database."""
    database = f"settle_pipeline_copy_{os.getpid()}"
    psql(f'CREATE DATABASE "{database}"')
    try:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:5432/{database}")
        columns = [f"c{n}" for n in range(HEADER.count(";") + 1)]
        await conn.execute(f"CREATE TABLE export ({', '.join(c + ' text' for c in columns)})")
        started = time.perf_counter()
        await conn.copy_to_table(
            "export", source=export.path, format="csv", delimiter=";", header=True
        )
        took = time.perf_counter() - started
        await conn.close()
        return took
    finally:
        psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


async def mail_floor(count: int, folder: Path) -> float:
    """A bare aiosmtplib loop sending `count` pre-rendered reminders to a fresh local mailbox."""
    port = free_port()
    mailbox = start_mailbox(port, folder)
    try:
        return await smtp_floor(port, folder, count)
    finally:
        mailbox.terminate()
        mailbox.wait()


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(export: Export, day: Day, floors: dict[str, float], took_s: float, steal: float) -> str:
    lines = [
        f"first day of one administration: {export.invoices:,} invoices, "
        f"{export.invoices // 5:,} debtors, {export.overdue.count:,} due today",
        f"import run: {day.import_run.get('status')} {day.import_run.get('counts')}",
        f"daily run: {day.daily_run}",
        "",
        f"{'stage':<70} {'s':>8} {'share':>6}",
    ]
    for name, title in STAGES:
        seconds = day.stages[name]
        lines.append(f"{title:<70} {seconds:>8.1f} {seconds / day.total_s:>6.0%}")
    lines.append(f"{'from the drop to the dashboard right':<70} {day.total_s:>8.1f}")
    lines += ["", "floors (per-service benches, same run):"]
    for name, seconds in floors.items():
        lines.append(f"  {name:<58} {seconds:>8.2f} s")
    floor_sum = sum(floors.values())
    lines.append(f"  {'sum':<58} {floor_sum:>8.2f} s")
    lines.append(f"ratio day/floors: {day.total_s / floor_sum:.1f}x")
    lines += [
        "",
        "events consumed (topic -> consumer: events, transactions, s from first to last, per s):",
    ]
    for topic, consumer, events, batches, seconds in day.flows:
        rate = f"{events / seconds:>9.0f}/s" if seconds > 0 else f"{'-':>11}"
        lines.append(
            f"  {topic:<30} -> {consumer:<10} {events:>9,} {batches:>7,} {seconds:>8.1f} s {rate}"
        )
    lines += ["", f"{'process':<22} {'CPU s (day)':>12} {'peak RSS MiB':>13}"]
    for name in sorted(day.cpu_s):
        rss = day.peak_rss_mib.get(name)
        lines.append(f"{name:<22} {day.cpu_s[name]:>12.1f} {(f'{rss:.0f}' if rss else '-'):>13}")
    lines += [
        "",
        f"reminders on disk: {day.mails:,} (expected {export.reminders:,}); dashboard phases: "
        + ", ".join(f"{p} {c:,} / {t}" for p, (c, t) in sorted(phases_of(day.dashboard).items())),
        f"listed reminder_1: {day.listed.count:,} / {day.listed.total} "
        f"(export: {export.overdue.count:,} / {export.overdue.total})",
        f"due-row scan read {day.due_rows:,} rows",
        "messaging's rate limit: "
        + os.environ.get("SETTLE_MESSAGING_RATE_LIMIT_PER_MINUTE", "the default (600)")
        + " mails per administration per minute",
        f"whole bench {took_s:.0f} s; load average now {load_average()} "
        f"on {os.cpu_count()} cores; CPU stolen by the host during the day {steal:.1f} s",
    ]
    return "\n".join(lines)


def steady_report(steady: Steady) -> str:
    lines = [
        "",
        f"steady load: {steady.seconds:.0f} s, {steady.exports} exports dropped, "
        f"{steady.replies} replies sent, {steady.events:,} events produced; the consumers "
        f"caught up {steady.caught_up_s:.1f} s after the stream stopped",
        f"{'lag, commit in producer -> consumer transaction':<46} {'events':>8} "
        f"{'p50 s':>7} {'p99 s':>7} {'max s':>7}",
    ]

    def line(name: str, lag) -> str:  # type: ignore[no-untyped-def]
        return (
            f"  {name:<44} {len(lag.seconds):>8,} {lag.quantile(0.50):>7.2f} "
            f"{lag.quantile(0.99):>7.2f} {max(lag.seconds, default=0.0):>7.2f}"
        )

    for consumer in sorted(steady.by_consumer):
        lines.append(line(consumer, steady.by_consumer[consumer]))
        for (topic, into), lag in sorted(steady.by_flow.items()):
            if into == consumer:
                lines.append(line(f"  {topic}", lag))
    return "\n".join(lines)


async def main(invoices: int, keep: Path | None, steady_s: float, every_s: float) -> None:
    if not postgres_available():
        raise SystemExit("no PostgreSQL on 127.0.0.1:5432 for user postgres")
    started = time.monotonic()
    print(f"load average at start: {load_average()} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="settle-pipeline-") as scratch:
        folder = Path(scratch)
        export = write_export(folder / "export.csv", invoices)
        size = export.path.stat().st_size
        if size > int(os.environ.get("SETTLE_IMPORTER_UPLOAD_MAX_BYTES", 100 * 1024 * 1024)):
            # A million invoices make some 160 MB, above the importer's default limit.
            os.environ["SETTLE_IMPORTER_UPLOAD_MAX_BYTES"] = str(size)
            print(f"the importer's file limit raised to the export's {size:,} bytes", flush=True)
        stack = PostgresStack(keep or folder / "var")
        try:
            await stack.start()
            steal_before = steal_seconds() or 0.0
            day = await first_day(stack, export)
            steal = (steal_seconds() or 0.0) - steal_before
            steady = None
            if steady_s > 0:
                book = Book.after_first_day(invoices)
                steady = await steady_load(stack, book, steady_s, every_s=every_s)
        finally:
            stack.stop()
        floors = {
            f"COPY of {invoices:,} rows into PostgreSQL": await copy_floor(export),
            f"due-row scan ({day.due_rows:,} rows)": day.due_scan_s,
            f"bare SMTP loop, {export.reminders:,} messages": await mail_floor(
                export.reminders, folder / "floor-mail"
            ),
        }
        print(report(export, day, floors, time.monotonic() - started, steal), flush=True)
        if steady is not None:
            print(steady_report(steady), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument(
        "--var", type=Path, help="keep the stack's logs and mail here (default: a temporary folder)"
    )
    parser.add_argument(
        "--steady", type=float, default=0, metavar="SECONDS", help="then a steady load this long"
    )
    parser.add_argument("--every", type=float, default=5.0, help="seconds between exports")
    args = parser.parse_args()
    # A bench stopped with SIGTERM (`timeout`, `kill`) still stops its stack and drops its
    # databases: the exit runs the `finally` blocks.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    asyncio.run(main(args.invoices, args.var, args.steady, args.every))
