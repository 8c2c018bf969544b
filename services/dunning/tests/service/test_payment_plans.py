"""Payment plans through dunning's API and events: a plan holds its invoices' reminders, its
own reminders go on whatever the pauses, payments and imports count toward it, a missed
instalment is noticed, an expired plan asks for attention, and ending it resumes the flows
from that day; a debtor's proposal waits for a person. Bad input is refused and changes
nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import importer, payments

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

PLANS = f"/internal/v1/administrations/{ADM}/plans"
MONTHLY = {"kind": "monthly", "first_date": "2025-03-25", "instalments": 3}


async def _two_invoices(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice("inv-1", amount="100.00")
    await dunning.invoice("inv-2", amount="200.00")


async def _create(dunning: Dunning, **body: Any) -> dict[str, Any]:
    response = await dunning.client.post(
        PLANS, json={"invoice_ids": ["inv-1", "inv-2"], **MONTHLY, **body}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _payment(kind: type, plan_id: str, status: str = "paid", **extra: Any) -> Any:
    common = {
        "administration_id": ADM,
        "payment_id": "pay-1",
        "debtor_id": "deb-1",
        "invoices": [payments.CoveredInvoice(invoice_id="inv-1", amount=Decimal("100.00"))],
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "plan_id": plan_id,
        "instalment": 1,
    }
    at = datetime(2025, 3, 21, 10, tzinfo=UTC)
    if kind is payments.PaymentCreated:
        return kind(**common, psp="mollie", psp_payment_id="tr_1", created_at=at, **extra)
    return kind(
        **common,
        status=status,
        previous_status="open",
        psp_status=status,
        method="ideal",
        changed_at=at,
        **extra,
    )


async def _items(dunning: Dunning, status: str = "open") -> set[tuple[str, str]]:
    return {(i["subject_id"], i["reason"]) for i in await dunning.attention(status=status)}


async def test_a_plan_holds_its_invoices_and_sends_the_schedule(dunning: Dunning) -> None:
    await _two_invoices(dunning)

    plan = await _create(dunning)

    assert plan["status"] == "active" and plan["covered_amount"] == "300.00"
    assert [(i["due_on"], i["amount"]) for i in plan["instalments"]] == [
        ("2025-03-25", "100.00"),
        ("2025-04-25", "100.00"),
        ("2025-05-25", "100.00"),
    ]
    [started] = await dunning.events("plan.started")
    assert started["plan_id"] == plan["plan_id"] and started["invoice_ids"] == ["inv-1", "inv-2"]
    planned = (await dunning.events("step.planned"))[-2:]
    assert {p["blocked_by"] for p in planned} == {"payment_plan_active"}
    [confirmation] = await dunning.events("message.requested")
    assert confirmation["template_key"] == "payment_plan_confirmation"
    assert len(confirmation["payment_plan"]["instalments"]) == 3

    # The flow's reminders wait: the overdue invoices get no step, whatever the date.
    response = await dunning.run(date(2025, 4, 30))
    assert response.json()["steps_executed"] == 0
    view = await dunning.invoice_view("inv-1")
    assert view["blocked_by"] == "payment_plan_active"

    # A person cannot step the flow of an invoice in a plan.
    refused = await dunning.client.post(
        f"/internal/v1/administrations/{ADM}/invoices/inv-1/steps/perform-now"
    )
    assert refused.status_code == 409 and "payment plan" in refused.json()["detail"]


async def test_instalment_reminders_go_on_while_the_administration_and_debtor_pause(
    dunning: Dunning,
) -> None:
    await _two_invoices(dunning)
    plan = await _create(dunning)
    await dunning.client.post(
        f"/internal/v1/administrations/{ADM}/pause", json={"mode": "fully_paused"}
    )
    await dunning.client.post(
        f"/internal/v1/administrations/{ADM}/debtors/deb-1/pause", json={"mode": "fully_paused"}
    )

    dunning.today(date(2025, 3, 22))
    await dunning.run(date(2025, 3, 22))  # three days before 25 March

    reminders = [
        m
        for m in await dunning.events("message.requested")
        if m["template_key"] == "payment_plan_instalment_reminder"
    ]
    assert [r["payment_plan"]["instalment"] for r in reminders] == [1]
    assert reminders[0]["payment_plan"]["plan_id"] == plan["plan_id"]
    await dunning.run(date(2025, 3, 22))  # the same day again: nothing twice
    assert len(await dunning.events("message.requested")) == 2


async def test_a_paid_instalment_counts_and_an_edit_waits_for_a_payment_in_flight(
    dunning: Dunning,
) -> None:
    await _two_invoices(dunning)
    plan = await _create(dunning)
    plan_id = plan["plan_id"]

    await dunning.deliver(_payment(payments.PaymentCreated, plan_id))
    edit = await dunning.client.put(
        f"{PLANS}/{plan_id}", json={"kind": "delayed", "first_date": "2025-06-01"}
    )
    assert edit.status_code == 409 and edit.json()["error"] == "payment_in_flight"
    assert (await dunning.client.post(f"{PLANS}/{plan_id}/end")).status_code == 409

    await dunning.deliver(_payment(payments.PaymentStatusChanged, plan_id, "paid"))

    progressed = (await dunning.events("plan.progressed"))[-1]
    assert progressed["paid_amount"] == "100.00"
    assert [i["status"] for i in progressed["instalments"]] == ["paid", "open", "open"]
    # The online payment of an instalment holds nothing: the plan already does.
    assert ("inv-1", "online_payment_registered") not in await _items(dunning)
    # The import books it: counted once, not twice.
    await dunning.deliver(
        importer.InvoiceChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=dunning._version("inv-1"),
            run_id="run-2",
            open_amount=Decimal("0.01"),
            previous_open_amount=Decimal("100.00"),
            currency="EUR",
        )
    )
    now = (await dunning.client.get(f"{PLANS}/{plan_id}")).json()
    assert now["paid_amount"] == "100.00"  # 99.99 booked of the 100.00 paid online

    edited = await dunning.client.put(
        f"{PLANS}/{plan_id}", json={"kind": "weekly", "first_date": "2025-04-01", "instalments": 2}
    )
    assert edited.status_code == 200, edited.text
    assert [i["amount"] for i in edited.json()["instalments"]] == ["100.00", "100.00"]


async def test_a_missed_instalment_then_expiry_then_the_end_resumes_the_flow_from_that_day(
    dunning: Dunning,
) -> None:
    await _two_invoices(dunning)
    plan = await _create(dunning, kind="delayed", first_date="2025-04-10", instalments=None)
    plan_id = plan["plan_id"]

    await dunning.run(date(2025, 4, 7))  # three days before: the reminder
    dunning.today(date(2025, 4, 13))  # 10 April + 2 grace days passed
    await dunning.run(date(2025, 4, 13))

    templates = [m["template_key"] for m in await dunning.events("message.requested")]
    assert templates == [
        "payment_plan_confirmation",
        "payment_plan_instalment_reminder",
        "payment_plan_instalment_missed",
    ]
    [expired] = await dunning.events("plan.expired")
    assert expired["status"] == "expired" and expired["left_amount"] == "300.00"
    items = await _items(dunning)
    assert {
        ("inv-1", "payment_plan_expired"),
        ("inv-2", "payment_plan_expired"),
        ("deb-1", "payment_plan_expired"),
    } <= items
    # Expired, the invoices stay held until a person decides.
    assert (await dunning.run(date(2025, 4, 14))).json()["steps_executed"] == 0

    dunning.today(date(2025, 4, 15))
    ended = await dunning.client.post(f"{PLANS}/{plan_id}/end")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    view = await dunning.invoice_view("inv-1")
    assert view["blocked_by"] is None
    assert view["planned"][0]["planned_on"] == "2025-04-15"  # one step, from that day
    assert not {i for i in await _items(dunning) if i[1] == "payment_plan_expired"}
    response = await dunning.run(date(2025, 4, 15))
    assert response.json()["steps_executed"] == 2  # one step per invoice, no burst
    executed = await dunning.events("step.executed")
    assert {e["step_id"] for e in executed} == {"reminder-1"}


async def test_the_import_settling_every_invoice_completes_the_plan(dunning: Dunning) -> None:
    await _two_invoices(dunning)
    plan = await _create(dunning)
    for invoice_id in ("inv-1", "inv-2"):
        await dunning.deliver(
            importer.InvoiceSettled(
                administration_id=ADM,
                invoice_id=invoice_id,
                number=f"F-{invoice_id}",
                version=dunning._version(invoice_id),
                run_id="run-2",
                reason="paid",
            )
        )
    [completed] = await dunning.events("plan.completed")
    assert completed["plan_id"] == plan["plan_id"] and completed["status"] == "completed"
    assert completed["left_amount"] == "0.00"


async def test_a_debtor_s_proposal_waits_and_is_approved_or_rejected(dunning: Dunning) -> None:
    await _two_invoices(dunning)
    proposal = {
        "invoice_ids": ["inv-1"],
        "debtor_id": "deb-1",
        "kind": "monthly",
        "first_date": "2025-04-01",
        "instalments": 2,
        "reason": "my salary comes on the 25th",
    }
    tampered = await dunning.client.post(f"{PLANS}/proposals", json={**proposal, "debtor_id": "x"})
    assert tampered.status_code == 409
    assert tampered.json()["error"] == "invoice_of_another_debtor"

    response = await dunning.client.post(f"{PLANS}/proposals", json=proposal)
    assert response.status_code == 201, response.text
    requested = response.json()
    assert requested["status"] == "requested" and requested["reason"] == proposal["reason"]
    assert ("inv-1", "payment_plan_requested") in await _items(dunning)
    assert (await dunning.invoice_view("inv-1"))["blocked_by"] == "payment_plan_requested"
    listed = await dunning.client.get(PLANS, params={"status": "requested"})
    assert [p["plan_id"] for p in listed.json()["items"]] == [requested["plan_id"]]

    approved = await dunning.client.post(f"{PLANS}/{requested['plan_id']}/approve")
    assert approved.json()["status"] == "active"
    assert ("inv-1", "payment_plan_requested") not in await _items(dunning)

    second = await dunning.client.post(
        f"{PLANS}/proposals", json={**proposal, "invoice_ids": ["inv-2"]}
    )
    rejected = await dunning.client.post(f"{PLANS}/{second.json()['plan_id']}/reject")
    assert rejected.json()["status"] == "rejected"
    assert (await dunning.invoice_view("inv-2"))["blocked_by"] is None
    templates = [m["template_key"] for m in await dunning.events("message.requested")]
    assert templates[-1] == "payment_plan_rejected"


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"invoice_ids": ["inv-1", "inv-9"]}, 409, "more than one debtor"),
        ({"invoice_ids": ["inv-other-administration"]}, 404, "unknown invoice"),
        ({"first_date": "2025-03-19"}, 422, "in the past"),
        ({"kind": "fixed_amount_monthly", "instalment_amount": "0"}, 422, "more than zero"),
        ({"kind": "fixed_amount_monthly", "instalment_amount": "-10"}, 422, "more than zero"),
        ({"instalments": 30001}, 422, "more than the 30000 cents"),
        (
            {"kind": "custom", "custom": [{"due_on": "2025-04-01", "amount": "250.00"}]},
            422,
            "add up to 250.00, but the plan covers 300.00",
        ),
    ],
)
async def test_bad_plans_are_refused_and_change_nothing(
    dunning: Dunning, body: dict[str, Any], status: int, says: str
) -> None:
    await _two_invoices(dunning)
    await dunning.debtor("deb-9")
    await dunning.invoice("inv-9", debtor_id="deb-9")
    before = len(await dunning.events())

    response = await dunning.client.post(
        PLANS, json={"invoice_ids": ["inv-1", "inv-2"], **MONTHLY, **body}
    )

    assert response.status_code == status, response.text
    assert says in str(response.json()["detail"])
    assert len(await dunning.events()) == before
    assert (await dunning.client.get(PLANS)).json()["items"] == []


async def test_an_invoice_already_in_a_plan_is_refused(dunning: Dunning) -> None:
    await _two_invoices(dunning)
    await _create(dunning)
    response = await dunning.client.post(PLANS, json={"invoice_ids": ["inv-2"], **MONTHLY})
    assert response.status_code == 409
    assert response.json()["error"] == "already_in_plan"
