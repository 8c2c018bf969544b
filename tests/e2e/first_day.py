"""The first day of a large administration on the whole stack: the services as processes on
PostgreSQL (a database each on 127.0.0.1:5432), the embedded broker and the local mailbox, as
`settle up` starts them; a bookkeeping export of N invoices dropped in the drop folder, the
daily run on the business clock, and every stage from the drop to the dashboard timed.

Shared by bench/pipeline.py (which prints the times beside the floors) and
tests/e2e/test_first_day.py (which checks the outcome at 10,000 invoices)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from settle_shared.clock import set_business_time
from settle_shared.embedded.stack import Stack, StackConfig
from settle_shared.net import free_port

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
ADMINISTRATION = "demo"  # the administration the embedded stack seeds for its demo user
HEADERS = {"Authorization": "Bearer change-me"}  # the embedded stack's service token
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
BUSINESS_DATE = date(2026, 11, 25)  # a Wednesday, no Dutch holiday
OVERDUE_DAYS = 30  # due this long ago: the first reminder is due on the business date
INVOICES_PER_DEBTOR = 5
OVERDUE_EVERY = 10  # every tenth invoice is overdue: one in two debtors has one
HEADER = (
    "Factuurnummer;Debiteurnummer;Naam;Type;E-mail;Telefoon;Adres;Postcode;Plaats;Land;"
    "Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta\n"
)
# Settings the stack's services get for the run (`settle up` passes the environment on).
SERVICE_ENV = {
    # The day's run is started by hand on the business clock, as the e2e tests do, so the
    # clock that times it starts when the states are all there.
    "SETTLE_DUNNING_DAILY_RUN_ENABLED": "false",
    # The drop folder looked at twice a second (default 2 s): less idle time in the figure.
    "SETTLE_IMPORTER_INBOX_POLL_S": "0.5",
}


def dutch_amount(cents: int) -> str:
    return f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


@dataclass
class PhaseTotal:
    count: int = 0
    total: Decimal = Decimal("0.00")

    def add(self, cents: int) -> None:
        self.count += 1
        self.total += Decimal(cents) / 100


@dataclass
class Export:
    """What the export says: the invoices per phase expected after the day's run."""

    path: Path
    invoices: int
    overdue: PhaseTotal = field(default_factory=PhaseTotal)
    not_due: PhaseTotal = field(default_factory=PhaseTotal)

    @property
    def debtors(self) -> int:
        return -(-self.invoices // INVOICES_PER_DEBTOR)

    @property
    def reminders(self) -> int:
        """One reminder per debtor with an overdue invoice (one overdue invoice each)."""
        return self.overdue.count


def write_export(path: Path, invoices: int) -> Export:
    """A Dutch bookkeeping export (the importer's Dutch preset): one debtor per five invoices,
    every tenth invoice due 30 days before the business date, the others due after it."""
    export = Export(path, invoices)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for n in range(invoices):
            open_cents = opening_cents(n)
            (export.overdue if is_overdue(n) else export.not_due).add(open_cents)
            out.write(export_row(n, open_cents))
    return export


def is_overdue(n: int) -> bool:
    return n % OVERDUE_EVERY == 0


def amount_cents(n: int) -> int:
    return 1_000 + (n * 7919) % 500_000


def opening_cents(n: int) -> int:
    """What invoice n has open in the first export: a third of them half paid."""
    return amount_cents(n) if n % 3 else amount_cents(n) // 2


def export_row(n: int, open_cents: int) -> str:
    """Invoice n's line in the export, open for `open_cents`."""
    debtor = n // INVOICES_PER_DEBTOR
    due = (
        BUSINESS_DATE - timedelta(days=OVERDUE_DAYS)
        if is_overdue(n)
        else BUSINESS_DATE + timedelta(days=1 + n % 60)
    )
    return (
        f"F{n:07d};D{debtor:06d};Debiteur {debtor} B.V.;zakelijk;"
        f"debiteur{debtor}@example.nl;020-{debtor:07d};Straat {debtor};1234 AB;"
        f"Amsterdam;NL;{due - timedelta(days=30):%d-%m-%Y};{due:%d-%m-%Y};"
        f"{dutch_amount(amount_cents(n))};{dutch_amount(open_cents)};EUR\n"
    )


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


def postgres_available() -> bool:
    try:
        psql("SELECT 1")
    except (OSError, subprocess.SubprocessError):
        return False
    return True


class PostgresStack(Stack):
    """`settle up`'s pieces, each a process, every service on a fresh PostgreSQL database."""

    def __init__(self, var: Path) -> None:
        config = StackConfig(
            var_dir=var,
            kafka_port=free_port(),
            smtp_port=free_port(),
            inbound_smtp_port=free_port(),
            gateway_port=free_port(),
            first_service_port=0,
        )
        super().__init__(config)
        self.prefix = f"settle_pipeline_{uuid.uuid4().hex[:8]}"

    def database(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def database_url(self, name: str) -> str:
        return f"{POSTGRES}/{self.database(name)}"

    def dsn(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:5432/{self.database(name)}"

    def service_env(self, spec):  # type: ignore[no-untyped-def]
        env = super().service_env(spec)
        for key, value in SERVICE_ENV.items():
            env.setdefault(key, value)
        return env

    async def start(self) -> None:
        for name in self.services:
            psql(f'CREATE DATABASE "{self.database(name)}"')
        set_business_time(
            self.config.clock_file,
            datetime.combine(BUSINESS_DATE, datetime.min.time(), AMSTERDAM) + timedelta(hours=9),
        )
        await self.up()

    def stop(self) -> None:
        self.down()
        for name in self.services:
            psql(f'DROP DATABASE IF EXISTS "{self.database(name)}" WITH (FORCE)')

    def pids(self) -> dict[str, int]:
        """The stack's processes: broker, mailbox, every service."""
        pids = {name: child.process.pid for name, child in self.children.items() if child.process}
        if self.broker is not None:
            pids["broker"] = self.broker.pid
        return pids

    def mails(self) -> int:
        return sum(1 for _ in (self.config.var_dir / "mail").glob("*.eml"))


# -- what a process used -----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (0 for one that is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    """Peak RSS of a running process (VmHWM), MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- the day -----------------------------------------------------------------------------

STAGES = (
    ("import", "(a) the import run finished"),
    ("states", "(b) dunning holds a state for every invoice and knows every debtor"),
    ("run", "(c) the daily run finished"),
    ("mail", "(d) every reminder on disk in the mailbox"),
    ("gateway", "(e) the gateway's dashboard and invoice list agree with the export"),
)


@dataclass
class Day:
    """What happened, in seconds per stage, and what the services reported."""

    stages: dict[str, float] = field(default_factory=dict)
    import_run: dict = field(default_factory=dict)  # type: ignore[type-arg]
    daily_run: dict = field(default_factory=dict)  # type: ignore[type-arg]
    dashboard: dict = field(default_factory=dict)  # type: ignore[type-arg]
    listed: PhaseTotal = field(default_factory=PhaseTotal)  # the list's reminded invoices
    due_scan_s: float = 0.0  # the floor of the daily run, read between (b) and (c)
    due_rows: int = 0
    cpu_s: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    flows: list[tuple[str, str, int, int, float]] = field(default_factory=list)
    mails: int = 0

    @property
    def total_s(self) -> float:
        return sum(self.stages.values())


async def poll(what: str, check, timeout_s: float, every_s: float = 0.25):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = await check()
        if result:
            return result
        await asyncio.sleep(every_s)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def phases_of(dashboard: dict) -> dict[str, tuple[int, Decimal]]:  # type: ignore[type-arg]
    return {p["phase"]: (p["count"], Decimal(p["total"])) for p in dashboard["phases"]}


async def first_day(stack: PostgresStack, export: Export, timeout_s: float = 3600) -> Day:
    """Drop the export and time each stage until the dashboard agrees with it."""
    day = Day()
    base = f"/internal/v1/administrations/{ADMINISTRATION}"
    folder = stack.config.var_dir / "inbox" / ADMINISTRATION
    async with httpx.AsyncClient(timeout=30) as client:
        await poll("the demo drop folder", _true_when(folder.is_dir), 60)

        async def dunning_knows() -> bool:
            answer = await client.get(f"{stack.urls['dunning']}{base}", headers=HEADERS)
            return answer.status_code == 200

        await poll("dunning to know the administration", dunning_knows, 60)
        await sign_in(client, stack)  # the demo login works before the clock starts
        api = f"{stack.urls['gateway']}/api/v1/administrations/{ADMINISTRATION}"
        dunning_db = await asyncpg.connect(stack.dsn("dunning"))
        pids = stack.pids()
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        try:
            # Arrives whole, as a real export job delivers it; the clock starts here.
            dropped = stack.config.var_dir / "inbox" / "export.csv.partial"
            dropped.write_bytes(export.path.read_bytes())
            dropped.replace(folder / "openstaande-posten.csv")
            mark = time.monotonic()

            async def finished_run():  # type: ignore[no-untyped-def]
                runs = await client.get(f"{stack.urls['importer']}{base}/runs", headers=HEADERS)
                done = [r for r in runs.json()["runs"] if r["status"] in ("succeeded", "failed")]
                return done[0] if done else None

            day.import_run = await poll("the import run", finished_run, timeout_s)
            mark = _stage(day, "import", mark)

            async def every_state() -> bool:
                # Every invoice, and every debtor as the importer described it: a debtor
                # still a placeholder has no address, and the run would hold its reminder.
                states, debtors = await dunning_db.fetchrow(
                    "SELECT (SELECT count(*) FROM dunning_states WHERE administration_id = $1), "
                    "(SELECT count(*) FROM debtors WHERE administration_id = $1 AND version > 0)",
                    ADMINISTRATION,
                )
                return states >= export.invoices and debtors >= export.debtors

            await poll("dunning's states", every_state, timeout_s, every_s=0.5)
            mark = _stage(day, "states", mark)

            # The floor of the daily run, outside the stages' clock: one query reading the
            # due rows whole (bench/dunning_daily_run.py's floor).
            scan = time.perf_counter()
            due = await dunning_db.fetch(
                "SELECT * FROM dunning_states WHERE administration_id = $1 "
                "AND next_step_date <= $2",
                ADMINISTRATION,
                BUSINESS_DATE,
            )
            day.due_scan_s, day.due_rows = time.perf_counter() - scan, len(due)
            del due

            mark = time.monotonic()
            ran = await client.post(
                f"{stack.urls['dunning']}{base}/runs",
                json={"business_date": BUSINESS_DATE.isoformat()},
                headers=HEADERS,
                timeout=timeout_s,
            )
            ran.raise_for_status()
            day.daily_run = ran.json()
            mark = _stage(day, "run", mark)

            async def every_mail() -> bool:
                return stack.mails() >= day.daily_run["messages_requested"]

            await poll("the reminders in the mailbox", every_mail, timeout_s)
            mark = _stage(day, "mail", mark)

            expected = {
                "reminder_1": (export.overdue.count, export.overdue.total),
            }

            # Signed in now: an access token taken before a long day has expired by its end.
            user = await sign_in(client, stack)

            async def dashboard_agrees() -> bool:
                answer = await client.get(f"{api}/dashboard", headers=user)
                answer.raise_for_status()
                day.dashboard = answer.json()
                phases = phases_of(day.dashboard)
                reminded = phases.get("reminder_1")
                rest = [v for k, v in phases.items() if k != "reminder_1"]
                return reminded == expected["reminder_1"] and (
                    sum(c for c, _ in rest),
                    sum((t for _, t in rest), Decimal("0.00")),
                ) == (export.not_due.count, export.not_due.total)

            try:
                await poll("the dashboard", dashboard_agrees, timeout_s, 0.5)
            except TimeoutError:
                raise TimeoutError(
                    f"the dashboard never agreed with the export {expected} / not due "
                    f"{(export.not_due.count, export.not_due.total)}: it last said "
                    f"{phases_of(day.dashboard)}"
                ) from None
            day.listed = await listed(client, api, user, "reminder_1")
            mark = _stage(day, "gateway", mark)
            await asyncio.sleep(1.0)  # a duplicate would arrive right behind the last mail
            day.mails = stack.mails()
        finally:
            await dunning_db.close()
        day.cpu_s = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        day.peak_rss_mib = {name: peak_rss_mib(pid) for name, pid in pids.items()}
        day.cpu_s.update(await postgres_cpu(stack))
        day.flows = await flows(stack)
    return day


async def sign_in(client: httpx.AsyncClient, stack: PostgresStack) -> dict[str, str]:
    """Headers of the demo user, signed in now."""
    demo = json.loads((stack.config.var_dir / "demo-login.json").read_text())
    signed_in = await client.post(
        f"{stack.urls['gateway']}/api/v1/auth/login",
        json={"email": demo["email"], "password": demo["password"]},
    )
    signed_in.raise_for_status()
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


async def dashboard(stack: PostgresStack) -> dict:  # type: ignore[type-arg]
    """The demo administration's dashboard as its user sees it."""
    api = f"{stack.urls['gateway']}/api/v1/administrations/{ADMINISTRATION}"
    async with httpx.AsyncClient(timeout=30) as client:
        answer = await client.get(f"{api}/dashboard", headers=await sign_in(client, stack))
        answer.raise_for_status()
        return answer.json()  # type: ignore[no-any-return]


def _true_when(check):  # type: ignore[no-untyped-def]
    async def wrapped() -> bool:
        return bool(check())

    return wrapped


def _stage(day: Day, name: str, since: float) -> float:
    now = time.monotonic()
    day.stages[name] = now - since
    print(f"first day | {name} done after {now - since:.1f} s", flush=True)
    return now


async def listed(client: httpx.AsyncClient, api: str, user: dict, phase: str) -> PhaseTotal:  # type: ignore[type-arg]
    """The gateway's invoice list of a phase, page by page: its count and open total."""
    seen = PhaseTotal()
    cursor = None
    while True:
        params = {"phase": phase, "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{api}/invoices", params=params, headers=user)).json()
        for item in page["items"]:
            seen.count += 1
            seen.total += Decimal(item["open_amount"])
        cursor = page.get("next_cursor")
        if not cursor:
            return seen


async def postgres_cpu(stack: PostgresStack) -> dict[str, float]:
    """CPU of the PostgreSQL backends serving each service's database, as far as they are
    still connected (the services' pools keep theirs)."""
    used: dict[str, float] = {}
    conn = await asyncpg.connect(stack.dsn("dunning"))
    try:
        rows = await conn.fetch("SELECT pid, datname FROM pg_stat_activity WHERE datname LIKE $1",
                                f"{stack.prefix}_%")  # fmt: skip
    finally:
        await conn.close()
    for row in rows:
        name = "postgres:" + row["datname"].removeprefix(stack.prefix + "_")
        used[name] = used.get(name, 0.0) + cpu_seconds(row["pid"])
    return used


async def flows(stack: PostgresStack) -> list[tuple[str, str, int, int, float]]:
    """Events each service consumed from each other one: (topic, whose first word names the
    producer; consumer; events; transactions they took (a batch's events share one
    processed_at); seconds from the first to the last), from the consumers' inboxes."""
    found = []
    for consumer in stack.services:
        conn = await asyncpg.connect(stack.dsn(consumer))
        try:
            rows = await conn.fetch(
                "SELECT topic, count(*) AS events, count(DISTINCT processed_at) AS batches, "
                "extract(epoch FROM max(processed_at) - min(processed_at)) AS seconds "
                "FROM inbox GROUP BY topic ORDER BY topic"
            )
        except asyncpg.UndefinedTableError:
            rows = []
        finally:
            await conn.close()
        for row in rows:
            seconds = float(row["seconds"] or 0.0)
            found.append((row["topic"], consumer, row["events"], row["batches"], seconds))
    return found
