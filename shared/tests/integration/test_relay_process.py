"""The outbox relay as a process of its own (`settle relay <service>`), with a real broker and
PostgreSQL: a service with its in-process relay switched off publishes nothing, and the relay
process publishes the service's outbox in order and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from settle_shared.clock import SystemClock
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.events.importer import InvoiceChanged
from settle_shared.kafka import ensure_topics
from settle_shared.migrations import upgrade
from settle_shared.net import free_port
from settle_shared.outbox import Outbox
from settle_shared.service import ServiceSpec, build_runtime, discover_services
from settle_shared.testing.kafka import read_topic

pytestmark = pytest.mark.integration

SERVICE = "importer"  # the service whose relay runs apart in production


@pytest.fixture
def spec() -> ServiceSpec:
    specs = discover_services()
    if SERVICE not in specs:
        pytest.skip(f"the {SERVICE} service is not installed")
    return specs[SERVICE]


@pytest.fixture
async def service_db(spec: ServiceSpec, pg_database: str) -> str:
    await asyncio.to_thread(upgrade, spec.migrations_dir, pg_database)
    return pg_database


@pytest.fixture
async def topic(kafka_bootstrap: str, unique_topic: str) -> str:
    await ensure_topics(kafka_bootstrap, [unique_topic], partitions=3)
    return unique_topic


def changed(invoice: int, version: int) -> InvoiceChanged:
    return InvoiceChanged(
        administration_id="adm-1",
        invoice_id=f"inv-{invoice}",
        number=str(invoice),
        version=version,
        run_id="r",
        open_amount=Decimal("1.10"),
        previous_open_amount=Decimal("2.20"),
        currency="EUR",
    )


async def stage(outbox: Outbox, url: str, topic: str, versions: range, invoices: int = 20) -> None:
    """Events of `invoices` invoices, one per version, committed to the service's outbox."""
    engine = create_engine(url)
    try:
        async with transaction(session_factory(engine)) as session:
            await outbox.add_envelopes(
                session,
                [
                    (topic, outbox.envelope(changed(i, v), administration_id="adm-1"))
                    for v in versions
                    for i in range(invoices)
                ],
            )
    finally:
        await engine.dispose()


async def pending(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(sa.text("SELECT count(*) FROM outbox_pending")) or 0)
    finally:
        await engine.dispose()


def versions_by_key(records: list) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = defaultdict(list)
    for record in records:
        seen[record.key.decode()].append(InvoiceChanged.model_validate_json(record.value).version)
    return seen


@pytest.mark.parametrize("in_process", [True, False], ids=["relay-in-process", "relay-off"])
async def test_a_service_with_its_relay_off_publishes_nothing_itself(
    spec: ServiceSpec, service_db: str, kafka_bootstrap: str, topic: str, in_process: bool
) -> None:
    settings = spec.settings_cls(
        database_url=service_db,
        kafka_bootstrap_servers=kafka_bootstrap,
        environment="test",
        outbox_relay_in_process=in_process,
        outbox_poll_interval_s=0.05,
    )
    runtime = build_runtime(spec, settings)
    async with runtime.app.router.lifespan_context(runtime.app):
        await stage(runtime.outbox, service_db, topic, range(1, 3), invoices=10)
        runtime.relay.notify()
        deadline = time.monotonic() + 15
        records = await read_topic(kafka_bootstrap, topic)
        while in_process and len(records) < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            records = await read_topic(kafka_bootstrap, topic)
        if not in_process:
            await asyncio.sleep(1.0)  # twenty polls' worth: an in-process relay would have run
            records = await read_topic(kafka_bootstrap, topic)
    if in_process:
        assert len(records) == 20
        assert await pending(service_db) == 0
    else:
        assert records == []
        assert await pending(service_db) == 20


def relay_command(name: str) -> list[str]:
    return [sys.executable, "-m", "settle_shared.cli.main", "relay", name]


async def wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if (await client.get(f"{url}/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"relay not ready within 60 s:\n{log.read_text()}")


async def test_settle_relay_publishes_the_outbox_and_stops_cleanly_on_sigterm(
    spec: ServiceSpec, service_db: str, kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    outbox = Outbox(spec.metadata, source=f"/settle/{spec.name}", clock=SystemClock())
    await stage(outbox, service_db, topic, range(1, 4))  # waiting before the relay starts
    port = free_port()
    prefix = spec.env_prefix
    env = {
        **os.environ,
        f"{prefix}DATABASE_URL": service_db,
        f"{prefix}KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        f"{prefix}HTTP_PORT": str(port),
        f"{prefix}OUTBOX_POLL_INTERVAL_S": "0.05",
        f"{prefix}OUTBOX_RELAY_IN_PROCESS": "false",
        f"{prefix}LOG_FORMAT": "json",
    }
    log = tmp_path / "relay.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            relay_command(spec.name), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(process, url, log)
        await stage(outbox, service_db, topic, range(4, 6))  # committed while it runs
        deadline = time.monotonic() + 30
        while await pending(service_db) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert await pending(service_db) == 0, log.read_text()
        async with httpx.AsyncClient(timeout=2.0) as client:
            assert (await client.get(f"{url}/health/live")).status_code == 200
            metrics = (await client.get(f"{url}/metrics")).text
        assert "settle_outbox_pending 0.0" in metrics
        assert "settle_outbox_published_total 100.0" in metrics

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    records = await read_topic(kafka_bootstrap, topic)
    by_key = versions_by_key(records)
    assert len(records) == 100
    assert by_key == {f"inv-{i}": [1, 2, 3, 4, 5] for i in range(20)}  # in order, once each
    output = log.read_text()
    assert '"event": "outbox relay started"' in output
    assert '"event": "outbox relay stopped"' in output


def test_settle_relay_names_the_known_services_when_given_an_unknown_one() -> None:
    result = subprocess.run(
        relay_command("no-such-service"), capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "unknown service 'no-such-service'" in result.stderr
    assert SERVICE in result.stderr  # the known ones are listed
