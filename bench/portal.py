"""The debtor portal's page under load: a reminder's link opened at a fixed rate, with a million
invoices in the read model, beside a hello-world endpoint in the same run.

Fills the read model as bench/gateway_read_model.py does (one administration of N invoices and
N/5 debtors, ten smaller ones beside it) and gives every debtor of the large administration a
reminder in rm_messages, then starts the gateway as bench/gateway_load.py does (uvicorn,
`--workers` processes, PostgreSQL by default) and drives, open loop, first the hello-world
endpoint and then `GET /portal/<token>`: each request opens the link of a random debtor's
reminder (one to three of its invoices, signed as messaging signs them), so every request
verifies a token, checks the address's limit, and reads the debtor, its open invoices, the
reminder's invoices, its reminders and payments.

    .venv/bin/python bench/portal.py --invoices 1000000 --rate 50 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from gateway_load import (
    CONNECTIONS,
    HOST,
    POSTGRES,
    TIMEOUT_S,
    Request,
    Result,
    Stalls,
    all_workers_started,
    drive,
    free_port,
    idle,
    postgres_database,
    report,
    serve_gateway,
    serve_hello,
    wait_until_up,
)
from gateway_read_model import ADM, NOW, fill, fill_postgres

from settle_gateway.adapters.tables import rm_invoices
from settle_gateway.app import SERVICE
from settle_shared.db import create_engine
from settle_shared.migrations import upgrade
from settle_shared.portal_links import DEVELOPMENT_SECRET, PortalLink, sign_portal_link
from settle_shared.service import tune_garbage_collection

# Debtors whose links are opened: enough that the pages are not one hot row.
LINKS = 2_000
MESSAGE_COLUMNS = (
    "message_id, administration_id, debtor_id, thread_id, direction, state, channel, subject, "
    "detail, invoice_ids, read, read_at, created_at, state_at"
)


def reminders(debtors: int) -> list[tuple[Any, ...]]:
    """A reminder sent to every debtor of the large administration, a week before NOW."""
    sent = NOW - timedelta(days=7)
    return [
        (f"m{n}", ADM, f"d{n}", f"t{n}", "outbound", "sent", "email", None, None, "[]", True,
         None, sent, sent)
        for n in range(debtors)
    ]  # fmt: skip


async def add_reminders(url: str, debtors: int) -> None:
    rows = reminders(debtors)
    if url.startswith("sqlite"):
        db = sqlite3.connect(url.split("///", 1)[1])
        db.executemany(
            f"INSERT INTO rm_messages ({MESSAGE_COLUMNS}) VALUES ({','.join('?' * 14)})",
            [(*row[:12], row[12].isoformat(), row[13].isoformat()) for row in rows],
        )
        db.commit()
        db.close()
        return
    import asyncpg

    db = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await db.copy_records_to_table(
            "rm_messages", columns=[c.strip() for c in MESSAGE_COLUMNS.split(",")], records=rows
        )
        await db.execute("ANALYZE rm_messages")
    finally:
        await db.close()


async def portal_links(url: str, debtors: int) -> list[str]:
    """Paths of reminder links of LINKS random debtors, each for one to three of its open
    invoices, signed with the development secret the gateway runs with here."""
    rng = random.Random(3)
    chosen = [f"d{n}" for n in rng.sample(range(debtors), min(LINKS, debtors))]
    engine = create_engine(url)
    owned: dict[str, list[str]] = defaultdict(list)
    try:
        async with engine.connect() as conn:
            for start in range(0, len(chosen), 500):
                rows = await conn.execute(
                    sa.select(rm_invoices.c.debtor_id, rm_invoices.c.invoice_id).where(
                        rm_invoices.c.administration_id == ADM,
                        rm_invoices.c.debtor_id.in_(chosen[start : start + 500]),
                    )
                )
                for debtor_id, invoice_id in rows:
                    owned[debtor_id].append(invoice_id)
    finally:
        await engine.dispose()
    secret = DEVELOPMENT_SECRET.encode()
    paths = []
    for debtor_id in chosen:
        invoices = owned.get(debtor_id) or []
        picked = tuple(rng.sample(invoices, min(len(invoices), rng.randint(1, 3))))
        link = PortalLink(ADM, debtor_id, picked, f"t{debtor_id}", NOW + timedelta(days=60))
        paths.append(f"/portal/{sign_portal_link(link, secret)}")
    return paths


async def warm_up_pages(
    client: aiohttp.ClientSession, next_request: Callable[[], Request], rounds: int, workers: int
) -> None:
    """As gateway_load.warm_up, for HTML pages (no JSON to decode)."""
    for _ in range(rounds):
        batch = [next_request() for _ in range(2 * workers)]
        for status in await asyncio.gather(
            *(_status(client, path, params) for path, params in batch)
        ):
            if status != 200:
                raise RuntimeError(f"warm-up answered {status}")


async def _status(client: aiohttp.ClientSession, url: str, params: dict[str, Any]) -> int:
    async with client.get(url, params=params) as response:
        await response.read()
        return response.status


async def measure(
    folder: Path, url: str, paths: list[str], rate: float, seconds: float, warmup: int, workers: int
) -> None:
    gateway_port, hello_port = free_port(), free_port()
    spawn = multiprocessing.get_context("spawn")
    gateway = spawn.Process(target=serve_gateway, args=(url, gateway_port, workers, folder))
    hello = spawn.Process(target=serve_hello, args=(hello_port, folder / "hello.log"), daemon=True)
    gateway.start()
    hello.start()
    gateway_url, hello_url = f"http://{HOST}:{gateway_port}", f"http://{HOST}:{hello_port}"
    rng = random.Random(4)
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        ) as client:
            await wait_until_up(client, f"{gateway_url}/health/live", gateway)
            await all_workers_started(folder / "gateway.log", workers)
            await wait_until_up(client, f"{hello_url}/hello", hello)
            cases: dict[str, Callable[[], Request]] = {
                "hello-world": lambda: (f"{hello_url}/hello", {}),
                "portal page (reminder link)": lambda: (f"{gateway_url}{rng.choice(paths)}", {}),
            }
            results: list[Result] = []
            for name, next_request in cases.items():
                await warm_up_pages(client, next_request, warmup, workers)
                with Stalls() as stalls:
                    result = await drive(client, name, next_request, {}, rate, seconds)
                result.stalls = stalls
                results.append(result)
                await idle(client, f"{gateway_url}/health/live")
    finally:
        for process in (gateway, hello):
            process.terminate()
            process.join(10)
    report(results, rate, seconds, workers)
    portal = results[1]
    print(
        json.dumps(
            {
                "portal_p99_ms": round(portal.quantiles()[2], 1),
                "hello_p99_ms": round(results[0].quantiles()[2], 1),
                "rate": rate,
                "errors": sum(portal.errors.values()),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=10_000, help="invoices per other adm.")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="duration per endpoint")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds per endpoint")
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL, no database part")
    parser.add_argument("--workers", type=int, default=2, help="gateway worker processes")
    args = parser.parse_args()
    debtors = max(1, args.invoices // 5)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        if args.database == "sqlite":
            path = Path(folder) / "gateway.db"
            url = f"sqlite+aiosqlite:///{path}"
            upgrade(SERVICE.migrations_dir, url)
            fill(path, args.invoices, args.others)
            database: contextlib.AbstractContextManager[str] = contextlib.nullcontext(url)
        else:
            database = postgres_database(args.postgres)
        with database as url:
            if args.database == "postgresql":
                upgrade(SERVICE.migrations_dir, url)
                asyncio.run(fill_postgres(url, args.invoices, args.others))
            asyncio.run(add_reminders(url, debtors))
            print(
                f"filled {args.invoices} invoices and {debtors} reminders into {args.database}"
                f" in {time.perf_counter() - started:.0f} s"
            )
            paths = asyncio.run(portal_links(url, debtors))
            tune_garbage_collection()
            os.sync()
            asyncio.run(
                measure(
                    Path(folder),
                    url,
                    paths,
                    args.rate,
                    args.seconds,
                    args.warmup,
                    args.workers,
                )
            )


if __name__ == "__main__":
    main()
