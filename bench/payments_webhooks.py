"""Payments benchmark: Mollie webhooks handled end to end, against a bare endpoint.

    .venv/bin/python bench/payments_webhooks.py [COUNT] [CONCURRENCY]

Starts, as processes of their own: the local PSP (`settle payments local-psp`), the embedded
broker, and the payments service (`settle serve payments`, one worker) on PostgreSQL when one
answers on 127.0.0.1:5432, else on SQLite. It opens COUNT payments through the service's API,
marks each paid at the PSP (without its webhook), then measures, in the same run:

- floor: a bare FastAPI endpoint (one uvicorn worker) that takes the same form post and does
  the same fetch from the local PSP (GET /v2/payments/{id}?embed=refunds,chargebacks), nothing
  else;
- service: the payments service's /webhooks/mollie for each payment: find the payment, fetch
  it from the local PSP, store the new state, stage PaymentStatusChanged in the outbox; and
  until the relay has published every event to the broker.

Both get COUNT webhooks from CONCURRENCY clients at once. Prints webhooks/s for both and the
ratio (target: at least 500/s end to end). Figures depend on the machine and are printed, not
asserted.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

import httpx
import sqlalchemy as sa

from settle_payments.adapters.psp.local_server import local_psp_process
from settle_payments.adapters.repositories import SqlPayableInvoices
from settle_payments.app import SERVICE
from settle_payments.domain.invoices import PayableInvoice
from settle_shared.db import create_engine, outbox_pending_table, session_factory, transaction
from settle_shared.migrations import upgrade
from settle_shared.testing.infra import embedded_broker, free_port, port_open

ADM = "adm-bench"
TOKEN = {"Authorization": "Bearer change-me"}

FLOOR_APP = """
import os
from urllib.parse import parse_qsl

import httpx
from fastapi import FastAPI, Request, Response

app = FastAPI()
client = httpx.AsyncClient(
    base_url=os.environ["PSP_URL"],
    headers={"Authorization": "Bearer " + os.environ["PSP_KEY"]},
    limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
)


@app.post("/webhooks/mollie")
async def webhook(request: Request) -> Response:
    fields = dict(parse_qsl((await request.body()).decode()))
    answer = await client.get(f"payments/{fields['id']}", params={"embed": "refunds,chargebacks"})
    answer.json()
    return Response(status_code=200)
"""


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready:\n{log.read_text()[-2000:]}")


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def database(work: Path) -> tuple[str, str | None]:
    """(URL, admin URL to drop it afterwards) on PostgreSQL when one answers, else SQLite."""
    if port_open("127.0.0.1", 5432):
        name = f"settle_bench_{os.getpid()}"
        admin = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", admin
    return f"sqlite+aiosqlite:///{work / 'payments.db'}", None


async def seed_invoices(url: str, count: int) -> None:
    engine = create_engine(url)
    async with transaction(session_factory(engine)) as session:
        invoices = SqlPayableInvoices(session)
        for i in range(count):
            await invoices.save(
                ADM,
                PayableInvoice(
                    f"inv-{i}", f"deb-{i}", f"2025-{i:05d}", "EUR", Decimal("121.00"), False, 1
                ),
            )
    await engine.dispose()


async def pending_events(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            table = outbox_pending_table(SERVICE.metadata)
            return int(await conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
    finally:
        await engine.dispose()


async def drained(url: str) -> None:
    """Return once the relay has published every staged event."""
    while await pending_events(url):  # noqa: ASYNC110 - another process's outbox
        await asyncio.sleep(0.05)


async def fire(url: str, ids: list[str], concurrency: int) -> tuple[float, int]:
    """Post one webhook per id from `concurrency` clients; (seconds, failures)."""
    queue = list(reversed(ids))
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                psp_id = queue.pop()
                answer = await client.post(url, data={"id": psp_id})
                failures += answer.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, failures


async def main(count: int, concurrency: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="settle-bench-payments-"))
    url, admin = await database(work)
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
    await seed_invoices(url, count)
    backend = "PostgreSQL" if admin else "SQLite"
    with ExitStack() as stack:
        psp = stack.enter_context(local_psp_process())
        bootstrap = stack.enter_context(embedded_broker())
        key = "change-me-test_local-psp-key-for-development"
        port = free_port()
        env = dict(os.environ)
        env.update({
            "SETTLE_PAYMENTS_DATABASE_URL": url,
            "SETTLE_PAYMENTS_HTTP_PORT": str(port),
            "SETTLE_PAYMENTS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "SETTLE_PAYMENTS_PSP_BASE_URL": f"{psp}/v2",
            "SETTLE_PAYMENTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "SETTLE_PAYMENTS_LOG_LEVEL": "WARNING",
            "SETTLE_PAYMENTS_REFRESH_INTERVAL_S": "3600",
        })  # fmt: skip
        service = start(
            [sys.executable, "-m", "settle_shared.cli.main", "serve", "payments"],
            env,
            work / "payments.log",
        )
        stack.callback(service.terminate)
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/health/ready", service, work / "payments.log")

        floor_port = free_port()
        (work / "floor_app.py").write_text(FLOOR_APP)
        floor = start(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "floor_app:app",
                "--port",
                str(floor_port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {**os.environ, "PSP_URL": f"{psp}/v2/", "PSP_KEY": key, "PYTHONPATH": str(work)},
            work / "floor.log",
        )
        stack.callback(floor.terminate)
        wait_ready(f"http://127.0.0.1:{floor_port}/docs", floor, work / "floor.log")

        print(f"opening {count} payments ({backend}) …", flush=True)
        psp_ids: list[str] = []
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(timeout=30, headers=TOKEN, limits=limits) as client:
            semaphore = asyncio.Semaphore(10)

            async def open_and_pay(i: int) -> None:
                async with semaphore:
                    for _ in range(10):  # a 503 is tried again with the same key, as a portal does
                        answer = await client.post(
                            f"{base}/api/v1/administrations/{ADM}/payments",
                            json={
                                "debtor_id": f"deb-{i}",
                                "invoice_ids": [f"inv-{i}"],
                                "idempotency_key": f"k-{i}",
                                "redirect_url": "https://portal.example/done",
                            },
                        )
                        if answer.status_code != 503:
                            break
                        await asyncio.sleep(1)
                    answer.raise_for_status()
                    psp_id = answer.json()["checkout_url"].rsplit("/", 1)[-1]
                    marked = await client.post(
                        f"{psp}/_local/payments/{psp_id}/status",
                        json={"status": "paid", "method": "ideal", "webhook": False},
                    )
                    marked.raise_for_status()
                    psp_ids.append(psp_id)

            await asyncio.gather(*(open_and_pay(i) for i in range(count)))
        await drained(url)  # the PaymentCreated events, out of the way

        floor_s, floor_failed = await fire(
            f"http://127.0.0.1:{floor_port}/webhooks/mollie", psp_ids, concurrency
        )
        answered_s, failed = await fire(f"{base}/webhooks/mollie", psp_ids, concurrency)
        started = time.perf_counter() - answered_s
        await drained(url)
        published_s = time.perf_counter() - started

    if admin:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"'))
        await engine.dispose()
    load = os.getloadavg()[0]
    print(f"webhooks: {count}, {concurrency} at once, database {backend}, "
          f"{os.cpu_count()} cores, load average {load:.1f} at the end")  # fmt: skip
    print(f"floor   (bare FastAPI, same fetch):  {count / floor_s:8.0f}/s  failed {floor_failed}")
    print(f"service (answered):                  {count / answered_s:8.0f}/s  failed {failed}")
    print(f"service (stored and published):      {count / published_s:8.0f}/s")
    print(f"ratio floor / service end to end:    {published_s / floor_s:8.2f}")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    asyncio.run(
        main(
            int(arguments[0]) if arguments else 2000,
            int(arguments[1]) if len(arguments) > 1 else 50,
        )
    )
