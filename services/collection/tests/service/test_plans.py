"""Cases in payment plans through collection's events and API: dunning's plan events pause a
case ("payment plan active"), a person's resume, step, forward and close are refused while
the plan runs, an instalment paid online is allocated by law (costs, interest, principal) and
closes the case when it pays it off; a plan ended unpaid resumes the case from that day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from settle_collection.application.schedule import run_schedule
from settle_shared.events import payments, plans

from .conftest import Collection, a_consumer_case

pytestmark = pytest.mark.service

START = date(2025, 5, 1)


def plan_event(
    kind: type[plans.PaymentPlanEvent], case_id: str, covered: str, status: str, version: int
) -> Any:
    return kind(
        administration_id="adm-1",
        plan_id="plan-1",
        version=version,
        debtor_id="deb-1",
        invoice_ids=[],
        cases=[
            plans.PlanCase(
                case_id=case_id,
                invoice_ids=["inv-1"],
                covered_amount=Decimal(covered),
                open_amount=Decimal(covered),
            )
        ],
        status=status,
        kind="monthly",
        proposed_by="user",
        currency="EUR",
        covered_amount=Decimal(covered),
        paid_amount=Decimal("0.00"),
        left_amount=Decimal(covered),
        instalments=[],
        created_on=START,
        started_on=START,
    )


def instalment_paid(payment_id: str, amount: str) -> payments.PaymentStatusChanged:
    return payments.PaymentStatusChanged(
        administration_id="adm-1",
        payment_id=payment_id,
        debtor_id="deb-1",
        invoices=[payments.CoveredInvoice(invoice_id="inv-1", amount=Decimal(amount))],
        amount=Decimal(amount),
        currency="EUR",
        plan_id="plan-1",
        instalment=1,
        status="paid",
        previous_status="open",
        psp_status="paid",
        method="ideal",
        changed_at=datetime(2025, 5, 20, 10, tzinfo=UTC),
    )


async def _case_in_a_plan(collection: Collection) -> tuple[str, str]:
    """A consumer's case with costs and interest charged, in a plan from 1 May: its id and
    the balance the plan covers."""
    case_id = await a_consumer_case(collection)
    assert (await collection.post(case_id, "charges", {"part": "costs"})).status_code == 200
    assert (await collection.post(case_id, "charges", {"part": "interest"})).status_code == 200
    collection.today(START)
    covered = (await collection.case(case_id))["balance"]["total"]
    await collection.deliver(plan_event(plans.PaymentPlanStarted, case_id, covered, "active", 1))
    return case_id, covered


async def test_a_plan_pauses_the_case_and_a_persons_resume_is_refused(
    collection: Collection,
) -> None:
    case_id, _ = await _case_in_a_plan(collection)

    case = await collection.case(case_id)
    assert case["paused"] and case["payment_plan_id"] == "plan-1"
    assert any("paused by a payment plan" in (t["detail"] or "") for t in case["timeline"])
    [paused] = await collection.events("pause_changed")
    assert paused["paused"] and paused["payment_plan_id"] == "plan-1"

    for action, body in (
        ("resume", None),
        ("step", {}),
        ("forward", None),
        ("close", {"outcome": "withdrawn", "reason": "changed our mind"}),
    ):
        refused = await collection.post(case_id, action, body)
        assert refused.status_code == 409, (action, refused.text)
        assert "payment plan plan-1" in refused.json()["detail"], action
    # The daily step run leaves it alone, however long the plan runs.
    collection.today(date(2025, 9, 1))
    await run_schedule(collection.ctx)
    assert (await collection.case(case_id))["step"] == "new"


async def test_instalments_paid_online_pay_the_case_off_and_close_it(
    collection: Collection,
) -> None:
    case_id, covered = await _case_in_a_plan(collection)
    half = (Decimal(covered) / 2).quantize(Decimal("0.01"))

    # Two months later: the plan's days bear no interest, so the balance is what it covers.
    collection.today(date(2025, 7, 1))
    assert (await collection.case(case_id))["balance"]["total"] == covered
    await collection.deliver(instalment_paid("pay-1", str(half)))

    case = await collection.case(case_id)
    [payment] = case["payments"]
    # Costs first, then interest, then the principal (art. 6:44 BW).
    assert Decimal(payment["costs"]) > 0 and Decimal(payment["principal"]) > 0
    assert case["balance"]["costs_open"] == "0.00" and case["balance"]["interest_open"] == "0.00"
    assert case["status"] == "open" and case["paused"]

    await collection.deliver(instalment_paid("pay-2", str(Decimal(covered) - half)))

    case = await collection.case(case_id)
    assert case["status"] == "closed" and case["outcome"] == "paid"
    assert case["balance"]["total"] == "0.00"
    # The plan's completion then changes nothing but the timeline.
    await collection.deliver(
        plan_event(plans.PaymentPlanCompleted, case_id, covered, "completed", 5)
    )
    case = await collection.case(case_id)
    assert case["payment_plan_id"] is None and case["balance"]["total"] == "0.00"


async def test_a_plan_ended_unpaid_resumes_the_case_from_that_day_with_its_interest(
    collection: Collection,
) -> None:
    case_id, covered = await _case_in_a_plan(collection)
    ended_on = date(2025, 8, 1)
    collection.today(ended_on)

    await collection.deliver(plan_event(plans.PaymentPlanEnded, case_id, covered, "ended", 3))

    case = await collection.case(case_id)
    assert not case["paused"] and case["payment_plan_id"] is None
    assert case["step_on"] == ended_on.isoformat()
    # The plan was not kept: the interest of its three months is owed after all.
    assert Decimal(case["balance"]["total"]) > Decimal(covered)
    # A person may resume, step and close again.
    assert (await collection.post(case_id, "step", {})).status_code == 200


async def test_a_refunded_instalment_is_announced_as_money_that_went_back(
    collection: Collection,
) -> None:
    case_id, covered = await _case_in_a_plan(collection)
    await collection.deliver(instalment_paid("pay-1", "400.00"))
    paid_off = (await collection.case(case_id))["balance"]["total"]

    await collection.deliver(
        payments.PaymentRefunded(
            administration_id="adm-1",
            payment_id="pay-1",
            debtor_id="deb-1",
            invoices=[payments.CoveredInvoice(invoice_id="inv-1", amount=Decimal("400.00"))],
            amount=Decimal("400.00"),
            currency="EUR",
            plan_id="plan-1",
            instalment=1,
            refunded_amount=Decimal("100.00"),
            total_refunded=Decimal("100.00"),
            fully_refunded=False,
            refunded_at=datetime(2025, 5, 21, 10, tzinfo=UTC),
        )
    )

    paid, back = await collection.events("payment_allocated")
    assert paid["amount"] == "400.00"
    # Dunning counts this toward the plan: 100.00 of the case is owed again, the principal
    # first.
    assert (back["amount"], back["principal"]) == ("-100.00", "-100.00")
    assert Decimal(back["balance"]["total"]) == Decimal(paid_off) + 100
    assert Decimal(covered) - Decimal(back["balance"]["total"]) == Decimal("300.00")
