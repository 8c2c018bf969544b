"""The internal API: flows, step control and pausing, with its error mapping."""

from datetime import date
from typing import Any

import pytest

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

BASE = f"/internal/v1/administrations/{ADM}"


def a_flow(**changes: Any) -> dict[str, Any]:
    flow: dict[str, Any] = {
        "id": "quick",
        "name": "Quick (business)",
        "selection": {"payment_conditions": ["7"], "debtor_types": ["b2b"]},
        "steps": [
            {
                "id": "r1",
                "offset_days": 3,
                "channels": ["email"],
                "template_key": "friendly_reminder",
                "target_phase": "reminder_1",
            },
            {
                "id": "r2",
                "offset_days": 7,
                "offset_from": "previous_step",
                "channels": ["email"],
                "template_key": "second_reminder",
                "target_phase": "reminder_2",
            },
        ],
    }
    flow.update(changes)
    return flow


async def test_flows_can_be_created_read_changed_and_deleted(dunning: Dunning) -> None:
    await dunning.debtor()  # the administration exists from its first fact
    created = await dunning.client.post(f"{BASE}/flows", json=a_flow())
    assert created.status_code == 201, created.text
    assert created.json()["steps"][1]["minimum_open_amount"] == "0.00"
    assert (await dunning.client.post(f"{BASE}/flows", json=a_flow())).status_code == 409

    listed = await dunning.client.get(f"{BASE}/flows")
    assert [f["id"] for f in listed.json()] == ["default-business", "default-consumer", "quick"]

    renamed = await dunning.client.put(f"{BASE}/flows/quick", json=a_flow(name="Renamed"))
    assert renamed.json()["name"] == "Renamed"
    assert (await dunning.client.get(f"{BASE}/flows/quick")).json()["name"] == "Renamed"

    assert (await dunning.client.delete(f"{BASE}/flows/quick")).status_code == 204
    assert (await dunning.client.get(f"{BASE}/flows/quick")).status_code == 404


async def test_an_invalid_flow_is_refused_with_field_addressed_errors(dunning: Dunning) -> None:
    await dunning.debtor()
    flow = a_flow()
    flow["steps"][0]["channels"] = ["pigeon"]
    flow["steps"][1]["template_key"] = "no_such_template"
    response = await dunning.client.post(f"{BASE}/flows", json=flow)
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert "unknown channel 'pigeon'" in errors[("body", "steps", 0, "channels", 0)]

    no_steps = await dunning.client.post(f"{BASE}/flows", json=a_flow(steps=[]))
    assert no_steps.status_code == 422
    [error] = no_steps.json()["detail"]
    assert error["loc"] == ["body", "steps"]

    backwards = a_flow()
    backwards["steps"][1].update(offset_from="due_date", offset_days=1)
    response = await dunning.client.post(f"{BASE}/flows", json=backwards)
    assert response.status_code == 422
    assert "backwards" in response.json()["detail"][0]["msg"]


async def test_a_flow_with_open_invoices_cannot_be_deleted(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    response = await dunning.client.delete(f"{BASE}/flows/default-business")
    assert response.status_code == 409


async def test_a_step_can_be_skipped_rescheduled_performed_now_and_the_flow_reset(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    inv = f"{BASE}/invoices/inv-1"

    skipped = await dunning.client.post(f"{inv}/steps/skip")
    assert skipped.status_code == 200, skipped.text
    assert [s["step_id"] for s in skipped.json()["skipped"]] == ["reminder-1"]
    assert skipped.json()["planned"][0]["step_id"] == "reminder-2"

    moved = await dunning.client.post(f"{inv}/steps/reschedule", json={"to": "2025-04-12"})
    assert moved.json()["planned"][0] == {  # a Saturday: moved to Monday
        "step_id": "reminder-2",
        "planned_on": "2025-04-14",
        "basis": "rescheduled",
    }
    past = await dunning.client.post(f"{inv}/steps/reschedule", json={"to": "2025-01-01"})
    assert past.status_code == 422
    assert past.json()["detail"][0]["loc"] == ["body", "to"]

    performed = await dunning.client.post(f"{inv}/steps/perform-now")
    assert performed.status_code == 200, performed.text
    assert performed.json()["phase"] == "reminder_2"
    [request] = await dunning.events("message.requested")
    assert request["template_key"] == "second_reminder"
    twice = await dunning.client.post(f"{inv}/steps/perform-now")
    assert twice.status_code == 409  # one step per invoice per day

    reset = await dunning.client.post(f"{inv}/flow/reset")
    assert reset.json()["phase"] == "sent"
    assert reset.json()["cycle"] == 2
    assert reset.json()["planned"][0]["step_id"] == "reminder-1"


async def test_an_invoice_on_hold_is_passed_over_until_released(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    held = await dunning.client.post(f"{BASE}/invoices/inv-1/pause")
    assert held.json()["on_hold"] is True
    assert (await dunning.run(date(2025, 3, 20))).json()["invoices_due"] == 0
    dunning.today(date(2025, 3, 21))
    released = await dunning.client.post(f"{BASE}/invoices/inv-1/resume")
    assert released.json()["planned"][0]["planned_on"] == "2025-03-21"
    assert (await dunning.run(date(2025, 3, 21))).json()["messages_requested"] == 1


async def test_a_paused_debtor_gets_nothing_until_resumed(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    paused = await dunning.client.post(f"{BASE}/debtors/deb-1/pause", json={"mode": "fully_paused"})
    assert paused.status_code == 204
    assert (await dunning.run(date(2025, 3, 20))).json()["messages_requested"] == 0
    dunning.today(date(2025, 3, 24))
    assert (await dunning.client.post(f"{BASE}/debtors/deb-1/resume")).status_code == 204
    assert (await dunning.run(date(2025, 3, 24))).json()["messages_requested"] == 1
    unknown = await dunning.client.post(f"{BASE}/debtors/nobody/resume")
    assert unknown.status_code == 404
    changes = await dunning.events("debtor.pause_changed")
    assert [(e["debtor_id"], e["mode"]) for e in changes] == [
        ("deb-1", "fully_paused"),
        ("deb-1", "active"),
    ]


async def test_pausing_the_administration_is_published_for_readers(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    paused = await dunning.client.post(f"{BASE}/pause", json={"mode": "reminders_paused"})
    assert paused.status_code == 204, paused.text
    assert (await dunning.client.post(f"{BASE}/resume")).status_code == 204
    changes = await dunning.events("administration.pause_changed")
    assert [(e["mode"], e["paused_on"]) for e in changes] == [
        ("reminders_paused", "2025-03-20"),
        ("active", None),
    ]


async def test_two_due_invoices_of_one_debtor_go_out_in_one_reminder(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice("inv-1", due=date(2025, 3, 3))
    await dunning.invoice("inv-2", due=date(2025, 3, 5))
    run = await dunning.run(date(2025, 3, 20))
    assert run.json()["steps_executed"] == 2
    [request] = await dunning.events("message.requested")
    assert [line["invoice_id"] for line in request["invoices"]] == ["inv-1", "inv-2"]
    assert request["total_open_amount"] == "242.00"
