"""The UI queries under load: the gateway under uvicorn in its own process, driven at a fixed
request rate from this one.

Fills the read model as bench/gateway_read_model.py does (one administration of N invoices and
N/5 debtors, ten smaller ones beside it), starts the gateway under uvicorn in a second process
and a FastAPI hello-world endpoint in a third, then sends each query at a fixed rate for a fixed
time from an open-loop generator: requests leave on schedule whether or not earlier ones have
answered, and latency counts from the scheduled moment, so a server that falls behind shows as
latency instead of silently lowering the rate. The hello-world endpoint, measured the same way
in the same run, is what this machine, uvicorn and the generator cost by themselves. Per query
it also prints what delayed answers without being the gateway's doing: the CPU time the
virtual machine's host took away (steal) and the generator's own longest garbage collection.

    .venv/bin/python bench/gateway_load.py --invoices 1000000 --rate 200 --seconds 20

The read model is in PostgreSQL, as in production (a temporary database on --postgres, dropped
afterwards); `--database sqlite` measures the embedded default instead.

The data: invoices spread over 260 days of due dates around the business date (2026-06-01),
in five dunning phases, each owned by one of the N/5 debtors. Debtor names are varied Dutch
names ("Bakker Installatietechniek B.V.", "Transportbedrijf de Vries", "J. Jansen"), generated
from lists of surnames, trades, places and legal forms with a fixed seed; as in real ledgers a
common surname recurs, so a search for one finds hundreds. The debtor search sends what a user
types: one word of a random debtor's name, often only its first four or more letters.

The gateway runs as `settle serve gateway --workers N` runs it (`--workers`, default 2, the
count the production manifests use), built by the same app factory from SETTLE_GATEWAY_*
variables, but without its lifespan (relay, consumers, demo seed), which needs Kafka: the
queries measured read only the read model.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import multiprocessing
import os
import random
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from gateway_read_model import ADM, NOW, OUTBOX, debtor_names, fill, fill_postgres, search_fragment
from machine import steal_seconds

from settle_gateway.app import SERVICE
from settle_gateway.auth.service import (
    create_user,
    ensure_administration,
    ensure_organisation,
    grant,
)
from settle_gateway.domain.access import Role
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.migrations import upgrade
from settle_shared.service import tune_garbage_collection

HOST = "127.0.0.1"
POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
EMAIL = "load@bench.example"
PASSWORD = "bench password"  # a throwaway user in a temporary database
JWT_SECRET = "l" * 40
# A query that takes longer than this counts as an error, not as a latency.
TIMEOUT_S = 5.0
# Requests in flight at once: at 200/s and a 50 ms target about ten are; the rest is headroom.
CONNECTIONS = 64

Request = tuple[str, dict[str, Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def quiet(log: Path) -> None:
    """Send a child's output to a file: the gateway logs every request, as in production, and
    those lines would bury the report."""
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)


def gateway_app() -> Any:
    """The app of `settle serve gateway`, built in each worker by the service's own factory,
    then with the garbage collector tuned as the service's lifespan (off here) tunes it once
    started, so the workers collect as production workers do rather than scanning every
    imported module's objects every few hundred requests."""
    from settle_shared.cli.serving import service_app

    app = service_app()
    tune_garbage_collection()
    return app


def serve_gateway(url: str, port: int, workers: int, folder: Path) -> None:
    """The gateway as `settle serve gateway --workers N` runs it: uvicorn's worker processes,
    each building the app with the same factory from SETTLE_GATEWAY_* variables, with the
    structured access log (child process). Only the lifespan (relay, consumers: Kafka) is off;
    what it does for the request path (garbage collection) `gateway_app` does."""
    import uvicorn

    from settle_shared.cli.serving import SERVICE_VARIABLE, serve_workers
    from settle_shared.clock import set_business_time

    quiet(folder / "gateway.log")
    clock = folder / "clock.json"
    # The dates the filled data is spread around; aging and overdue depend on "today".
    set_business_time(clock, NOW)
    metrics = folder / "metrics"
    metrics.mkdir()
    os.environ.update(
        {
            SERVICE_VARIABLE: SERVICE.name,
            "SETTLE_GATEWAY_DATABASE_URL": url,
            "SETTLE_GATEWAY_ENVIRONMENT": "test",
            "SETTLE_GATEWAY_JWT_SECRET": JWT_SECRET,
            "SETTLE_GATEWAY_CLOCK_FILE": str(clock),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        }
    )
    config = uvicorn.Config(
        f"{Path(__file__).stem}:gateway_app",
        factory=True,
        workers=workers,
        host=HOST,
        port=port,
        lifespan="off",
        log_config=None,
    )
    if workers > 1:
        serve_workers(config)
    else:
        uvicorn.Server(config).run()


def serve_hello(port: int, log: Path) -> None:
    """The smallest FastAPI endpoint on the same uvicorn (child process)."""
    import uvicorn
    from fastapi import FastAPI

    quiet(log)
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


async def add_user(url: str) -> None:
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            org = await ensure_organisation(session, "Bench", NOW)
            await ensure_administration(session, OUTBOX, org, ADM, "Big", NOW)
            user = await create_user(
                session, organisation_id=org, email=EMAIL, name="load", password=PASSWORD, now=NOW
            )
            await grant(session, user, ADM, Role.RESTRICTED)
    finally:
        await engine.dispose()


async def status_of(client: aiohttp.ClientSession, url: str, **kwargs: Any) -> int:
    async with client.get(url, **kwargs) as response:
        await response.read()
        return response.status


async def json_of(client: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> Any:
    async with client.request(method, url, **kwargs) as response:
        response.raise_for_status()
        return await response.json()


async def wait_until_up(client: aiohttp.ClientSession, url: str, process: Any) -> None:
    for _ in range(600):
        if not process.is_alive():
            raise RuntimeError(f"the server for {url} exited with {process.exitcode}")
        try:
            if await status_of(client, url) == 200:
                return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within a minute")


async def all_workers_started(log: Path, workers: int) -> None:
    """Wait until every worker has built its app (uvicorn logs "Started server process" after
    that): the first answer comes from the first worker up, and a run that began then would
    measure one worker beside another still importing."""
    for _ in range(1200):
        text = await asyncio.to_thread(log.read_text, errors="replace")
        if text.count("Started server process") >= workers:
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"not all {workers} gateway workers started within two minutes")


@dataclass
class Result:
    name: str
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0
    stalls: Stalls | None = None

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def quantiles(self) -> tuple[float, float, float]:
        if len(self.latencies_ms) < 2:
            return (float("nan"),) * 3
        q = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return q[49], q[94], q[98]


@dataclass
class Stalls:
    """What delayed answers without being the gateway's doing, while one query was driven:
    CPU stolen from this virtual machine by its host, and this generator's own garbage
    collections (a collection stops the clock of every request in flight)."""

    steal_s: float | None = None
    gc_pauses_ms: list[float] = field(default_factory=list)
    _steal_before: float | None = None
    _gc_started: float = 0.0

    def __enter__(self) -> Stalls:
        self._steal_before = steal_seconds()
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._on_gc)
        after = steal_seconds()
        if after is not None and self._steal_before is not None:
            self.steal_s = after - self._steal_before

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_pauses_ms.append((time.perf_counter() - self._gc_started) * 1000)


async def warm_up(
    client: aiohttp.ClientSession,
    next_request: Callable[[], Request],
    headers: dict[str, str],
    rounds: int,
    workers: int,
) -> None:
    """Rounds of two requests per worker sent at once, so that every worker has opened its
    database connections and compiled and planned the query before it is measured. Requests
    sent one at a time ride one kept-alive connection to one worker, and the measurement then
    met the other worker cold."""
    for _ in range(rounds):
        batch = [next_request() for _ in range(2 * workers)]
        await asyncio.gather(
            *(
                json_of(client, "GET", path, params=params, headers=headers)
                for path, params in batch
            )
        )


async def drive(
    client: aiohttp.ClientSession,
    name: str,
    next_request: Callable[[], Request],
    headers: dict[str, str],
    rate: float,
    seconds: float,
) -> Result:
    """Open loop: request i is due at start + i / rate, each in its own task. At most
    CONNECTIONS are in flight; the rest wait for a connection with their clock running, as
    a browser's would, and give up once TIMEOUT_S past due. The client is aiohttp's: httpx
    spent about 4 ms of CPU per request with dozens in flight, and the generator, not the
    server, was what saturated first (at about 100 requests/s)."""
    result = Result(name)
    total = int(rate * seconds)
    loop = asyncio.get_running_loop()
    connections = asyncio.Semaphore(CONNECTIONS)

    async def one(scheduled: float, path: str, params: dict[str, Any]) -> None:
        async with connections:
            if loop.time() - scheduled > TIMEOUT_S:
                result.error("not sent within timeout")
                return
            try:
                status = await status_of(client, path, params=params, headers=headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.error(type(exc).__name__)
                return
        if status != 200:
            result.error(str(status))
            return
        result.latencies_ms.append((loop.time() - scheduled) * 1000)

    tasks: list[asyncio.Task[None]] = []
    start = loop.time() + 0.05
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        path, params = next_request()
        tasks.append(asyncio.create_task(one(scheduled, path, params)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.elapsed_s = loop.time() - start
    return result


async def idle(client: aiohttp.ClientSession, url: str) -> None:
    """Wait until the server has worked off what an overloaded run left queued (requests the
    generator gave up on still run), so that it does not slow the next query's run."""
    for _ in range(120):
        started = time.perf_counter()
        await status_of(client, url)
        if time.perf_counter() - started < 0.02:
            return
        await asyncio.sleep(0.5)


async def measure(
    folder: Path, url: str, invoices: int, rate: float, seconds: float, warmup: int, workers: int
) -> None:
    gateway_port, hello_port = free_port(), free_port()
    spawn = multiprocessing.get_context("spawn")
    # Not a daemon: uvicorn's supervisor starts the worker processes.
    gateway = spawn.Process(target=serve_gateway, args=(url, gateway_port, workers, folder))
    hello = spawn.Process(target=serve_hello, args=(hello_port, folder / "hello.log"), daemon=True)
    gateway.start()
    hello.start()
    gateway_url, hello_url = f"http://{HOST}:{gateway_port}", f"http://{HOST}:{hello_port}"
    try:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
        ) as client:
            await wait_until_up(client, f"{gateway_url}/health/live", gateway)
            await all_workers_started(folder / "gateway.log", workers)
            await wait_until_up(client, f"{hello_url}/hello", hello)
            login = await json_of(
                client,
                "POST",
                f"{gateway_url}/api/v1/auth/login",
                json={"email": EMAIL, "password": PASSWORD},
            )
            headers = {"Authorization": f"Bearer {login['access_token']}"}
            base = f"{gateway_url}/api/v1/administrations/{ADM}"

            # Page 500 is reached by following next_cursor; walk there once to get its cursor.
            cursor: str | None = None
            for _ in range(499):
                params: dict[str, Any] = {"limit": 50, **({"cursor": cursor} if cursor else {})}
                page = await json_of(
                    client, "GET", f"{base}/invoices", params=params, headers=headers
                )
                cursor = page["next_cursor"]
            if cursor is None:
                raise RuntimeError("fewer than 500 pages of invoices: use more --invoices")

            rng = random.Random(2)
            names = debtor_names(ADM, max(1, invoices // 5))
            cases: dict[str, Callable[[], Request]] = {
                "hello-world": lambda: (f"{hello_url}/hello", {}),
                "dashboard": lambda: (f"{base}/dashboard", {}),
                "dashboard series": lambda: (f"{base}/dashboard/series", {}),
                "invoices, filter, page 1": lambda: (
                    f"{base}/invoices",
                    {"phase": rng.choice(["reminder_2", "final_reminder"]), "overdue": "true"},
                ),
                "invoices, page 500": lambda: (f"{base}/invoices", {"limit": 50, "cursor": cursor}),
                # A different invoice each time: one hot row would measure SQLite's page cache.
                "invoice detail": lambda: (f"{base}/invoices/i{rng.randrange(invoices)}", {}),
                "debtor search": lambda: (f"{base}/debtors", {"q": search_fragment(rng, names)}),
                "letters to post": lambda: (f"{base}/letters", {}),
            }
            results: list[Result] = []
            for name, next_request in cases.items():
                await warm_up(client, next_request, headers, warmup, workers)
                with Stalls() as stalls:
                    result = await drive(client, name, next_request, headers, rate, seconds)
                result.stalls = stalls
                results.append(result)
                await idle(client, f"{gateway_url}/health/live")
    finally:
        for process in (gateway, hello):
            process.terminate()
            process.join(10)
    report(results, rate, seconds, workers)


def report(results: list[Result], rate: float, seconds: float, workers: int) -> None:
    hello50, _, hello99 = results[0].quantiles()
    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    print(
        f"open loop at {rate:.0f} requests/s for {seconds:.0f} s per query; gateway on"
        f" {workers} uvicorn worker(s), hello-world on 1; {os.cpu_count()} CPUs, load {load}"
    )
    print(
        f"{'query':<26} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} {'errors':>7}"
        f" {'p50 x hello':>11} {'p99 x hello':>11} {'steal s':>7} {'gen. GC ms':>10}"
    )
    for result in results:
        p50, p95, p99 = result.quantiles()
        errors = sum(result.errors.values())
        throughput = len(result.latencies_ms) / result.elapsed_s if result.elapsed_s else 0.0
        stalls = result.stalls or Stalls()
        steal = "-" if stalls.steal_s is None else f"{stalls.steal_s:.2f}"
        pause = max(stalls.gc_pauses_ms, default=0.0)
        print(
            f"{result.name:<26} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} {throughput:>7.1f}"
            f" {errors:>7} {p50 / hello50:>11.1f} {p99 / hello99:>11.1f} {steal:>7}"
            f" {pause:>10.1f}"
        )
        if result.errors:
            print(f"  errors: {result.errors}")


@contextlib.contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards."""
    import asyncpg

    name = f"settle_bench_gateway_{uuid.uuid4().hex[:8]}"
    admin = server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=10_000, help="invoices per other adm.")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration per query")
    parser.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="rounds of 2 requests per worker, per query, not timed",
    )
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL, no database part")
    parser.add_argument(
        "--workers", type=int, default=2, help="gateway worker processes (production: 2+)"
    )
    args = parser.parse_args()
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
            print(
                f"filled {args.invoices} invoices into {args.database}"
                f" in {time.perf_counter() - started:.0f} s"
            )
            asyncio.run(add_user(url))
            # The generator's own collections would count as the gateway's latency: what the
            # fill left is frozen out of them, as the services freeze their start-up objects.
            tune_garbage_collection()
            # The bulk load leaves hundreds of MB for the kernel to write back; flushed now,
            # that write-back does not stall the first query measured.
            os.sync()
            asyncio.run(
                measure(
                    Path(folder),
                    url,
                    args.invoices,
                    args.rate,
                    args.seconds,
                    args.warmup,
                    args.workers,
                )
            )


if __name__ == "__main__":
    main()
