"""A running gateway on SQLite with two organisations, users in every role, and helpers that
deliver the other services' events in the words of the tests."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_dunning.app import SERVICE as DUNNING
from settle_gateway.adapters.read_model import TOPICS
from settle_gateway.adapters.tables import metadata
from settle_gateway.app import SERVICE
from settle_gateway.auth.service import (
    create_user,
    ensure_administration,
    ensure_organisation,
    grant,
)
from settle_gateway.domain.access import Role
from settle_importer.app import SERVICE as IMPORTER
from settle_messaging.app import SERVICE as MESSAGING
from settle_shared.clock import FixedClock
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.events import dunning, importer, messaging
from settle_shared.events.base import dead_letter_topic
from settle_shared.migrations import upgrade
from settle_shared.outbox import Outbox
from settle_shared.service import ServiceRuntime
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-a"
OTHER = "adm-b"
PASSWORD = "correct horse battery staple"
JWT_SECRET = "test-secret-of-at-least-thirty-two-bytes!"
NOW = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
USERS = {
    "alice@a.example": (ADM, Role.ADMINISTRATOR),
    "sam@a.example": (ADM, Role.STANDARD),
    "cora@a.example": (ADM, Role.COMMUNICATION),
    "rita@a.example": (ADM, Role.RESTRICTED),
    "bob@b.example": (OTHER, Role.ADMINISTRATOR),
}


@dataclass
class Gateway:
    """The harness plus helpers in the words of the tests."""

    harness: ServiceHarness
    versions: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def client(self) -> Any:
        return self.harness.client

    async def login(self, email: str, password: str = PASSWORD) -> Any:
        return await self.client.post(
            "/api/v1/auth/login",
            json={"email": email, "password": password},
            headers={"Authorization": ""},
        )

    async def auth(self, email: str = "alice@a.example") -> dict[str, str]:
        """Authorization header of a signed-in user (signed in once per test)."""
        if email not in self.tokens:
            response = await self.login(email)
            assert response.status_code == 200, response.text
            self.tokens[email] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[email]}"}

    async def get(self, path: str, email: str = "alice@a.example", **kwargs: Any) -> Any:
        return await self.client.get(path, headers=await self.auth(email), **kwargs)

    async def post(self, path: str, email: str = "alice@a.example", **kwargs: Any) -> Any:
        return await self.client.post(path, headers=await self.auth(email), **kwargs)

    async def put(self, path: str, email: str = "alice@a.example", **kwargs: Any) -> Any:
        return await self.client.put(path, headers=await self.auth(email), **kwargs)

    async def delete(self, path: str, email: str = "alice@a.example", **kwargs: Any) -> Any:
        return await self.client.delete(path, headers=await self.auth(email), **kwargs)

    def _version(self, key: str) -> int:
        self.versions[key] = self.versions.get(key, 0) + 1
        return self.versions[key]

    def at(self, moment: datetime) -> None:
        """Set the clock that stamps delivered events (and the business date)."""
        self.harness.runtime.clock = FixedClock(moment)

    async def deliver(self, fact: Any, administration_id: str = ADM, **kwargs: Any) -> Any:
        return await self.harness.deliver(fact, administration_id=administration_id, **kwargs)

    async def debtor(
        self, debtor_id: str = "deb-1", name: str | None = None, adm: str = ADM, **extra: Any
    ) -> importer.DebtorUpserted:
        fact = importer.DebtorUpserted(
            administration_id=adm,
            debtor_id=debtor_id,
            number=f"D{debtor_id}",
            version=extra.pop("version", None) or self._version(f"{adm}/{debtor_id}"),
            name=name or f"Debtor {debtor_id}",
            kind=extra.pop("kind", "business"),
            emails=extra.pop("emails", [f"{debtor_id}@example.nl"]),
            address_lines=["Dam 1"],
            postal_code="1012 JS",
            city="Amsterdam",
            country="NL",
            language="nl",
            **extra,
        )
        await self.deliver(fact, adm)
        return fact

    async def invoice(
        self,
        invoice_id: str = "inv-1",
        *,
        due: date = date(2025, 3, 3),
        amount: str = "121.00",
        debtor_id: str = "deb-1",
        adm: str = ADM,
        version: int | None = None,
    ) -> importer.InvoiceImported:
        fact = importer.InvoiceImported(
            administration_id=adm,
            invoice_id=invoice_id,
            number=f"F-{invoice_id}",
            version=version or self._version(f"{adm}/{invoice_id}"),
            run_id="run-1",
            debtor_id=debtor_id,
            debtor_number=f"D{debtor_id}",
            invoice_date=date(2025, 2, 1),
            due_date=due,
            amount=Decimal(amount),
            open_amount=Decimal(amount),
            currency="EUR",
            payment_condition="30",
        )
        await self.deliver(fact, adm)
        return fact

    async def changed(self, invoice_id: str, open_amount: str, previous: str = "121.00") -> None:
        await self.deliver(
            importer.InvoiceChanged(
                administration_id=ADM,
                invoice_id=invoice_id,
                number=f"F-{invoice_id}",
                version=self._version(f"{ADM}/{invoice_id}"),
                run_id="run-2",
                open_amount=Decimal(open_amount),
                previous_open_amount=Decimal(previous),
                currency="EUR",
            )
        )

    async def settled(self, invoice_id: str) -> None:
        await self.deliver(
            importer.InvoiceSettled(
                administration_id=ADM,
                invoice_id=invoice_id,
                number=f"F-{invoice_id}",
                version=self._version(f"{ADM}/{invoice_id}"),
                run_id="run-2",
                reason="paid",
            )
        )

    async def phase(self, invoice_id: str, phase: str, previous: str = "sent") -> None:
        await self.deliver(
            dunning.PhaseChanged(
                administration_id=ADM,
                invoice_id=invoice_id,
                debtor_id="deb-1",
                previous_phase=previous,
                phase=phase,
                on=date(2025, 3, 20),
                open_amount=Decimal("121.00"),
                currency="EUR",
            )
        )

    async def executed(self, invoice_id: str = "inv-1", phase: str = "reminder_1") -> None:
        await self.deliver(
            dunning.StepExecuted(
                administration_id=ADM,
                invoice_id=invoice_id,
                debtor_id="deb-1",
                flow_id="standard",
                step_id="reminder_1",
                executed_on=date(2025, 3, 20),
                reason="scheduled",
                channels=["email"],
                phase=phase,
                cycle=1,
                legally_required=False,
                message_request_id="req-1",
                next_step_id="reminder_2",
                next_step_on=date(2025, 4, 3),
            )
        )

    async def attention(
        self,
        reason: str = "email_undeliverable",
        subject_id: str = "inv-1",
        subject_type: str = "invoice",
        raised: bool = True,
    ) -> None:
        cls = dunning.AttentionRaised if raised else dunning.AttentionResolved
        await self.deliver(
            cls(
                administration_id=ADM,
                subject_type=subject_type,
                subject_id=subject_id,
                reason=reason,
                sentence="Look at this.",
            )
        )

    async def reply(self, message_id: str = "msg-r1", invoice_ids: list[str] | None = None) -> None:
        await self.deliver(
            messaging.ReplyReceived(
                administration_id=ADM,
                message_id=message_id,
                debtor_id="deb-1",
                invoice_ids=invoice_ids if invoice_ids is not None else ["inv-1"],
                thread_id="thr-1",
                via="email",
                sender="deb-1@example.nl",
                subject_line="Re: your reminder",
                received_at=self.harness.runtime.clock.now(),
            )
        )

    async def dashboard(self, email: str = "alice@a.example") -> dict[str, Any]:
        response = await self.get(f"/api/v1/administrations/{ADM}/dashboard", email)
        assert response.status_code == 200, response.text
        return dict(response.json())


async def add_users(harness: ServiceHarness) -> None:
    await seed_users(harness.runtime.sessions)


async def seed_users(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Two organisations with an administration each, and a user in every role."""
    outbox = Outbox(metadata, source="/settle/gateway", clock=FixedClock(NOW))
    async with transaction(sessions) as session:
        org_a = await ensure_organisation(session, "Org A", NOW)
        org_b = await ensure_organisation(session, "Org B", NOW)
        await ensure_administration(session, outbox, org_a, ADM, "A", NOW)
        await ensure_administration(session, outbox, org_b, OTHER, "B", NOW)
        for email, (adm, role) in USERS.items():
            org = org_a if adm == ADM else org_b
            user_id = await create_user(
                session, organisation_id=org, email=email, name=email, password=PASSWORD, now=NOW
            )
            await grant(session, user_id, adm, role)


@dataclass
class Neighbours:
    """The real importer, dunning and messaging services (each migrated on its own SQLite
    database), mounted into the gateway's HTTP clients with httpx.ASGITransport."""

    importer: ServiceHarness
    dunning: ServiceHarness
    messaging: ServiceHarness


@pytest.fixture
async def neighbours(gateway: Gateway, tmp_path: Path) -> AsyncIterator[Neighbours]:
    async with AsyncExitStack() as stack:
        imp = await stack.enter_async_context(
            running_service(
                IMPORTER,
                f"sqlite+aiosqlite:///{tmp_path / 'importer.db'}",
                inbox_dir=str(tmp_path / "inbox"),
                scheduler_enabled=False,
            )
        )
        dun = await stack.enter_async_context(
            running_service(
                DUNNING,
                f"sqlite+aiosqlite:///{tmp_path / 'dunning.db'}",
                daily_run_enabled=False,
            )
        )
        msg = await stack.enter_async_context(
            running_service(
                MESSAGING,
                f"sqlite+aiosqlite:///{tmp_path / 'messaging.db'}",
                inbound_smtp_port=0,
                rate_limit_per_minute=0,
            )
        )
        for harness in (imp, dun, msg):
            await harness.administration(ADM)  # as the gateway announced it
        upstreams = gateway.harness.runtime.app.state.gateway.upstreams
        for name, harness in (("importer", imp), ("dunning", dun), ("messaging", msg)):
            old = upstreams.clients[name]
            upstreams.clients[name] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=harness.runtime.app),
                base_url=f"http://{name}",
                headers={"Authorization": old.headers["Authorization"]},
            )
            await old.aclose()
        yield Neighbours(imp, dun, msg)
        tasks = imp.runtime.app.state.importer.tasks
        while tasks:
            await asyncio.gather(*list(tasks))


@pytest.fixture(scope="session")
async def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated and seeded once: copying a file is much faster than migrating and hashing
    passwords for every test."""
    path = tmp_path_factory.mktemp("gateway") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
    engine = create_engine(url)
    try:
        await seed_users(session_factory(engine))
    finally:
        await engine.dispose()
    return path


@pytest.fixture
async def gateway(template_database: Path, tmp_path: Path) -> AsyncIterator[Gateway]:
    async with gateway_with(template_database, tmp_path) as running:
        yield running


@asynccontextmanager
async def gateway_with(
    template_database: Path, tmp_path: Path, **settings: Any
) -> AsyncIterator[Gateway]:
    """A gateway on a copy of the seeded database, with these settings besides the tests'."""
    database = tmp_path / "gateway.db"
    shutil.copyfile(template_database, database)
    dead: list[Any] = []

    def catch_dead_letters(runtime: ServiceRuntime) -> None:
        @runtime.broker.subscriber(*(dead_letter_topic(topic) for topic in TOPICS))
        async def dead_letters(body: Any) -> None:
            dead.append(body)

    async with running_service(
        SERVICE,
        f"sqlite+aiosqlite:///{database}",
        before_start=catch_dead_letters,
        jwt_secret=JWT_SECRET,
        consumer_retry_backoff_s=0,
        **settings,
    ) as harness:
        harness.runtime.clock = FixedClock(NOW)
        yield Gateway(harness)
    # Every event a test delivers must project: a dead letter here is a projection bug.
    assert dead == []


__all__ = ["ADM", "JWT_SECRET", "OTHER", "PASSWORD", "Gateway", "metadata"]
