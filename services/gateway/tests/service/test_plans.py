"""Payment plans through the gateway: standard users create and change them in dunning (the
real service), readers list them from the read model by status, debtor and invoice; a bad
plan comes back with dunning's reasons and changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from settle_shared.db import outbox_table
from settle_shared.events import EVENT_TYPES
from settle_shared.testing.service import ServiceHarness

from .conftest import ADM, Gateway, Neighbours
from .test_commands import _debtor_and_invoice

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
PLANS = f"{API}/plans"


async def _forward_plans(dunning: ServiceHarness, gateway: Gateway) -> None:
    """Deliver dunning's plan events to the gateway, as the broker would."""
    table = outbox_table(dunning.runtime.spec.metadata)
    async with dunning.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq))
        ).all()
    for row in rows:
        if row.event_type.startswith("settle.dunning.plan."):
            event = EVENT_TYPES[row.event_type].model_validate(json.loads(row.payload))
            await gateway.deliver(event)


def _plan_body(**changes: Any) -> dict[str, Any]:
    # Dunning's clock is the real one here: a first date ahead of it.
    first = (date.today() + timedelta(days=10)).isoformat()
    return {
        "invoice_ids": ["inv-1"],
        "kind": "monthly",
        "first_date": first,
        "instalments": 3,
        **changes,
    }


async def test_a_standard_user_creates_a_plan_and_everyone_reads_it(
    gateway: Gateway,
    neighbours: Neighbours,
) -> None:
    await _debtor_and_invoice(gateway, neighbours)

    for email, status in (("rita@a.example", 403), ("cora@a.example", 403), ("bob@b.example", 404)):
        refused = await gateway.post(PLANS, email, json=_plan_body())
        assert refused.status_code == status, (email, refused.text)

    created = await gateway.post(PLANS, "sam@a.example", json=_plan_body())
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["status"] == "active" and plan["covered_amount"] == "121.00"
    assert [i["amount"] for i in plan["instalments"]] == ["40.33", "40.33", "40.34"]

    await _forward_plans(neighbours.dunning, gateway)
    for params in ({"status": "active"}, {"debtor_id": "deb-1"}, {"invoice_id": "inv-1"}, {}):
        listed = await gateway.get(PLANS, "rita@a.example", params=params)
        assert [p["plan_id"] for p in listed.json()["items"]] == [plan["plan_id"]], params
    assert (await gateway.get(PLANS, params={"status": "expired"})).json()["items"] == []
    one = await gateway.get(f"{PLANS}/{plan['plan_id']}", "rita@a.example")
    assert one.json()["left_amount"] == "121.00"
    assert (await gateway.get(f"{PLANS}/{plan['plan_id']}", "bob@b.example")).status_code == 404
    # The invoice's and the debtor's pages show the plan with its instalments.
    invoice = (await gateway.get(f"{API}/invoices/inv-1", "rita@a.example")).json()
    assert [p["plan_id"] for p in invoice["payment_plans"]] == [plan["plan_id"]]
    assert len(invoice["payment_plans"][0]["instalments"]) == 3
    debtor = (await gateway.get(f"{API}/debtors/deb-1", "rita@a.example")).json()
    assert [p["plan_id"] for p in debtor["payment_plans"]] == [plan["plan_id"]]

    ended = await gateway.post(f"{PLANS}/{plan['plan_id']}/end", "sam@a.example")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    await _forward_plans(neighbours.dunning, gateway)
    assert (await gateway.get(PLANS, params={"status": "active"})).json()["items"] == []
    assert (await gateway.get(f"{PLANS}/{plan['plan_id']}")).json()["status"] == "ended"


async def test_a_bad_plan_is_refused_with_dunnings_reasons(
    gateway: Gateway,
    neighbours: Neighbours,
) -> None:
    await _debtor_and_invoice(gateway, neighbours)

    past = await gateway.post(PLANS, "sam@a.example", json=_plan_body(first_date="2020-01-01"))
    assert past.status_code == 422
    [problem] = past.json()["errors"]
    assert (problem["location"], problem["field"]) == ("body", "first_date")
    assert "is in the past" in problem["detail"]
    negative = await gateway.post(
        PLANS,
        "sam@a.example",
        json=_plan_body(kind="fixed_amount_monthly", instalment_amount="-1", instalments=None),
    )
    assert negative.status_code == 422
    unknown = await gateway.post(PLANS, "sam@a.example", json=_plan_body(invoice_ids=["nope"]))
    assert unknown.status_code == 404
    await _forward_plans(neighbours.dunning, gateway)
    assert (await gateway.get(PLANS)).json()["items"] == []


async def test_administrators_set_the_plan_offers_and_bad_ones_are_refused_by_field(
    gateway: Gateway,
    neighbours: Neighbours,
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    offers = f"{API}/plan-offers"
    small = {"min_open_amount": "200.00", "max_open_amount": "2000.00", "max_instalments": 3}

    for email, status in (("sam@a.example", 403), ("rita@a.example", 403), ("bob@b.example", 404)):
        refused = await gateway.put(offers, email, json={"offers": [small]})
        assert refused.status_code == status, (email, refused.text)
    stored = await gateway.put(offers, json={"offers": [small]})
    assert stored.status_code == 200, stored.text
    read = await gateway.get(offers, "rita@a.example")
    assert read.json()["offers"] == [{**small, "first_payment_within_days": 30}]

    overlapping = {**small, "min_open_amount": "1000.00", "max_open_amount": "5000.00"}
    for bad, field, says in (
        ([small, overlapping], "offers[1].min_open_amount", "overlaps"),
        ([{**small, "min_open_amount": "2500.00"}], "offers[0].min_open_amount", "above"),
        ([{**small, "max_instalments": 0}], "offers[0].max_instalments", "at least one"),
        ([{**small, "max_instalments": 48}], "offers[0].max_instalments", "at most 24"),
    ):
        answer = await gateway.put(offers, json={"offers": bad})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        [problem] = answer.json()["errors"]
        assert problem["field"] == field and says in problem["detail"], problem
    assert (await gateway.get(offers)).json()["offers"] == read.json()["offers"]


async def _forward_holds(dunning: ServiceHarness, gateway: Gateway) -> None:
    """Deliver dunning's plan and planned-step events to the gateway, as the broker would."""
    table = outbox_table(dunning.runtime.spec.metadata)
    async with dunning.runtime.engine.connect() as conn:
        rows = (
            await conn.execute(sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq))
        ).all()
    for row in rows:
        if row.event_type.startswith(("settle.dunning.plan.", "settle.dunning.step.planned")):
            event = EVENT_TYPES[row.event_type].model_validate(json.loads(row.payload))
            await gateway.deliver(event)


async def test_invoices_in_an_active_plan_are_a_phase_of_their_own_on_the_dashboard(
    gateway: Gateway,
    neighbours: Neighbours,
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    [before] = (await gateway.dashboard())["phases"]
    assert (before["count"], before["total"]) == (1, "121.00")

    created = await gateway.post(PLANS, "sam@a.example", json=_plan_body())
    await _forward_holds(neighbours.dunning, gateway)

    board = await gateway.dashboard()
    assert [(p["phase"], p["count"], p["total"]) for p in board["phases"]] == [
        ("payment_plan", 1, "121.00")
    ]
    assert board["open"] == [{"currency": "EUR", "count": 1, "total": "121.00"}]
    listed = await gateway.get(f"{API}/invoices", params={"phase": "payment_plan"})
    assert [i["invoice_id"] for i in listed.json()["items"]] == ["inv-1"]
    # The invoice keeps its dunning phase: that filter still finds it.
    phase = (await gateway.get(f"{API}/invoices/inv-1")).json()["phase"]
    by_phase = await gateway.get(f"{API}/invoices", params={"phase": phase})
    assert [i["invoice_id"] for i in by_phase.json()["items"]] == ["inv-1"]

    ended = await gateway.post(f"{PLANS}/{created.json()['plan_id']}/end", "sam@a.example")
    assert ended.status_code == 200, ended.text
    await _forward_holds(neighbours.dunning, gateway)
    [after] = (await gateway.dashboard())["phases"]
    assert after["phase"] != "payment_plan" and (after["count"], after["total"]) == (1, "121.00")
    listed = await gateway.get(f"{API}/invoices", params={"phase": "payment_plan"})
    assert listed.json()["items"] == []
