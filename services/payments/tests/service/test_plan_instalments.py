"""A debtor pays an instalment of a payment plan: the amount is what is left of it as dunning
published the plan, spread over the plan's invoices; what cannot be paid is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from settle_shared.events.plans import (
    PaymentPlanExpired,
    PaymentPlanProgressed,
    PaymentPlanStarted,
    PlanCase,
    PlanInstalment,
)

from .conftest import ADM, PaymentsHarness, imported

pytestmark = pytest.mark.service


def plan_event(kind: type = PaymentPlanStarted, version: int = 1, **changes: Any) -> Any:
    paid = changes.pop("paid", ("0.00", "0.00", "0.00"))
    fields: dict[str, Any] = {
        "administration_id": ADM,
        "plan_id": "plan-1",
        "version": version,
        "debtor_id": "deb-1",
        "invoice_ids": ["inv-1", "inv-2"],
        "status": "active",
        "kind": "monthly",
        "proposed_by": "user",
        "currency": "EUR",
        "covered_amount": Decimal("151.50"),
        "paid_amount": sum((Decimal(p) for p in paid), Decimal(0)),
        "left_amount": Decimal("151.50") - sum((Decimal(p) for p in paid), Decimal(0)),
        "instalments": [
            PlanInstalment(
                number=n + 1,
                due_on=date(2025, 4 + n, 1),
                amount=Decimal(a),
                paid_amount=Decimal(p),
                status="paid" if p == a else "open",
            )
            for n, (a, p) in enumerate(zip(("50.50", "50.50", "50.50"), paid, strict=True))
        ],
        "created_on": date(2025, 3, 20),
        "started_on": date(2025, 3, 20),
    }
    fields.update(changes)
    return kind(**fields)


async def _plan(service: PaymentsHarness) -> None:
    await service.deliver(imported("inv-1", open_amount=Decimal("30.00")))
    await service.deliver(imported("inv-2", open_amount=Decimal("121.50")))
    await service.deliver(plan_event())


async def _pay(service: PaymentsHarness, instalment: int, **extra: Any) -> httpx.Response:
    extra.setdefault("key", f"plan-1-{instalment}")
    return await service.pay(plan_id="plan-1", instalment=instalment, **extra)


async def test_an_instalment_is_paid_for_what_is_left_of_it(service: PaymentsHarness) -> None:
    await _plan(service)

    answer = await _pay(service, 1)

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["amount"], body["plan_id"], body["instalment"]) == ("50.50", "plan-1", 1)
    # Spread over the plan's invoices in order, each for at most its open amount.
    assert body["invoices"] == [
        {"invoice_id": "inv-1", "amount": "30.00"},
        {"invoice_id": "inv-2", "amount": "20.50"},
    ]
    assert "EUR 50.50" in httpx.get(body["checkout_url"]).text
    [(_, created)] = await service.events()
    assert (created["plan_id"], created["instalment"]) == ("plan-1", 1)

    # Part of instalment 2 was paid by bank: the link asks only what is left.
    await service.deliver(
        plan_event(PaymentPlanProgressed, version=2, paid=("50.50", "20.00", "0.00"))
    )
    second = await _pay(service, 2)
    assert second.json()["amount"] == "30.50"


async def test_an_instalment_of_a_plan_over_a_case_pays_the_case_s_invoice(
    service: PaymentsHarness,
) -> None:
    await service.deliver(imported("inv-1", open_amount=Decimal("30.00")))
    await service.deliver(imported("inv-7", open_amount=Decimal("1000.00")))
    await service.deliver(
        plan_event(
            invoice_ids=["inv-1"],
            cases=[
                PlanCase(
                    case_id="case-1",
                    invoice_ids=["inv-7"],
                    covered_amount=Decimal("121.50"),
                    open_amount=Decimal("121.50"),
                )
            ],
        )
    )

    answer = await _pay(service, 1)

    assert answer.status_code == 201, answer.text
    # The plan's own invoice first, then the case's (collection allocates its share).
    assert answer.json()["invoices"] == [
        {"invoice_id": "inv-1", "amount": "30.00"},
        {"invoice_id": "inv-7", "amount": "20.50"},
    ]


async def test_an_instalment_pays_a_case_s_costs_and_interest_beyond_its_invoice(
    service: PaymentsHarness,
) -> None:
    # The case's balance (principal 1000.00, costs and interest) is more than what bookkeeping
    # has open of its invoice: an instalment of all of it asks for all of it.
    await service.deliver(imported("inv-7", open_amount=Decimal("1000.00")))
    await service.deliver(
        plan_event(
            invoice_ids=[],
            covered_amount=Decimal("1181.75"),
            left_amount=Decimal("1181.75"),
            paid_amount=Decimal("0.00"),
            instalments=[
                PlanInstalment(
                    number=1,
                    due_on=date(2025, 4, 1),
                    amount=Decimal("1181.75"),
                    paid_amount=Decimal("0.00"),
                    status="open",
                )
            ],
            cases=[
                PlanCase(
                    case_id="case-1",
                    invoice_ids=["inv-7"],
                    covered_amount=Decimal("1181.75"),
                    open_amount=Decimal("1181.75"),
                )
            ],
        )
    )

    answer = await _pay(service, 1)

    assert answer.status_code == 201, answer.text
    assert answer.json()["amount"] == "1181.75"
    assert answer.json()["invoices"] == [{"invoice_id": "inv-7", "amount": "1181.75"}]


async def test_a_paid_instalment_in_flight_is_not_paid_twice(service: PaymentsHarness) -> None:
    await _plan(service)
    first = (await _pay(service, 1)).json()
    await service.bank_says(await service.psp_id(first["payment_id"]), "paid")
    await service.webhook(await service.psp_id(first["payment_id"]))

    again = await _pay(service, 1, key="plan-1-1-again")
    assert again.status_code == 409 and again.json()["error"] == "instalment_being_paid"

    # Dunning counted it: the instalment is paid.
    await service.deliver(
        plan_event(PaymentPlanProgressed, version=2, paid=("50.50", "0.00", "0.00"))
    )
    paid = await _pay(service, 1, key="plan-1-1-third")
    assert paid.status_code == 409 and paid.json()["error"] == "instalment_paid"


@pytest.mark.parametrize(
    ("extra", "event", "status", "error"),
    [
        ({"plan_id": "plan-9"}, None, 404, "unknown_plan"),
        ({"instalment": 4}, None, 404, "unknown_instalment"),
        ({"debtor_id": "deb-2"}, None, 409, "plan_of_another_debtor"),
        ({}, plan_event(PaymentPlanExpired, version=2, status="expired"), 409, "plan_not_active"),
        ({}, plan_event(version=1, status="expired"), None, None),  # old news: still active
    ],
)
async def test_instalments_that_cannot_be_paid_are_refused(
    service: PaymentsHarness,
    extra: dict[str, Any],
    event: Any,
    status: int | None,
    error: str | None,
) -> None:
    await _plan(service)
    await service.deliver(imported("inv-3", debtor_id="deb-2"))
    if event is not None:
        await service.deliver(event)

    answer = await service.pay(key="k", **{"plan_id": "plan-1", "instalment": 1, **extra})

    if status is None:
        assert answer.status_code == 201
        return
    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert await service.count("payments") == 0
