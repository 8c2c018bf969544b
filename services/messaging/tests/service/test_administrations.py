"""Messaging keeps settings for the administrations the gateway announced: a new one's settings
answer at once, an unknown one's are refused with a sentence saying how to create it."""

from __future__ import annotations

import pytest

from .conftest import MessagingHarness

pytestmark = pytest.mark.service

TEMPLATE = {"subject": "Herinnering {{ invoices[0].number }}", "text": "Beste {{ debtor.name }}"}


async def test_an_announced_administrations_settings_answer_before_anything_was_sent(
    service: MessagingHarness,
):
    await service.harness.administration("bakkerij-nl", "Bakkerij")
    base = "/internal/v1/administrations/bakkerij-nl"
    profile = await service.client.get(f"{base}/profile")
    assert profile.status_code == 200, profile.text
    assert profile.json()["default_language"] == "nl" and profile.json()["name"] is None
    own = {"name": "Bakkerij B.V.", "email": "debiteuren@bakkerij.example.com"}
    assert (await service.client.put(f"{base}/profile", json=own)).status_code == 204
    assert (await service.client.get(f"{base}/profile")).json()["name"] == "Bakkerij B.V."
    saved = await service.client.put(f"{base}/templates/friendly_reminder/nl", json=TEMPLATE)
    assert saved.status_code == 204, saved.text


async def test_an_unknown_administrations_settings_are_refused(service: MessagingHarness):
    base = "/internal/v1/administrations/nosuch"
    refused = [
        await service.client.get(f"{base}/profile"),
        await service.client.put(f"{base}/profile", json={"name": "X"}),
        await service.client.get(f"{base}/templates/friendly_reminder/preview"),
        await service.client.put(f"{base}/templates/friendly_reminder/nl", json=TEMPLATE),
        await service.client.delete(f"{base}/templates/friendly_reminder/nl"),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    for response in refused:
        assert response.json()["error"] == "unknown_administration"
        detail = response.json()["detail"]
        assert "unknown administration 'nosuch'" in detail
        assert "settle gateway administration-create --administration nosuch" in detail
    # Refusing set nothing up.
    assert (await service.client.get(f"{base}/profile")).status_code == 404
