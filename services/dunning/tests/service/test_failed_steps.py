"""A step whose message could not be sent, through the running service: messaging's failure
in, the step failed on the timeline, the phase back, an attention item, and the step planned
again once the debtor's address changes. And SMS: refused in flows, reported in stored ones."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from settle_dunning.domain import Channel, Step, default_flows
from settle_dunning.domain.phases import reminder
from settle_shared.db import transaction
from settle_shared.events import messaging

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

BASE = f"/internal/v1/administrations/{ADM}"
RUN_DAY = date(2025, 3, 20)


def failure(request: dict[str, Any], channel: str = "email", **changes: Any) -> Any:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "message_id": f"msg-{channel}",
        "message_request_id": request["message_request_id"],
        "debtor_id": request["debtor"]["debtor_id"],
        "invoice_ids": [line["invoice_id"] for line in request["invoices"]],
        "thread_id": "thread-1",
        "subject_line": "Herinnering factuur F-inv-1",
        "channel": channel,
        "reason": "invalid_email_address",
        "detail": "no valid email address: 'deb-1@example'",
        "failed_at": datetime(2025, 3, 20, 9, 5, tzinfo=UTC),
    }
    values.update(changes)
    return messaging.MessageFailed(**values)


async def test_a_reminder_that_reached_nobody_is_failed_and_planned_again(
    dunning: Dunning,
) -> None:
    await dunning.debtor(emails=["deb-1@example"])
    await dunning.invoice()
    assert (await dunning.run(RUN_DAY)).status_code == 200
    [request] = await dunning.events("message.requested")
    assert (await dunning.invoice_view())["phase"] == "reminder_1"

    await dunning.deliver(failure(request))

    [failed] = await dunning.events("step.failed")
    assert (failed["step_id"], failed["executed_on"], failed["reason"]) == (
        "reminder-1",
        "2025-03-20",
        "invalid_email_address",
    )
    assert failed["channels"] == ["email"] and failed["phase"] == "sent"
    phases = [(p["previous_phase"], p["phase"]) for p in await dunning.events("phase.changed")]
    assert phases == [("sent", "reminder_1"), ("reminder_1", "sent")]
    planned = (await dunning.events("step.planned"))[-1]
    assert (planned["step_id"], planned["blocked_by"]) == ("reminder-1", "message_failed")

    view = await dunning.invoice_view()
    assert view["phase"] == "sent" and view["blocked_by"] == "message_failed"
    [step] = view["executed"]
    assert (step["status"], step["failure_reason"], step["failed_on"]) == (
        "failed",
        "invalid_email_address",
        "2025-03-20",
    )
    items = {item["reason"]: item for item in await dunning.attention()}
    assert items["message_failed"]["subject_id"] == "inv-1"
    assert "'reminder-1' (2025-03-20) could not be sent" in items["message_failed"]["sentence"]
    assert "email_undeliverable" in items  # the debtor's address, as before

    # Nothing more goes out while it waits; a corrected address plans the step again.
    dunning.today(date(2025, 3, 21))
    assert (await dunning.run(date(2025, 3, 21))).json()["steps_executed"] == 0
    await dunning.debtor(emails=["deb-1@example.nl"])
    assert (await dunning.invoice_view())["blocked_by"] is None
    assert "message_failed" not in {item["reason"] for item in await dunning.attention()}
    done = await dunning.run(date(2025, 3, 21))
    assert done.json()["steps_executed"] == 1
    view = await dunning.invoice_view()
    assert view["phase"] == "reminder_1"
    assert [s["status"] for s in view["executed"]] == ["failed", "executed"]
    assert dunning.dead == []


async def test_a_14_day_letter_whose_email_failed_still_counts_by_its_letter(
    dunning: Dunning,
) -> None:
    await dunning.debtor(kind="consumer")
    await dunning.invoice()
    for day in (RUN_DAY, date(2025, 4, 3), date(2025, 4, 17)):
        dunning.today(day)
        assert (await dunning.run(day)).status_code == 200
    request = (await dunning.events("message.requested"))[-1]
    assert request["channels"] == ["email", "letter"]

    await dunning.deliver(failure(request))
    assert await dunning.events("step.failed") == []
    assert (await dunning.invoice_view())["phase"] == "final_reminder"

    await dunning.deliver(
        failure(request, "letter", reason="missing_postal_address", detail="no postal address")
    )
    [failed] = await dunning.events("step.failed")
    assert failed["step_id"] == "fourteen-day-letter" and failed["reason"] == (
        "missing_postal_address"
    )
    assert (await dunning.invoice_view())["phase"] == "reminder_2"


async def test_a_flow_with_an_sms_step_is_refused(dunning: Dunning) -> None:
    await dunning.debtor()
    flow = {
        "id": "sms",
        "name": "By SMS",
        "selection": {"debtor_types": ["b2b"]},
        "steps": [
            {
                "id": "r1",
                "offset_days": 3,
                "channels": ["sms"],
                "template_key": "friendly_reminder",
                "target_phase": "reminder_1",
            }
        ],
    }
    response = await dunning.client.post(f"{BASE}/flows", json=flow)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "steps", 0, "channels"]
    assert "no SMS provider is configured" in error["msg"]


async def test_a_stored_flow_with_an_sms_step_is_reported_and_its_step_held_back(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    business, _ = default_flows("NL")
    first = business.steps[0]
    by_sms = Step(
        id=first.id,
        offset_days=first.offset_days,
        channels=(Channel.SMS,),
        template_key=first.template_key,
        target_phase=reminder(1),
    )
    stored = replace(business, steps=(by_sms, *business.steps[1:]))
    ctx = dunning.harness.runtime.app.state.dunning
    async with transaction(ctx.sessions) as session:  # as a flow saved before SMS was refused
        await ctx.repositories(session).flows.replace(ADM, stored)

    [flow] = [
        f for f in (await dunning.client.get(f"{BASE}/flows")).json() if f["id"] == business.id
    ]
    [problem] = flow["problems"]
    assert problem["loc"] == ["body", "steps", 0, "channels"]
    assert "no SMS provider is configured" in problem["msg"]
    sound = (await dunning.client.get(f"{BASE}/flows/default-consumer")).json()
    assert sound["problems"] == []

    await dunning.invoice()
    assert (await dunning.run(RUN_DAY)).json()["steps_executed"] == 0
    assert await dunning.events("message.requested") == []
    view = await dunning.invoice_view()
    assert (view["phase"], view["blocked_by"], view["executed"]) == (
        "sent",
        "channel_unavailable",
        [],
    )
    [item] = await dunning.attention()
    assert (item["reason"], item["subject_id"]) == ("message_failed", "inv-1")
    assert "no SMS provider is configured" in item["sentence"]

    # The flow changed to email: the step is decided again and goes out.
    changed = {**flow, "steps": [dict(flow["steps"][0], channels=["email"]), *flow["steps"][1:]]}
    del changed["problems"]
    response = await dunning.client.put(f"{BASE}/flows/{business.id}", json=changed)
    assert response.status_code == 200, response.text
    assert await dunning.attention() == []
    assert (await dunning.run(RUN_DAY)).json()["steps_executed"] == 1
