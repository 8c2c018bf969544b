"""An administration exists once, in the gateway; every other service learns of it through the
real broker before its first invoice: the importer has its drop folder, dunning its flows and
settings, messaging its profile. Until then each refuses it, saying how to create it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from settle_shared.migrations import upgrade
from settle_shared.service import ServiceRuntime, build_runtime, load_service

pytestmark = pytest.mark.integration

KNOWN_WITHIN_S = 60.0
SETTINGS: dict[str, dict[str, Any]] = {
    "importer": {},  # its inbox_dir is the test's, below
    "dunning": {"daily_run_enabled": False},
    "messaging": {"inbound_smtp_port": 0},
    "gateway": {"seed_demo": True, "jwt_secret": "integration-secret-of-32-bytes-or-more"},
}


async def started(
    stack: AsyncExitStack, name: str, tmp_path: Path, bootstrap: str, **settings: Any
) -> ServiceRuntime:
    """The service as `settle serve` runs it (its lifespan: broker, consumers, relay, loops),
    on its own SQLite database and the real broker; no HTTP port, its app called in-process."""
    spec = load_service(name)
    database = f"sqlite+aiosqlite:///{tmp_path / name}.db"
    await asyncio.to_thread(upgrade, spec.migrations_dir, database)
    config = spec.settings_cls(
        database_url=database,
        environment="test",
        kafka_bootstrap_servers=bootstrap,
        kafka_partitions=2,
        **settings,
    )
    runtime = build_runtime(spec, config)
    await stack.enter_async_context(runtime.app.router.lifespan_context(runtime.app))
    return runtime


def client(runtime: ServiceRuntime, **headers: str) -> httpx.AsyncClient:
    token = runtime.settings.service_token.get_secret_value()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.app),
        base_url="http://service",
        headers={"Authorization": f"Bearer {token}", **headers},
    )


async def eventually(what: str, check: Callable[[], Awaitable[bool]]) -> float:
    """Seconds until `check` held; fails after KNOWN_WITHIN_S."""
    began = time.monotonic()
    while time.monotonic() - began < KNOWN_WITHIN_S:
        if await check():
            return time.monotonic() - began
        await asyncio.sleep(0.2)
    pytest.fail(f"{what} not within {KNOWN_WITHIN_S:.0f} s")


@pytest.fixture
async def services(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    async with AsyncExitStack() as stack:
        runtimes = {
            "importer": await started(
                stack, "importer", tmp_path, kafka_bootstrap, inbox_dir=str(tmp_path / "inbox")
            )
        }
        for name in ("dunning", "messaging"):
            runtimes[name] = await started(stack, name, tmp_path, kafka_bootstrap, **SETTINGS[name])
        login = tmp_path / "demo-login.json"
        runtimes["gateway"] = await started(
            stack,
            "gateway",
            tmp_path,
            kafka_bootstrap,
            demo_login_file=str(login),
            **SETTINGS["gateway"],
        )
        clients = {name: await stack.enter_async_context(client(r)) for name, r in runtimes.items()}
        yield {
            "runtimes": runtimes,
            "clients": clients,
            "login": login,
            "inbox": tmp_path / "inbox",
        }


async def known_everywhere(services: dict[str, Any], administration_id: str) -> dict[str, bool]:
    """Whether each service answers for the administration (before any invoice)."""
    clients = services["clients"]
    base = f"/internal/v1/administrations/{administration_id}"
    answers = {
        "importer": await clients["importer"].get(f"{base}/connections"),
        "dunning": await clients["dunning"].get(base),
        "messaging": await clients["messaging"].get(f"{base}/profile"),
    }
    for name, answer in answers.items():
        assert answer.status_code in (200, 404), (name, answer.text)
    return {name: answer.status_code == 200 for name, answer in answers.items()}


async def test_an_administration_created_in_the_gateway_is_ready_in_every_service(services):
    clients = services["clients"]
    # Before anyone created it, every service refuses it and says how to create it.
    refused = await clients["importer"].post(
        "/internal/v1/administrations/bakkerij-be/imports",
        files={"file": ("openstaand.csv", b"Factuurnummer;Bedrag\nF1;1,00\n")},
    )
    assert refused.status_code == 404
    assert "settle gateway administration-create" in refused.json()["detail"]
    assert await known_everywhere(services, "bakkerij-be") == dict.fromkeys(
        ("importer", "dunning", "messaging"), False
    )

    # The demo administration the gateway seeded at start reaches every service.
    await eventually(
        "the demo administration in every service",
        lambda: _all(known_everywhere(services, "demo")),
    )
    assert (services["inbox"] / "demo").is_dir()

    # A user creates one through the gateway's API: ready everywhere without any import.
    demo = json.loads(services["login"].read_text())
    async with client(services["runtimes"]["gateway"]) as gateway:
        tokens = await gateway.post(
            "/api/v1/auth/login", json={"email": demo["email"], "password": demo["password"]}
        )
        user = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        created = await gateway.post(
            "/api/v1/administrations",
            json={"id": "bakkerij-be", "name": "Bakkerij België"},
            headers=user,
        )
        assert created.status_code == 201, created.text
    seconds = await eventually(
        "the new administration in every service",
        lambda: _all(known_everywhere(services, "bakkerij-be")),
    )
    print(f"known in every service {seconds:.1f} s after it was created")
    assert (services["inbox"] / "bakkerij-be").is_dir()
    flows = await clients["dunning"].get("/internal/v1/administrations/bakkerij-be/flows")
    assert [f["id"] for f in flows.json()] == ["default-business", "default-consumer"]
    runs = await clients["importer"].get("/internal/v1/administrations/bakkerij-be/runs")
    assert runs.json()["runs"] == []  # no invoice was needed for any of it


async def _all(answers: Awaitable[dict[str, bool]]) -> bool:
    return all((await answers).values())
