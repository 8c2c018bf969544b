"""A running importer on SQLite (FastStream's TestKafkaBroker) with a business clock the test
moves, and helpers in the words of the tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from settle_importer.app import SERVICE
from settle_importer.application.context import ImporterContext
from settle_shared.clock import FixedClock
from settle_shared.events import EVENT_TYPES
from settle_shared.outbox import stored_events
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-1"
DATA = Path(__file__).parents[1] / "data"

DUTCH_HEADER = (
    "Factuurnummer;Debiteurnummer;Naam;Type;E-mail;Factuurdatum;Vervaldatum;Bedrag;"
    "Openstaand;Valuta\n"
)


def dutch_csv(*rows: str) -> bytes:
    """A Dutch export (`;`, `1.234,56`, `dd-mm-yyyy`) with the given data lines."""
    return (DUTCH_HEADER + "".join(row + "\n" for row in rows)).encode("utf-8")


THREE_INVOICES = dutch_csv(
    "2025-001;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
    "01-03-2025;31-03-2025;1.210,00;1.210,00;EUR",
    "2025-002;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
    "05-03-2025;04-04-2025;242,00;100,00;EUR",
    "2025-003;D2;P. de Vries;particulier;p@devries.example;10-03-2025;09-04-2025;60,50;60,50;EUR",
)


@dataclass
class Importer:
    harness: ServiceHarness
    inbox: Path

    @property
    def client(self) -> Any:
        return self.harness.client

    @property
    def ctx(self) -> ImporterContext:
        ctx: ImporterContext = self.harness.runtime.app.state.importer
        return ctx

    def now(self, moment: datetime) -> FixedClock:
        """Set the business clock (tz-aware)."""
        clock = FixedClock(moment)
        self.harness.runtime.app.state.importer = replace(self.ctx, clock=clock)
        return clock

    async def administration(self, administration_id: str) -> None:
        """Announce an administration as the gateway does; the importer then imports into it."""
        await self.harness.administration(administration_id)

    async def upload(self, name: str, content: bytes, administration_id: str = ADM) -> Any:
        return await self.client.post(
            f"/internal/v1/administrations/{administration_id}/imports",
            files={"file": (name, content)},
        )

    async def finished(self) -> None:
        """Wait for the runs started in the background."""
        while self.ctx.tasks:
            await asyncio.gather(*list(self.ctx.tasks))

    async def import_file(
        self, name: str, content: bytes, administration_id: str = ADM
    ) -> dict[str, Any]:
        """Upload, wait for the run, return its detail."""
        response = await self.upload(name, content, administration_id)
        assert response.status_code == 202, response.text
        await self.finished()
        return await self.run(response.json()["run_id"], administration_id)

    async def run(self, run_id: str, administration_id: str = ADM) -> dict[str, Any]:
        response = await self.client.get(
            f"/internal/v1/administrations/{administration_id}/runs/{run_id}"
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def outbox(self) -> list[tuple[str, dict[str, Any]]]:
        """(event type, payload) of every staged event, oldest first; each valid under its
        own contract."""
        runtime = self.harness.runtime
        async with runtime.sessions() as session:
            stored = await stored_events(session, runtime.spec.metadata)
        for _, envelope in stored:
            EVENT_TYPES[envelope.type].model_validate_json(envelope.data)
        return [(envelope.type, json.loads(envelope.data)) for _, envelope in stored]


@pytest.fixture
async def importer(sqlite_database: str, tmp_path: Path) -> AsyncIterator[Importer]:
    inbox = tmp_path / "inbox"
    async with running_service(
        SERVICE,
        sqlite_database,
        inbox_dir=str(inbox),
        uploads_dir=str(tmp_path / "uploads"),
        scheduler_enabled=False,
    ) as harness:
        service = Importer(harness, inbox)
        service.now(datetime(2025, 4, 1, 8, 0, tzinfo=UTC))
        await service.administration(ADM)
        yield service
        await service.finished()
