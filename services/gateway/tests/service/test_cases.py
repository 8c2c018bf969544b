"""Collection cases at the gateway: the list and the dashboard's counts per step follow the
collection service's events; a case's detail and every command go to the collection service
(mounted here), allowed by role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from settle_collection.app import SERVICE as COLLECTION
from settle_shared.events import collection, dunning, importer
from settle_shared.testing.service import ServiceHarness, running_service

from .conftest import ADM, OTHER, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def case_event(kind: type[collection.CaseEvent], case_id: str = "case-1", **fields: Any) -> Any:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "case_id": case_id,
        "debtor_id": "deb-1",
        "invoice_ids": ["inv-1"],
        "status": "open",
        "step": "new",
        "balance": collection.CaseBalance(
            principal=Decimal("1000.00"),
            costs=Decimal("0.00"),
            interest=Decimal("0.00"),
            total=Decimal("1000.00"),
            currency="EUR",
            as_of=date(2025, 3, 20),
        ),
        "on": date(2025, 3, 20),
    }
    values.update(fields)
    return kind(**values)


async def test_cases_are_listed_and_counted_per_step_as_they_move(gateway: Gateway) -> None:
    await gateway.debtor("deb-1", "Jansen B.V.")
    await gateway.deliver(case_event(collection.CaseOpened, how="automatic"))
    await gateway.deliver(case_event(collection.CaseProposed, "case-2", status="proposed", why="x"))
    await gateway.deliver(
        case_event(collection.CaseStepChanged, step="reminder", previous_step="new", by="schedule")
    )

    listed = (await gateway.get(f"{API}/cases", "rita@a.example")).json()
    assert [(c["case_id"], c["status"], c["step"]) for c in listed["items"]] == [
        ("case-1", "open", "reminder"),
        ("case-2", "proposed", "new"),
    ]
    assert listed["items"][0]["debtor_name"] == "Jansen B.V."
    board = await gateway.dashboard()
    assert board["cases"] == [
        {"status": "proposed", "step": "new", "count": 1},
        {"status": "open", "step": "reminder", "count": 1},
    ]
    only_open = (await gateway.get(f"{API}/cases", params={"status": "open"})).json()
    assert [c["case_id"] for c in only_open["items"]] == ["case-1"]

    await gateway.deliver(case_event(collection.CaseClosed, status="closed", outcome="paid"))

    assert (await gateway.dashboard())["cases"] == [
        {"status": "proposed", "step": "new", "count": 1}
    ]
    [closed] = (await gateway.get(f"{API}/cases", params={"status": "closed"})).json()["items"]
    assert (closed["outcome"], closed["last_event"]) == ("paid", "closed")


async def test_another_organisations_cases_are_not_seen(gateway: Gateway) -> None:
    await gateway.deliver(case_event(collection.CaseOpened, how="automatic"))

    other = await gateway.get(f"/api/v1/administrations/{OTHER}/cases", "alice@a.example")
    theirs = await gateway.get(f"/api/v1/administrations/{OTHER}/cases", "bob@b.example")

    assert other.status_code == 404
    assert theirs.json()["items"] == []


@pytest.fixture
async def with_collection(gateway: Gateway, tmp_path: Path) -> AsyncIterator[ServiceHarness]:
    async with running_service(
        COLLECTION, f"sqlite+aiosqlite:///{tmp_path / 'collection.db'}", schedule_enabled=False
    ) as harness:
        upstreams = gateway.harness.runtime.app.state.gateway.upstreams
        old = upstreams.clients["collection"]
        upstreams.clients["collection"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.runtime.app),
            base_url="http://collection",
            headers={"Authorization": old.headers["Authorization"]},
        )
        await old.aclose()
        yield harness


async def test_a_case_is_read_and_worked_through_the_collection_service(
    gateway: Gateway, with_collection: ServiceHarness
) -> None:
    settings = await gateway.put(
        f"{API}/collection/settings", json={"opening": "automatic", "costs_vat": False}
    )
    assert settings.status_code == 200, settings.text
    refused = await gateway.put(f"{API}/collection/settings", "sam@a.example", json={})
    assert refused.status_code == 403
    for fact in (
        importer.DebtorUpserted(
            administration_id=ADM,
            debtor_id="deb-1",
            number="D1",
            version=1,
            name="Jansen",
            kind="business",
        ),
        importer.InvoiceImported(
            administration_id=ADM,
            invoice_id="inv-1",
            number="2025-001",
            version=1,
            run_id="r",
            debtor_id="deb-1",
            debtor_number="D1",
            invoice_date=date(2025, 1, 1),
            due_date=date(2025, 1, 31),
            amount=Decimal("1000.00"),
            open_amount=Decimal("1000.00"),
            currency="EUR",
        ),
        dunning.InvoiceReadyForCollection(
            administration_id=ADM,
            invoice_id="inv-1",
            debtor_id="deb-1",
            flow_id="default-business",
            open_amount=Decimal("1000.00"),
            currency="EUR",
            on=date(2025, 3, 20),
        ),
    ):
        await with_collection.deliver(fact, administration_id=ADM)
    case_id = await _case_id(with_collection)

    shown = await gateway.get(f"{API}/cases/{case_id}", "rita@a.example")
    assert shown.status_code == 200, shown.text
    assert shown.json()["balance"]["principal_open"] == "1000.00"
    restricted = await gateway.post(
        f"{API}/cases/{case_id}/charges", "rita@a.example", json={"part": "costs"}
    )
    assert restricted.status_code == 403

    charged = await gateway.post(
        f"{API}/cases/{case_id}/charges", "sam@a.example", json={"part": "costs"}
    )
    assert charged.status_code == 200, charged.text
    assert charged.json()["balance"]["costs_open"] == "150.00"
    too_much = await gateway.post(
        f"{API}/cases/{case_id}/remissions",
        "sam@a.example",
        json={"part": "costs", "amount": "500.00", "reason": "goodwill"},
    )
    assert too_much.status_code == 422
    partners = await gateway.get(f"{API}/collection/partners", "rita@a.example")
    assert [p["partner_id"] for p in partners.json()] == ["example-bailiff"]


async def _case_id(harness: ServiceHarness) -> str:
    answer = await harness.client.get(f"/internal/v1/administrations/{ADM}/cases")
    [case] = answer.json()["items"]
    return str(case["case_id"])
