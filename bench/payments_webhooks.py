"""Payments benchmark: Mollie webhooks handled end to end, against a bare endpoint.

    .venv/bin/python bench/payments_webhooks.py [COUNT] [CONCURRENCY] [--profile DIR]

Starts, as processes of their own: the local PSP (`settle_payments.adapters.psp.local_server`),
the embedded broker, and the payments service (`settle serve payments`, one worker) on
PostgreSQL when one answers on 127.0.0.1:5432, else on SQLite. It opens COUNT payments through
the service's API, marks each paid at the PSP (without its webhook), then measures, in the
same run:

- floor: a bare FastAPI endpoint (one uvicorn worker) that takes the same form post and does
  the same fetch from the local PSP with the service's own Mollie client
  (MolliePsp.get_payment: GET /v2/payments/{id}?embed=refunds,chargebacks), nothing else;
- service: the payments service's /webhooks/mollie for each payment: find the payment, fetch
  it from the local PSP, store the new state, stage PaymentStatusChanged in the outbox; and
  until the relay has published every event to the broker;
- floor again, after the service: on a machine shared with other work the floor moves, and
  the ratio is to the mean of both.

Each gets COUNT webhooks from CONCURRENCY clients at once (aiohttp's client: httpx's costs
several times the CPU per request, and the generator shares the cores with what it measures).
Prints webhooks/s, the ratio of the service to the floor (target: at least 500/s end to end),
the load average and the CPU time the host took away (steal), and the CPU time each of our
processes spent per webhook. Figures depend on the machine and are printed, not asserted.

--profile DIR samples the server processes of each phase with py-spy (a dev dependency) and
writes their collapsed stacks to DIR (`<phase>-<process>.txt`; speedscope.app and
flamegraph.pl read them).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import aiohttp
import httpx
import sqlalchemy as sa
from machine import steal_seconds

from settle_payments.adapters.repositories import SqlPayableInvoices
from settle_payments.app import SERVICE
from settle_payments.domain.invoices import PayableInvoice
from settle_payments.settings import LOCAL_PSP_KEY
from settle_shared.db import (
    create_engine,
    is_sqlite,
    outbox_pending_table,
    session_factory,
    transaction,
)
from settle_shared.migrations import upgrade
from settle_shared.testing.infra import embedded_broker, free_port, port_open

ADM = "adm-bench"
TOKEN = {"Authorization": "Bearer change-me"}

FLOOR_APP = """
import os
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response

from settle_payments.adapters.psp.mollie import MolliePsp

app = FastAPI()
psp = MolliePsp(os.environ["PSP_URL"], os.environ["PSP_KEY"])


@app.post("/webhooks/mollie")
async def webhook(request: Request) -> Response:
    fields = dict(parse_qsl((await request.body()).decode()))
    await psp.get_payment(fields["id"])
    return Response(status_code=200)
"""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux; 0 for one that is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def cpu_snapshot(pids: dict[str, int], url: str) -> dict[str, dict[int, float]]:
    """CPU seconds so far of each process, and of each PostgreSQL backend serving `url` (the
    service's connections, the bench's own poll among them)."""
    groups = {name: [pid] for name, pid in pids.items()}
    if not is_sqlite(url):
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                found = await conn.scalars(
                    sa.text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                groups["database"] = list(found)
        finally:
            await engine.dispose()
    return {name: {pid: cpu_seconds(pid) for pid in group} for name, group in groups.items()}


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


def start(
    stack: ExitStack, command: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    stack.callback(process.wait, 10)
    stack.callback(process.terminate)
    return process


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


async def drained(url: str) -> None:
    """Return once the relay has published every staged event."""
    engine = create_engine(url)
    count = sa.select(sa.func.count()).select_from(outbox_pending_table(SERVICE.metadata))
    try:
        async with engine.connect() as conn:
            while await conn.scalar(count):
                await conn.rollback()  # a fresh snapshot: the rows are another process's
                await asyncio.sleep(0.02)
    finally:
        await engine.dispose()


async def fire(url: str, ids: list[str], concurrency: int) -> int:
    """Post one webhook per id from `concurrency` clients; returns the failures."""
    queue = list(reversed(ids))
    failures = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as client:

        async def worker() -> None:
            nonlocal failures
            while queue:
                try:
                    async with client.post(url, data={"id": queue.pop()}) as answer:
                        await answer.read()
                        failures += answer.status != 200
                except aiohttp.ClientError:
                    failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


@dataclass
class Phase:
    name: str
    seconds: float
    failures: int
    cpu_ms: dict[str, float]  # per webhook, per process


class Profiler:
    """py-spy sampling named processes for the length of a phase (when --profile is given)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        if folder:
            folder.mkdir(parents=True, exist_ok=True)

    def start(self, phase: str, pids: dict[str, int]) -> list[subprocess.Popen[bytes]]:
        if self.folder is None:
            return []
        spy = Path(sys.executable).with_name("py-spy")
        return [
            subprocess.Popen(
                [
                    str(spy),
                    "record",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--pid",
                    str(pid),
                    "--output",
                    str(self.folder / f"{phase}-{name}.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]

    @staticmethod
    def stop(samplers: list[subprocess.Popen[bytes]]) -> None:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for sampler in samplers:
            sampler.wait(30)


async def measure(
    name: str,
    pids: dict[str, int],
    url: str,
    count: int,
    run: Callable[[], Awaitable[int]],
    profiler: Profiler,
) -> Phase:
    """Run a phase, timing it and counting the CPU time of each process in it."""
    samplers = profiler.start(name.split()[0], {k: v for k, v in pids.items() if k != "generator"})
    before = await cpu_snapshot(pids, url)
    started = time.perf_counter()
    failures = await run()
    seconds = time.perf_counter() - started
    after = await cpu_snapshot(pids, url)
    profiler.stop(samplers)
    cpu_ms = {
        group: 1000
        * sum(s - before.get(group, {}).get(pid, 0.0) for pid, s in used.items())
        / count
        for group, used in after.items()
    }
    return Phase(name, seconds, failures, cpu_ms)


async def main(count: int, concurrency: int, profile: Path | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="settle-bench-payments-"))
    url, admin = await database(work)
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
    await seed_invoices(url, count)
    backend = "PostgreSQL" if admin else "SQLite"
    profiler = Profiler(profile)
    with ExitStack() as stack:
        psp_port = free_port()
        psp = f"http://127.0.0.1:{psp_port}"
        psp_process = start(
            stack,
            [
                sys.executable,
                "-m",
                "settle_payments.adapters.psp.local_server",
                "--port",
                str(psp_port),
                "--key",
                LOCAL_PSP_KEY,
            ],
            dict(os.environ),
            work / "psp.log",
        )
        wait_ready(f"{psp}/health/live", psp_process, work / "psp.log")
        bootstrap = stack.enter_context(embedded_broker())
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "SETTLE_PAYMENTS_DATABASE_URL": url,
                "SETTLE_PAYMENTS_HTTP_PORT": str(port),
                "SETTLE_PAYMENTS_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "SETTLE_PAYMENTS_PSP_BASE_URL": f"{psp}/v2",
                "SETTLE_PAYMENTS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "SETTLE_PAYMENTS_REFRESH_INTERVAL_S": "3600",
            }
        )
        service = start(
            stack,
            [sys.executable, "-m", "settle_shared.cli.main", "serve", "payments"],
            env,
            work / "payments.log",
        )
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/health/ready", service, work / "payments.log")

        floor_port = free_port()
        (work / "floor_app.py").write_text(FLOOR_APP)
        floor = start(
            stack,
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
            {
                **os.environ,
                "PSP_URL": f"{psp}/v2",
                "PSP_KEY": LOCAL_PSP_KEY,
                "PYTHONPATH": str(work),
            },
            work / "floor.log",
        )
        wait_ready(f"http://127.0.0.1:{floor_port}/docs", floor, work / "floor.log")

        print(f"opening {count} payments ({backend}) …", flush=True)
        psp_ids = await open_paid_payments(base, psp, count)
        await drained(url)  # the PaymentCreated events, out of the way

        me = os.getpid()
        floor_url = f"http://127.0.0.1:{floor_port}/webhooks/mollie"
        floor_pids = {"generator": me, "PSP": psp_process.pid, "server": floor.pid}
        service_pids = {"generator": me, "PSP": psp_process.pid, "server": service.pid}

        answered_s = 0.0

        async def service_run() -> int:
            nonlocal answered_s
            started = time.perf_counter()
            failures = await fire(f"{base}/webhooks/mollie", psp_ids, concurrency)
            answered_s = time.perf_counter() - started
            await drained(url)
            return failures

        load_before, steal_before = os.getloadavg()[0], steal_seconds()
        phases = [
            await measure(
                "floor (bare FastAPI, same fetch)",
                floor_pids,
                url,
                count,
                lambda: fire(floor_url, psp_ids, concurrency),
                profiler,
            ),
            await measure(
                "service (stored and published)", service_pids, url, count, service_run, profiler
            ),
        ]
        phases.append(
            await measure(
                "floor again",
                floor_pids,
                url,
                count,
                lambda: fire(floor_url, psp_ids, concurrency),
                profiler,
            )
        )
        load_after, steal_after = os.getloadavg()[0], steal_seconds()

    if admin:
        engine = create_engine(admin, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"'))
        await engine.dispose()
    steal = (
        f"{steal_after - steal_before:.1f} s"
        if steal_after is not None and steal_before is not None
        else "unknown"
    )
    print(
        f"webhooks: {count}, {concurrency} at once, database {backend}, {os.cpu_count()} CPUs; "
        f"load average {load_before:.1f} before, {load_after:.1f} after; steal {steal}"
    )
    groups = list(phases[0].cpu_ms)
    print(f"{'':34} {'webhooks/s':>10} {'failed':>6}   CPU ms per webhook: {', '.join(groups)}")
    for phase in phases:
        cpu = "  ".join(f"{phase.cpu_ms[group]:5.2f}" for group in groups)
        print(f"{phase.name:34} {count / phase.seconds:10.0f} {phase.failures:6}   {cpu}")
    print(f"{'service (answered)':34} {count / answered_s:10.0f}")
    floor_rate = (count / phases[0].seconds + count / phases[2].seconds) / 2
    print(f"service end to end / floor (mean): {count / phases[1].seconds / floor_rate:10.2f}")
    if profile:
        print(f"profiles (collapsed stacks) in {profile}")


async def open_paid_payments(base: str, psp: str, count: int) -> list[str]:
    """Open `count` payments through the service's API and mark each paid at the PSP without
    its webhook; returns their PSP ids."""
    psp_ids: list[str] = []
    semaphore = asyncio.Semaphore(10)
    async with aiohttp.ClientSession(
        headers=TOKEN, timeout=aiohttp.ClientTimeout(total=30)
    ) as client:

        async def open_and_pay(i: int) -> None:
            async with semaphore:
                for _ in range(10):  # a 503 is tried again with the same key, as a portal does
                    async with client.post(
                        f"{base}/api/v1/administrations/{ADM}/payments",
                        json={
                            "debtor_id": f"deb-{i}",
                            "invoice_ids": [f"inv-{i}"],
                            "idempotency_key": f"k-{i}",
                            "redirect_url": "https://portal.example/done",
                        },
                    ) as answer:
                        if answer.status != 503:
                            answer.raise_for_status()
                            opened = await answer.json()
                            break
                    await asyncio.sleep(1)
                else:
                    raise RuntimeError("the service kept answering 503")
                psp_id = opened["checkout_url"].rsplit("/", 1)[-1]
                async with client.post(
                    f"{psp}/_local/payments/{psp_id}/status",
                    json={"status": "paid", "method": "ideal", "webhook": False},
                ) as marked:
                    marked.raise_for_status()
                psp_ids.append(psp_id)

        await asyncio.gather(*(open_and_pay(i) for i in range(count)))
    return psp_ids


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", nargs="?", type=int, default=2000, help="webhooks per phase")
    parser.add_argument("concurrency", nargs="?", type=int, default=50, help="clients at once")
    parser.add_argument("--profile", type=Path, help="folder for py-spy's samples per phase")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.count, arguments.concurrency, arguments.profile))
