"""Plan offers through dunning's API: an administration sets its offers (bad ones refused by
field, nothing stored), a debtor's proposal within the offer for its amount starts at once
with the schedule sent, and one outside it waits for a person."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

OFFERS = f"/internal/v1/administrations/{ADM}/plan-offers"
PROPOSALS = f"/internal/v1/administrations/{ADM}/plans/proposals"
SMALL = {"min_open_amount": "200.00", "max_open_amount": "2000.00", "max_instalments": 3}
LARGE = {"min_open_amount": "2000.01", "max_open_amount": "10000.00", "max_instalments": 6}


def _proposal(**changes: Any) -> dict[str, Any]:
    # The business date is 20 March 2025; the offers' first payment falls within 30 days.
    return {
        "invoice_ids": ["inv-1", "inv-2"],
        "debtor_id": "deb-1",
        "kind": "monthly",
        "first_date": "2025-04-01",
        "instalments": 3,
        **changes,
    }


async def test_an_administration_sets_its_offers_and_reads_them_back(dunning: Dunning) -> None:
    assert (await dunning.client.get(OFFERS)).json() == {"offers": []}

    stored = await dunning.client.put(OFFERS, json={"offers": [LARGE, SMALL]})

    assert stored.status_code == 200, stored.text
    read = (await dunning.client.get(OFFERS)).json()["offers"]
    assert [(o["min_open_amount"], o["max_instalments"]) for o in read] == [
        ("200.00", 3),
        ("2000.01", 6),
    ]
    assert read[0]["first_payment_within_days"] == 30
    assert (await dunning.client.put(OFFERS, json={"offers": []})).json() == {"offers": []}
    unknown = await dunning.client.get("/internal/v1/administrations/adm-unknown/plan-offers")
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    ("offers", "field", "says"),
    [
        ([SMALL, {**LARGE, "min_open_amount": "1500.00"}], "offers[1].min_open_amount", "overlaps"),
        ([{**SMALL, "min_open_amount": "3000.00"}], "offers[0].min_open_amount", "above"),
        ([{**SMALL, "max_instalments": 0}], "offers[0].max_instalments", "at least one"),
        ([{**SMALL, "max_instalments": -3}], "offers[0].max_instalments", "at least one"),
        ([{**SMALL, "max_instalments": 36}], "offers[0].max_instalments", "at most 24"),
    ],
)
async def test_bad_offers_are_refused_by_field_and_change_nothing(
    dunning: Dunning, offers: list[dict[str, Any]], field: str, says: str
) -> None:
    await dunning.client.put(OFFERS, json={"offers": [SMALL]})

    refused = await dunning.client.put(OFFERS, json={"offers": offers})

    assert refused.status_code == 422, refused.text
    [problem] = [p for p in refused.json()["detail"] if p["loc"] == ["body", *_loc(field)]]
    assert says in problem["msg"]
    assert [o["max_instalments"] for o in (await dunning.client.get(OFFERS)).json()["offers"]] == [
        3
    ]


def _loc(field: str) -> list[str | int]:
    name, _, rest = field.partition("[")
    index, _, attribute = rest.partition("].")
    return [name, int(index), attribute] if rest else [name]


async def test_a_proposal_within_the_offer_starts_at_once(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="100.00")
    await dunning.invoice("inv-2", amount="200.00")
    await dunning.client.put(OFFERS, json={"offers": [SMALL]})

    response = await dunning.client.post(PROPOSALS, json=_proposal())

    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["status"] == "active" and plan["proposed_by"] == "debtor"
    assert plan["started_on"] == "2025-03-20"
    [started] = await dunning.events("plan.started")
    assert started["plan_id"] == plan["plan_id"]
    assert await dunning.events("plan.requested") == []
    [confirmation] = await dunning.events("message.requested")
    assert confirmation["template_key"] == "payment_plan_confirmation"
    assert (await dunning.invoice_view("inv-1"))["blocked_by"] == "payment_plan_active"
    assert not any(i["reason"] == "payment_plan_requested" for i in await dunning.attention())


@pytest.mark.parametrize(
    "outside",
    [
        {"instalments": 4},  # more instalments than offered
        {"first_date": "2025-05-01"},  # the first payment later than 30 days
        {"kind": "weekly"},  # offers are monthly
    ],
)
async def test_a_proposal_outside_the_offer_waits_for_a_person(
    dunning: Dunning, outside: dict[str, Any]
) -> None:
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="100.00")
    await dunning.invoice("inv-2", amount="200.00")
    await dunning.client.put(OFFERS, json={"offers": [SMALL]})

    response = await dunning.client.post(PROPOSALS, json=_proposal(**outside))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "requested"
    assert await dunning.events("plan.started") == []
    assert (await dunning.invoice_view("inv-1"))["blocked_by"] == "payment_plan_requested"


async def test_a_debtor_above_every_offer_cannot_start_plans_by_proposing_invoice_by_invoice(
    dunning: Dunning,
) -> None:
    # 3,000.00 open: above the only offer (200.00 to 2,000.00), so a person decides. Each
    # invoice alone is within the offer's range, but the offer is the debtor's open amount's.
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="1500.00")
    await dunning.invoice("inv-2", amount="1500.00")
    await dunning.client.put(OFFERS, json={"offers": [SMALL]})

    first = await dunning.client.post(PROPOSALS, json=_proposal(invoice_ids=["inv-1"]))

    assert first.status_code == 201, first.text
    assert first.json()["status"] == "requested"
    assert await dunning.events("plan.started") == []


async def test_a_plan_for_some_invoices_of_a_debtor_within_an_offer_starts_at_once(
    dunning: Dunning,
) -> None:
    # 300.00 open is within the offer; the plan for 100.00 of it is the debtor's to choose.
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="100.00")
    await dunning.invoice("inv-2", amount="200.00")
    await dunning.client.put(OFFERS, json={"offers": [SMALL]})

    response = await dunning.client.post(PROPOSALS, json=_proposal(invoice_ids=["inv-1"]))

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "active"
