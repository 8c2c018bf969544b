"""Payment plans over collection cases through dunning's API and events: a plan names a case
(as collection reported it to the gateway) beside or instead of invoices; its events carry
the case; what collection allocates to the case counts toward the plan, and the plan is
completed when the case closes. A case already in a plan is refused."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import collection, payments

from .conftest import ADM, Dunning
from .test_collection_cases import case_event

pytestmark = pytest.mark.service

PLANS = f"/internal/v1/administrations/{ADM}/plans"
MONTHLY = {"kind": "monthly", "first_date": "2025-03-25", "instalments": 3}
CASE = {
    "case_id": "case-1",
    "debtor_id": "deb-1",
    "currency": "EUR",
    "status": "open",
    "step": "reminder",
    "invoice_ids": ["inv-1"],
    "balance": "300.00",
}


async def _case_of_one_invoice(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="250.00")
    await dunning.deliver(case_event(collection.CaseOpened, how="automatic"))


def _allocated(amount: str, payment_id: str = "online-pay-1", **fields: Any) -> Any:
    return case_event(
        collection.CasePaymentAllocated,
        payment_id=payment_id,
        source="online",
        amount=Decimal(amount),
        costs=Decimal("0.00"),
        interest=Decimal("0.00"),
        principal=Decimal(amount),
        surplus=Decimal("0.00"),
        **fields,
    )


async def test_a_plan_over_a_case_counts_what_collection_allocates_and_completes(
    dunning: Dunning,
) -> None:
    await _case_of_one_invoice(dunning)

    response = await dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY})

    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["covered_amount"] == "300.00" and plan["invoice_ids"] == []
    assert plan["cases"] == [
        {
            "case_id": "case-1",
            "invoice_ids": ["inv-1"],
            "covered_amount": "300.00",
            "open_amount": "300.00",
        }
    ]
    [started] = await dunning.events("plan.started")
    assert started["cases"][0]["case_id"] == "case-1"
    # The debtor's confirmation lists the case's invoice.
    [confirmation] = await dunning.events("message.requested")
    assert [line["invoice_id"] for line in confirmation["invoices"]] == ["inv-1"]
    # The invoice stays held by its case (not by the plan): collection pauses the case.
    assert (await dunning.invoice_view("inv-1"))["blocked_by"] == "collection_case"

    await dunning.deliver(_allocated("100.00"))

    [progressed] = await dunning.events("plan.progressed")
    assert progressed["paid_amount"] == "100.00"
    assert [i["status"] for i in progressed["instalments"]] == ["paid", "open", "open"]

    await dunning.deliver(_allocated("200.00", payment_id="online-pay-2"))
    await dunning.deliver(case_event(collection.CaseClosed, status="closed", outcome="paid"))

    [completed] = await dunning.events("plan.completed")
    assert completed["status"] == "completed" and completed["left_amount"] == "0.00"


async def test_a_case_already_in_a_plan_is_refused(dunning: Dunning) -> None:
    await _case_of_one_invoice(dunning)
    assert (await dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY})).status_code == 201

    again = await dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY})

    assert again.status_code == 409 and again.json()["error"] == "already_in_plan"
    assert "case case-1 is already in payment plan" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"debtor_id": "deb-9"}, "several_debtors"),
        ({"status": "closed"}, "case_not_open"),
        ({"step": "with_bailiff"}, "case_with_partner"),
    ],
)
async def test_a_case_that_cannot_be_in_a_plan_is_refused(
    dunning: Dunning, change: dict[str, str], error: str
) -> None:
    await _case_of_one_invoice(dunning)
    await dunning.invoice("inv-2", amount="50.00")
    before = len(await dunning.events())

    response = await dunning.client.post(
        PLANS, json={"invoice_ids": ["inv-2"], "cases": [{**CASE, **change}], **MONTHLY}
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"] == error
    assert len(await dunning.events()) == before


async def test_an_invoice_in_collection_is_refused_with_a_pointer_to_its_case(
    dunning: Dunning,
) -> None:
    await _case_of_one_invoice(dunning)

    response = await dunning.client.post(PLANS, json={"invoice_ids": ["inv-1"], **MONTHLY})

    assert response.status_code == 409
    assert "name its case in the plan instead" in response.json()["detail"]


async def test_ending_a_plan_over_a_case_leaves_the_case_to_collection(dunning: Dunning) -> None:
    await _case_of_one_invoice(dunning)
    plan = (await dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY})).json()
    dunning.today(date(2025, 4, 1))

    ended = await dunning.client.post(f"{PLANS}/{plan['plan_id']}/end")

    assert ended.status_code == 200, ended.text
    [event] = await dunning.events("plan.ended")
    assert event["cases"][0]["case_id"] == "case-1"
    # Dunning does not resume the invoice's own flow: the case holds it still.
    assert (await dunning.invoice_view("inv-1"))["blocked_by"] == "collection_case"


def _instalment_payment(kind: type, plan_id: str, **fields: Any) -> Any:
    """A payment of instalment 1: 100.00 of the plan's own inv-2, 50.00 of the case's inv-1."""
    return kind(
        administration_id=ADM,
        payment_id="pay-1",
        debtor_id="deb-1",
        invoices=[
            payments.CoveredInvoice(invoice_id="inv-2", amount=Decimal("100.00")),
            payments.CoveredInvoice(invoice_id="inv-1", amount=Decimal("50.00")),
        ],
        amount=Decimal("150.00"),
        currency="EUR",
        plan_id=plan_id,
        instalment=1,
        **fields,
    )


async def test_a_partial_refund_of_an_instalment_over_a_case_counts_back_once(
    dunning: Dunning,
) -> None:
    await _case_of_one_invoice(dunning)
    await dunning.invoice("inv-2", amount="100.00")
    plan = (
        await dunning.client.post(
            PLANS, json={"invoice_ids": ["inv-2"], "cases": [CASE], **MONTHLY}
        )
    ).json()
    at = datetime(2025, 3, 20, 10, 30, tzinfo=UTC)
    await dunning.deliver(
        _instalment_payment(
            payments.PaymentStatusChanged,
            plan["plan_id"],
            status="paid",
            previous_status="open",
            psp_status="paid",
            method="ideal",
            changed_at=at,
        )
    )
    await dunning.deliver(_allocated("50.00"))
    [*_, paid] = await dunning.events("plan.progressed")
    assert paid["paid_amount"] == "150.00"

    # 60.00 of the 150.00 goes back. Collection takes back the case's 50.00 (what the payment
    # paid the case, as far as the refund reaches); only the other 10.00 was the invoice's.
    await dunning.deliver(
        _instalment_payment(
            payments.PaymentRefunded,
            plan["plan_id"],
            refunded_amount=Decimal("60.00"),
            total_refunded=Decimal("60.00"),
            fully_refunded=False,
            refunded_at=at,
        )
    )
    await dunning.deliver(_allocated("-50.00", payment_id="online-pay-1-back"))

    [*_, after] = await dunning.events("plan.progressed")
    assert after["paid_amount"] == "90.00"


async def test_two_plans_over_one_case_at_once_make_one(dunning: Dunning) -> None:
    await _case_of_one_invoice(dunning)

    first, second = await asyncio.gather(
        dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY}),
        dunning.client.post(PLANS, json={"cases": [CASE], **MONTHLY}),
    )

    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    assert len(await dunning.events("plan.started")) == 1
