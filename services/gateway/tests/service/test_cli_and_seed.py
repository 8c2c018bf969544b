"""The command line (users, administrators, API tokens, rebuild) and the demo seed."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from settle_gateway.adapters.tables import rm_invoices
from settle_gateway.app import SERVICE, embedded_settings, seed_demo_login
from settle_gateway.cli import cli
from settle_shared.db import inbox_table
from settle_shared.migrations import upgrade
from settle_shared.service import EmbeddedContext
from settle_shared.testing.service import running_service

from .conftest import JWT_SECRET

pytestmark = pytest.mark.service

NO_AUTH = {"Authorization": ""}


async def test_the_demo_is_seeded_once_and_its_login_works(
    sqlite_database: str, tmp_path: Path
) -> None:
    login_file = tmp_path / "var" / "demo-login.json"
    async with running_service(
        SERVICE,
        sqlite_database,
        jwt_secret=JWT_SECRET,
        seed_demo=True,
        demo_login_file=str(login_file),
    ) as harness:
        password = await seed_demo_login(harness.runtime)
        assert password is not None
        assert await seed_demo_login(harness.runtime) is None  # a restart changes nothing
        written = json.loads(login_file.read_text())
        assert written == {
            "email": "demo@settle.example",
            "password": password,
            "administration_id": "demo",
        }
        assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
        tokens = await harness.client.post(
            "/api/v1/auth/login",
            json={"email": "demo@settle.example", "password": password},
            headers=NO_AUTH,
        )
        assert tokens.status_code == 200
        me = await harness.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
        )
        assert me.json()["administrations"][0]["id"] == "demo"


@pytest.mark.integration
async def test_workers_seeding_the_demo_at_once_create_one_login(pg_database: str) -> None:
    # Every worker of `settle serve --workers N` seeds at start; the losers find the winner's.
    async with running_service(
        SERVICE, pg_database, jwt_secret=JWT_SECRET, seed_demo=True
    ) as harness:
        passwords = await asyncio.gather(*(seed_demo_login(harness.runtime) for _ in range(3)))
        assert sum(password is not None for password in passwords) == 1
        async with harness.runtime.sessions() as session:
            users = await session.scalar(sa.text("SELECT count(*) FROM users"))
            organisations = await session.scalar(sa.text("SELECT count(*) FROM organisations"))
        assert (users, organisations) == (1, 1)


def test_the_embedded_stack_seeds_the_demo_and_knows_the_neighbours(tmp_path: Path) -> None:
    settings = embedded_settings(
        EmbeddedContext(
            var_dir=tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=1025,
            inbound_smtp_port=2525,
            service_urls={"dunning": "http://127.0.0.1:8002", "gateway": "http://127.0.0.1:8000"},
        )
    )
    assert settings["seed_demo"] == "true"
    assert settings["demo_login_file"] == str(tmp_path / "demo-login.json")
    assert settings["dunning_url"] == "http://127.0.0.1:8002"
    assert "importer_url" not in settings


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    upgrade(SERVICE.migrations_dir, url)
    monkeypatch.setenv("SETTLE_GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("SETTLE_GATEWAY_JWT_SECRET", JWT_SECRET)
    return url


def test_admins_users_and_tokens_are_created_on_the_command_line(cli_database: str) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli,
        [
            "admin-create",
            "--email",
            "Owner@Example.com",
            "--organisation",
            "Bakkerij",
            "--administration",
            "bakkerij-nl",
            "--password",
            "a long password",
        ],
    )
    assert created.exit_code == 0, created.output
    assert "a long password" not in created.output
    user = runner.invoke(
        cli,
        [
            "user-create",
            "--email",
            "clerk@example.com",
            "--administration",
            "bakkerij-nl",
            "--role",
            "communication",
            "--password",
            "another password",
        ],
    )
    assert user.exit_code == 0, user.output
    again = runner.invoke(
        cli, ["user-create", "--email", "clerk@example.com", "--administration", "bakkerij-nl"]
    )
    assert again.exit_code == 1 and "exists already" in again.output
    unknown = runner.invoke(
        cli, ["user-create", "--email", "x@example.com", "--administration", "nope"]
    )
    assert unknown.exit_code == 1
    token = runner.invoke(cli, ["token-create", "--name", "bi", "--administration", "bakkerij-nl"])
    assert token.exit_code == 0 and token.output.startswith("stl_")
    platform = runner.invoke(cli, ["platform-admin", "--email", "owner@example.com"])
    assert platform.exit_code == 0 and "is now a platform administrator" in platform.output
    nobody = runner.invoke(cli, ["platform-admin", "--email", "nobody@example.com"])
    assert nobody.exit_code == 1 and "no user with email nobody@example.com" in nobody.output


async def test_a_platform_administrator_made_on_the_command_line_creates_organisations(
    cli_database: str,
) -> None:
    runner = CliRunner()
    for args in (
        ["admin-create", "--email", "ops@example.com", "--organisation", "Operations",
         "--administration", "ops", "--password", "a long password"],
        ["platform-admin", "--email", "ops@example.com"],
    ):  # fmt: skip
        result = await asyncio.to_thread(runner.invoke, cli, args)
        assert result.exit_code == 0, result.output
    async with running_service(SERVICE, cli_database, jwt_secret=JWT_SECRET) as harness:
        tokens = await harness.client.post(
            "/api/v1/auth/login",
            json={"email": "ops@example.com", "password": "a long password"},
            headers=NO_AUTH,
        )
        auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        body = {
            "name": "Bakkerij",
            "administration": {"id": "bakkerij-nl", "name": "Bakkerij"},
            "administrator": {"email": "owner@bakkerij.example", "name": "Owner"},
        }
        created = await harness.client.post("/api/v1/organisations", json=body, headers=auth)
        assert created.status_code == 201, created.text
    removed = await asyncio.to_thread(
        runner.invoke, cli, ["platform-admin", "--email", "ops@example.com", "--remove"]
    )
    assert removed.exit_code == 0 and "is no longer" in removed.output
    async with running_service(SERVICE, cli_database, jwt_secret=JWT_SECRET) as harness:
        tokens = await harness.client.post(
            "/api/v1/auth/login",
            json={"email": "ops@example.com", "password": "a long password"},
            headers=NO_AUTH,
        )
        auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
        body["name"] = "Other"
        refused = await harness.client.post("/api/v1/organisations", json=body, headers=auth)
        assert refused.status_code == 403


async def test_rebuild_empties_the_read_model_for_a_fresh_consumer_group(
    cli_database: str,
) -> None:
    async with running_service(SERVICE, cli_database, jwt_secret=JWT_SECRET) as harness:
        from .conftest import Gateway

        gateway = Gateway(harness)
        await gateway.debtor()
        await gateway.invoice("inv-1")
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["rebuild", "--group", "gateway-2"])
    assert result.exit_code == 0, result.output
    assert "SETTLE_GATEWAY_CONSUMER_GROUP=gateway-2" in result.output
    async with running_service(
        SERVICE, cli_database, jwt_secret=JWT_SECRET, consumer_group="gateway-2"
    ) as harness:
        async with harness.runtime.engine.connect() as conn:
            assert (
                await conn.execute(sa.select(sa.func.count()).select_from(rm_invoices))
            ).scalar() == 0
            inbox = inbox_table(harness.runtime.spec.metadata)
            assert (await conn.execute(sa.select(sa.func.count()).select_from(inbox))).scalar() == 0
        gateway = Gateway(harness)
        await gateway.debtor()
        await gateway.invoice("inv-1")  # the topics read again from the start
        async with harness.runtime.engine.connect() as conn:
            assert (
                await conn.execute(sa.select(sa.func.count()).select_from(rm_invoices))
            ).scalar() == 1


def test_several_workers_are_refused_on_sqlite(sqlite_database: str) -> None:
    from settle_shared.cli.main import app

    result = CliRunner().invoke(
        app,
        ["serve", "gateway", "--workers", "2"],
        env={"SETTLE_GATEWAY_DATABASE_URL": sqlite_database},
    )
    assert result.exit_code == 2
    assert "needs PostgreSQL" in result.output
