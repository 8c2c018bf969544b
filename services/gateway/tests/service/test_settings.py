"""Settings through the gateway, against the real dunning and messaging: flows with their steps,
sending days and blocked dates, bundling and minimum amounts; templates with their text and a
preview in each language."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ADM, Gateway, Neighbours

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


async def business_flow(gateway: Gateway) -> dict[str, Any]:
    flows = await gateway.get(f"{API}/flows", "rita@a.example")
    assert flows.status_code == 200, flows.text
    return next(f for f in flows.json() if f["selection"]["debtor_types"] == ["b2b"])


async def test_a_flows_sending_days_bundling_and_minimum_amounts_are_changed(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    flow = await business_flow(gateway)
    assert flow["problems"] == [] and flow["calendar"]["sending_days"] == [1, 2, 3, 4, 5]
    flow["calendar"]["sending_days"] = [1, 3, 5]
    flow["calendar"]["blocked_dates"] = ["2025-12-24", "2025-12-31"]
    flow["bundling"] = {"enabled": False, "min_days_between_reminders": 10}
    flow["steps"][0]["minimum_open_amount"] = "25.00"
    body = {k: v for k, v in flow.items() if k != "problems"}
    changed = await gateway.put(f"{API}/flows/{flow['id']}", json=body)
    assert changed.status_code == 200, changed.text
    stored = (await gateway.get(f"{API}/flows/{flow['id']}", "rita@a.example")).json()
    assert stored["calendar"]["sending_days"] == [1, 3, 5]
    assert stored["calendar"]["blocked_dates"] == ["2025-12-24", "2025-12-31"]
    assert stored["bundling"] == {"enabled": False, "min_days_between_reminders": 10}
    assert stored["steps"][0]["minimum_open_amount"] == "25.00"
    refused = await gateway.put(f"{API}/flows/{flow['id']}", "sam@a.example", json=body)
    assert refused.status_code == 403


async def test_a_flow_dunning_refuses_is_told_field_by_field(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    flow = await business_flow(gateway)
    body = {k: v for k, v in flow.items() if k != "problems"}
    body["steps"][1]["channels"] = ["sms"]
    refused = await gateway.put(f"{API}/flows/{flow['id']}", json=body)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["type"] == "urn:settle:problem:validation"
    [error] = problem["errors"]
    assert (error["location"], error["field"]) == ("body", "steps[1].channels")
    assert "SMS" in error["detail"]
    # The gateway's own checks come first, with its sentences.
    body["steps"][1]["channels"] = ["pigeon"]
    body["calendar"]["sending_days"] = [8]
    mistakes = (await gateway.put(f"{API}/flows/{flow['id']}", json=body)).json()["errors"]
    assert {e["field"]: e["detail"] for e in mistakes} == {
        "steps[1].channels[0]": "steps[1].channels[0] must be 'email', 'letter', 'sms' or "
        "'call_task'",
        "calendar.sending_days[0]": "calendar.sending_days[0] must be at most 7",
    }


async def test_a_flow_is_added_and_removed(gateway: Gateway, neighbours: Neighbours) -> None:
    new = {
        "id": "quick",
        "name": "Quick",
        "selection": {"payment_conditions": ["7"]},
        "steps": [
            {
                "id": "reminder-1",
                "offset_days": 3,
                "channels": ["email"],
                "template_key": "friendly_reminder",
                "target_phase": "reminder_1",
            }
        ],
    }
    created = await gateway.post(f"{API}/flows", json=new)
    assert created.status_code == 201, created.text
    assert created.json()["calendar"]["sending_days"] == [1, 2, 3, 4, 5]  # dunning's default
    again = await gateway.post(f"{API}/flows", json=new)
    assert again.status_code == 409
    removed = await gateway.delete(f"{API}/flows/quick")
    assert removed.status_code == 204
    assert (await gateway.get(f"{API}/flows/quick")).status_code == 404


async def test_templates_are_read_changed_and_previewed_in_each_language(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    versions = (await gateway.get(f"{API}/templates", "rita@a.example")).json()
    assert {v["language"] for v in versions if v["template_key"] == "friendly_reminder"} == {
        "de",
        "en",
        "fr",
        "nl",
    }
    previews = (await gateway.get(f"{API}/templates/friendly_reminder/previews")).json()
    assert [p["language"] for p in previews] == ["de", "en", "fr", "nl"]
    assert all(p["subject"] and p["text"] and not p["from_override"] for p in previews)
    assert len({p["subject"] for p in previews}) == 4  # each in its own language

    own = {
        "subject": "Herinnering: {{ invoices|length }} facturen",
        "text": "Beste {{ debtor.name }},",
    }
    saved = await gateway.put(f"{API}/templates/friendly_reminder/nl", json=own)
    assert saved.status_code == 200, saved.text
    assert saved.json()["customised"] is True and saved.json()["subject"] == own["subject"]
    dutch = (
        await gateway.get(f"{API}/templates/friendly_reminder/preview", params={"language": "nl"})
    ).json()
    assert dutch["from_override"] is True and dutch["text"].startswith("Beste ")

    hostile = {"subject": "x", "text": "{{ ''.__class__.__mro__ }}"}
    refused = await gateway.put(f"{API}/templates/friendly_reminder/nl", json=hostile)
    assert refused.status_code == 422 and "underscore" in refused.json()["detail"]
    clerk = await gateway.put(f"{API}/templates/friendly_reminder/nl", "sam@a.example", json=own)
    assert clerk.status_code == 403

    reset = await gateway.delete(f"{API}/templates/friendly_reminder/nl")
    assert reset.status_code == 204
    builtin = (await gateway.get(f"{API}/templates/friendly_reminder/nl")).json()
    assert builtin["customised"] is False and builtin["subject"] != own["subject"]
    unknown = await gateway.get(f"{API}/templates/no_such_template/nl")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "template_key"
