"""Steady load on a running stack after its first day: the bookkeeping export changes and is
dropped again every few seconds (partial payments, paid invoices, new invoices) while
debtors answer their reminders by mail; then, per consumer, the lag from each event's commit
in its producer to the consumer transaction that applied it.

The producer's side is the event's `ce_time`, taken in the transaction that wrote the event to
its outbox; the consumer's side is its inbox row's `processed_at`, taken when the transaction
that applied the event began (a batch's events share it). Both come from the same business
clock (real time shifted by the clock file's offset), so their difference is real time.

Shared by bench/pipeline.py (`--steady SECONDS`, which prints the lags) and
tests/e2e/test_first_day.py (which checks that nothing of the stream was lost)."""

from __future__ import annotations

import asyncio
import email
import random
import smtplib
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from settle_shared.clock import FileClock

from .first_day import (
    ADMINISTRATION,
    HEADER,
    HEADERS,
    PostgresStack,
    amount_cents,
    export_row,
    opening_cents,
    poll,
)

CHANGED_SHARE = 0.005  # of the open invoices, per export: half paid in part, a quarter settled
REPLY_TEXT = "Wij betalen volgende week. Kenmerk {token}."


@dataclass
class Book:
    """The bookkeeping behind the export: what each invoice (by number) has open. A paid
    invoice stays in the export with nothing open, as the fault suite's exports list them
    (the demo connection is not a complete list, so leaving it out would settle nothing)."""

    open_cents: dict[int, int]
    next_number: int
    rng: random.Random

    @classmethod
    def after_first_day(cls, invoices: int, seed: int = 7) -> Book:
        return cls({n: opening_cents(n) for n in range(invoices)}, invoices, random.Random(seed))

    def change(self) -> None:
        """A day's worth of bookkeeping in a few seconds: partial payments, settled invoices
        (they leave the export) and new invoices."""
        open_ones = sorted(n for n, cents in self.open_cents.items() if cents)
        picked = self.rng.sample(open_ones, max(4, int(len(open_ones) * CHANGED_SHARE)))
        partly, settled = picked[: len(picked) // 2], picked[len(picked) // 2 :][::2]
        for n in partly:
            self.open_cents[n] = max(100, self.open_cents[n] // 2)
        for n in settled:
            self.open_cents[n] = 0
        for _ in range(len(settled)):
            self.open_cents[self.next_number] = amount_cents(self.next_number)
            self.next_number += 1

    def write(self, path: Path) -> None:
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(HEADER)
            for n, cents in sorted(self.open_cents.items()):
                out.write(export_row(n, cents))

    def totals(self) -> tuple[int, Decimal]:
        open_ones = [cents for cents in self.open_cents.values() if cents]
        return len(open_ones), Decimal(sum(open_ones)) / 100


@dataclass
class Lag:
    """The lags of one consumer (or one topic into it), seconds."""

    seconds: list[float] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        if len(self.seconds) < 2:
            return self.seconds[0] if self.seconds else 0.0
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[int(q * 100) - 1]


@dataclass
class Steady:
    """What the stream did, and the lags it measured."""

    seconds: float = 0.0
    exports: int = 0
    replies: int = 0
    events: int = 0  # produced during the stream and after it, up to the consumers' catch-up
    by_consumer: dict[str, Lag] = field(default_factory=lambda: defaultdict(Lag))
    by_flow: dict[tuple[str, str], Lag] = field(default_factory=lambda: defaultdict(Lag))
    consumed: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    caught_up_s: float = 0.0


async def steady_load(
    stack: PostgresStack,
    book: Book,
    seconds: float,
    *,
    every_s: float = 5.0,
    replies_per_s: float = 1.0,
) -> Steady:
    """Run the stream for `seconds`, wait for every consumer to catch up, measure the lags."""
    steady = Steady()
    clock = FileClock(stack.config.clock_file)
    started_at = clock.now()
    mails = _answerable(stack.config.var_dir / "mail")
    base = f"{stack.urls['importer']}/internal/v1/administrations/{ADMINISTRATION}/runs"
    async with httpx.AsyncClient(timeout=30) as client:

        async def finished_runs() -> int:
            runs = (await client.get(base, headers=HEADERS)).json()["runs"]
            return sum(1 for r in runs if r["status"] in ("succeeded", "failed"))

        runs_before = await finished_runs()
        began = time.monotonic()
        next_export = next_reply = began
        while (now := time.monotonic()) - began < seconds:
            if now >= next_export and await finished_runs() == runs_before + steady.exports:
                # The next export once the last is imported, as a bookkeeping job would.
                book.change()
                drop(stack, book, f"openstaande-posten-{steady.exports + 1:04d}.csv")
                steady.exports += 1
                next_export = now + every_s
            if now >= next_reply and steady.replies < len(mails):
                await asyncio.to_thread(_reply, stack, mails[steady.replies], steady.replies)
                steady.replies += 1
                next_reply = now + 1 / replies_per_s
            await asyncio.sleep(0.05)
        steady.seconds = time.monotonic() - began
        settled = time.monotonic()
        await poll(
            "the last export's import run",
            _at_least(finished_runs, runs_before + steady.exports),
            600,
        )
        await _caught_up(stack)
        steady.caught_up_s = time.monotonic() - settled
    await _measure(stack, started_at, steady)
    return steady


def drop(stack: PostgresStack, book: Book, name: str) -> None:
    """Deliver the export whole into the administration's drop folder."""
    partial = stack.config.var_dir / "inbox" / f"{name}.partial"
    book.write(partial)
    partial.replace(stack.config.var_dir / "inbox" / ADMINISTRATION / name)


def _answerable(folder: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["Reply-To"]:
            found.append(message)
    return found  # type: ignore[return-value]


def _reply(stack: PostgresStack, to: EmailMessage, number: int) -> None:
    reply = EmailMessage()
    reply["From"] = to["To"]
    reply["To"] = to["Reply-To"]
    reply["Subject"] = f"Re: {to['Subject']}"
    reply["In-Reply-To"] = to["Message-ID"]
    reply["Message-ID"] = f"<steady-{number}@debiteur.example>"
    reply.set_content(REPLY_TEXT.format(token=f"STEADY{number:05d}"))
    with smtplib.SMTP("127.0.0.1", stack.config.inbound_smtp_port, timeout=15) as smtp:
        smtp.send_message(reply)


def _at_least(count, target: int):  # type: ignore[no-untyped-def]
    async def check() -> bool:
        return await count() >= target

    return check


async def _caught_up(stack: PostgresStack, quiet_s: float = 3.0, timeout_s: float = 600) -> None:
    """Wait until no consumer's inbox has grown for `quiet_s`."""
    last: dict[str, int] = {}
    quiet_since = time.monotonic()
    deadline = quiet_since + timeout_s
    while time.monotonic() < deadline:
        counts = {name: await _inbox_count(stack, name) for name in stack.services}
        if counts != last:
            last, quiet_since = counts, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"the consumers were still busy after {timeout_s:.0f} s")


async def _inbox_count(stack: PostgresStack, service: str) -> int:
    conn = await asyncpg.connect(stack.dsn(service))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM inbox"))
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


async def _measure(stack: PostgresStack, since: datetime, steady: Steady) -> None:
    produced = await _produced_since(stack, since)
    steady.events = len(produced)
    for service in stack.services:
        conn = await asyncpg.connect(stack.dsn(service))
        try:
            rows = await conn.fetch(
                "SELECT event_id, topic, processed_at FROM inbox WHERE processed_at >= $1", since
            )
        except asyncpg.UndefinedTableError:
            rows = []
        finally:
            await conn.close()
        for row in rows:
            event = produced.get(row["event_id"])
            if event is None:
                continue
            event_type, made_at = event
            lag = (row["processed_at"] - made_at).total_seconds()
            steady.by_consumer[service].seconds.append(lag)
            steady.by_flow[(row["topic"], service)].seconds.append(lag)
            steady.consumed[(event_type, service)] += 1


async def _produced_since(stack: PostgresStack, since: datetime) -> dict[str, tuple[str, datetime]]:
    """Every event on the broker's topics whose `ce_time` is at or after `since`: its id, type
    and time, read from the records' headers (dead-letter topics left out)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.config.bootstrap,
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: dict[str, tuple[str, datetime]] = {}
    try:
        partitions = [
            TopicPartition(topic, partition)
            for topic in await consumer.topics()
            if not topic.endswith(".dlt")
            for partition in consumer.partitions_for_topic(topic) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > 0}
        while remaining:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batches.values():
                for record in records:
                    headers = {name: value.decode() for name, value in record.headers or ()}
                    made_at = datetime.fromisoformat(headers["ce_time"])
                    if made_at >= since:
                        found[headers["ce_id"]] = (headers["ce_type"], made_at)
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    return found
