"""Administrations are created and renamed in the gateway, by its API or its command line, and
each is announced to the other services through the outbox; those that existed before the
gateway announced them are announced when it starts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from settle_gateway.adapters.tables import administrations
from settle_gateway.app import SERVICE, announce_existing
from settle_gateway.cli import cli
from settle_shared.events.gateway import ADMINISTRATIONS
from settle_shared.migrations import upgrade
from settle_shared.outbox import stored_events
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import running_service

from .conftest import ADM, JWT_SECRET, Gateway

pytestmark = pytest.mark.service


async def announced(runtime: ServiceRuntime) -> list[tuple[str, dict[str, Any]]]:
    """(event type, payload) of every administration event in the gateway's outbox."""
    async with runtime.sessions() as session:
        stored = await stored_events(session, runtime.spec.metadata)
    return [
        (envelope.type, envelope.payload().model_dump(mode="json"))  # type: ignore[union-attr]
        for topic, envelope in stored
        if topic == ADMINISTRATIONS.name
    ]


async def test_an_administrator_creates_an_administration_and_every_service_is_told(
    gateway: Gateway,
) -> None:
    before = await announced(gateway.harness.runtime)
    created = await gateway.post(
        "/api/v1/administrations", json={"id": "bakkerij-be", "name": "Bakkerij België"}
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "id": "bakkerij-be",
        "name": "Bakkerij België",
        "role": "administrator",
    }
    [(kind, payload)] = (await announced(gateway.harness.runtime))[len(before) :]
    assert kind == "settle.gateway.administration.created"
    assert payload["administration_id"] == "bakkerij-be"
    assert payload["name"] == "Bakkerij België"
    # The creator administers it at once, and it is in their list.
    me = await gateway.get("/api/v1/me")
    assert "bakkerij-be" in [a["id"] for a in me.json()["administrations"]]
    renamed = await gateway.put(
        "/api/v1/administrations/bakkerij-be", json={"name": "Bakkerij Antwerpen"}
    )
    assert renamed.status_code == 200, renamed.text
    kind, payload = (await announced(gateway.harness.runtime))[-1]
    assert kind == "settle.gateway.administration.changed"
    assert payload["name"] == "Bakkerij Antwerpen"


async def test_creating_an_administration_is_refused_with_a_reason(gateway: Gateway) -> None:
    taken = await gateway.post("/api/v1/administrations", json={"id": ADM, "name": "Again"})
    assert taken.status_code == 409
    assert f"administration {ADM} exists already" in taken.json()["detail"]
    # Another organisation's id is taken just the same: ids are the services' keys.
    elsewhere = await gateway.post("/api/v1/administrations", json={"id": "adm-b", "name": "B"})
    assert elsewhere.status_code == 409
    bad = await gateway.post("/api/v1/administrations", json={"id": "a/b", "name": "Slash"})
    assert bad.status_code == 422
    clerk = await gateway.post(
        "/api/v1/administrations", "sam@a.example", json={"id": "mine", "name": "Mine"}
    )
    assert clerk.status_code == 403
    assert "only an administrator" in clerk.json()["detail"]
    # Renaming is the administration's administrators' only.
    assert (
        await gateway.put(f"/api/v1/administrations/{ADM}", "sam@a.example", json={"name": "X"})
    ).status_code == 403
    assert (
        await gateway.put("/api/v1/administrations/adm-b", json={"name": "X"})
    ).status_code == 404


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    upgrade(SERVICE.migrations_dir, url)
    monkeypatch.setenv("SETTLE_GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("SETTLE_GATEWAY_JWT_SECRET", JWT_SECRET)
    return url


async def test_the_command_line_creates_and_renames_administrations_and_announces_them(
    cli_database: str,
) -> None:
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, list(args))

    created = await asyncio.to_thread(
        invoke,
        "administration-create",
        "--administration",
        "bakkerij-nl",
        "--name",
        "Bakkerij",
        "--organisation",
        "Bakkerij B.V.",
    )
    assert created.exit_code == 0, created.output
    again = await asyncio.to_thread(
        invoke, "administration-create", "--administration", "bakkerij-nl", "--name", "B",
        "--organisation", "Bakkerij B.V.",
    )  # fmt: skip
    assert again.exit_code == 1 and "exists already" in again.output
    bad = await asyncio.to_thread(
        invoke, "administration-create", "--administration", "bakkerij nl", "--name", "B",
        "--organisation", "Bakkerij B.V.",
    )  # fmt: skip
    assert bad.exit_code == 1 and "is not an administration id" in bad.output
    admin = await asyncio.to_thread(
        invoke, "admin-create", "--email", "o@example.com", "--organisation", "Other",
        "--administration", "other-nl", "--password", "a long password",
    )  # fmt: skip
    assert admin.exit_code == 0, admin.output
    renamed = await asyncio.to_thread(
        invoke, "administration-rename", "--administration", "bakkerij-nl", "--name", "Bakker"
    )
    assert renamed.exit_code == 0, renamed.output
    unknown = await asyncio.to_thread(
        invoke, "administration-rename", "--administration", "nosuch", "--name", "X"
    )
    assert unknown.exit_code == 1 and "unknown administration nosuch" in unknown.output
    # Staged in the gateway's outbox, which the running gateway's relay publishes.
    async with running_service(SERVICE, cli_database, jwt_secret=JWT_SECRET) as harness:
        events = await announced(harness.runtime)
    assert [(kind.rsplit(".", 1)[1], p["administration_id"], p["name"]) for kind, p in events] == [
        ("created", "bakkerij-nl", "Bakkerij"),
        ("created", "other-nl", "other-nl"),
        ("changed", "bakkerij-nl", "Bakker"),
    ]


async def test_administrations_from_before_the_upgrade_are_announced_once_at_start(
    cli_database: str,
) -> None:
    # A gateway database of the release before: its administrations were never announced.
    created = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        [
            "administration-create",
            "--administration",
            "old",
            "--name",
            "Old",
            "--organisation",
            "O",
        ],
    )
    assert created.exit_code == 0, created.output
    async with running_service(SERVICE, cli_database, jwt_secret=JWT_SECRET) as harness:
        runtime = harness.runtime
        async with runtime.engine.begin() as conn:
            await conn.execute(sa.update(administrations).values(announced_at=None))
        before = len(await announced(runtime))
        counts = await asyncio.gather(*(announce_existing(runtime) for _ in range(3)))
        assert sorted(counts) == [0, 0, 1]
        assert await announce_existing(runtime) == 0  # the next start announces nothing
        events = await announced(runtime)
    assert len(events) == before + 1
    assert events[-1][0] == "settle.gateway.administration.created"
    assert events[-1][1]["administration_id"] == "old"
