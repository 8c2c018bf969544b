"""A payment plan over a collection case through the gateway: the gateway reads the case from
collection (its balance today) and dunning makes the plan; an unknown case, or another
administration's, is a 404, a case already in a plan a 409."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from settle_shared.events import dunning, importer
from settle_shared.testing.service import ServiceHarness

from .conftest import ADM, Gateway, Neighbours
from .test_cases import _case_id, with_collection  # noqa: F401 (a fixture)
from .test_plans import _forward_plans

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
PLANS = f"{API}/plans"


async def _open_case(gateway: Gateway, collection: ServiceHarness) -> str:
    settings = await gateway.put(
        f"{API}/collection/settings", json={"opening": "automatic", "costs_vat": False}
    )
    assert settings.status_code == 200, settings.text
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
        await collection.deliver(fact, administration_id=ADM)
    return await _case_id(collection)


def _terms() -> dict[str, object]:
    # The services' clocks are the real ones here: a first date ahead of them.
    return {
        "kind": "monthly",
        "first_date": (date.today() + timedelta(days=10)).isoformat(),
        "instalments": 3,
    }


async def test_a_plan_over_a_case_covers_its_balance_today(
    gateway: Gateway,
    neighbours: Neighbours,
    with_collection: ServiceHarness,  # noqa: F811
) -> None:
    case_id = await _open_case(gateway, with_collection)
    charged = await gateway.post(
        f"{API}/cases/{case_id}/charges", "sam@a.example", json={"part": "costs"}
    )
    assert charged.status_code == 200, charged.text
    balance = (await gateway.get(f"{API}/cases/{case_id}")).json()["balance"]["total"]

    created = await gateway.post(PLANS, "sam@a.example", json={"case_ids": [case_id], **_terms()})

    assert created.status_code == 201, created.text
    plan = created.json()
    # The principal and the costs charged (the WIK scale: 150.00 on 1,000.00).
    assert plan["covered_amount"] == balance == "1150.00"
    assert [c["case_id"] for c in plan["cases"]] == [case_id]
    assert plan["cases"][0]["invoice_ids"] == ["inv-1"]

    again = await gateway.post(PLANS, "sam@a.example", json={"case_ids": [case_id], **_terms()})
    assert again.status_code == 409 and "already in payment plan" in again.text

    # Readers find the plan by the case and by the case's invoice.
    await _forward_plans(neighbours.dunning, gateway)
    for params in ({"case_id": case_id}, {"invoice_id": "inv-1"}, {"debtor_id": "deb-1"}):
        listed = await gateway.get(PLANS, "rita@a.example", params=params)
        assert [p["plan_id"] for p in listed.json()["items"]] == [plan["plan_id"]], params
    [listed] = (await gateway.get(PLANS, params={"case_id": case_id})).json()["items"]
    assert listed["cases"][0]["covered_amount"] == "1150.00"
    assert (await gateway.get(PLANS, params={"case_id": "other"})).json()["items"] == []


async def test_an_unknown_case_or_another_administration_s_is_not_found(
    gateway: Gateway,
    neighbours: Neighbours,
    with_collection: ServiceHarness,  # noqa: F811
) -> None:
    case_id = await _open_case(gateway, with_collection)

    unknown = await gateway.post(
        PLANS, "sam@a.example", json={"case_ids": ["no-such-case"], **_terms()}
    )
    assert unknown.status_code == 404, unknown.text
    # The case exists, but not in the other administration: bob's is refused there.
    theirs = await gateway.post(
        "/api/v1/administrations/adm-b/plans",
        "bob@b.example",
        json={"case_ids": [case_id], **_terms()},
    )
    assert theirs.status_code == 404, theirs.text
    nothing = await gateway.post(PLANS, "sam@a.example", json=_terms())
    assert nothing.status_code == 422 and "at least one invoice or case" in nothing.text


@pytest.mark.parametrize("case_id", ["", "x" * 65])
async def test_a_malformed_case_id_is_a_clear_error(
    gateway: Gateway,
    with_collection: ServiceHarness,  # noqa: F811
    case_id: str,
) -> None:
    answer = await gateway.post(PLANS, "sam@a.example", json={"case_ids": [case_id], **_terms()})

    assert answer.status_code == 422, answer.text
    assert "case_ids" in answer.text
