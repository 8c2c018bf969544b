"""The reply page, the inbox, marking read, templates and settings."""

import re

import pytest
from pydantic import SecretStr

from settle_messaging.settings import MessagingSettings
from settle_shared.settings import SettingsError, load_settings

from .conftest import BASE, MessagingHarness, make_request

pytestmark = pytest.mark.service


async def reply_path(service: MessagingHarness) -> str:
    await service.deliver(make_request())
    [message] = await service.messages()
    match = re.search(r"https://settle\.example(/reply/[a-z0-9]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


async def test_a_reply_on_the_page_is_stored_unread_and_escaped(service: MessagingHarness):
    path = await reply_path(service)
    form = await service.client.get(path)
    assert form.status_code == 200 and "<textarea" in form.text
    answer = "<script>alert('x')</script> Ik heb al betaald!"
    posted = await service.client.post(
        path, content=f"message={answer}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert posted.status_code == 200 and "<script>" not in posted.text
    inbox = (await service.client.get(f"{BASE}/inbox", params={"unread": "true"})).json()
    [reply] = inbox["items"]
    assert reply["direction"] == "inbound" and reply["unread"] is True
    assert reply["body_text"] == answer  # stored as text; escaped wherever it is shown
    assert reply["invoice_ids"] == ["inv-1", "inv-2"]
    assert (await service.event_types())[-1] == "settle.messaging.reply.received"

    read = await service.client.post(f"{BASE}/messages/{reply['message_id']}/read")
    assert read.status_code == 204
    assert (await service.client.get(f"{BASE}/inbox", params={"unread": "true"})).json()[
        "items"
    ] == []
    kinds, payloads = zip(*await service.events(), strict=True)
    assert kinds[-1] == "settle.messaging.message.read" and payloads[-1]["read"] is True
    # Marking it read again changes nothing and announces nothing.
    await service.client.post(f"{BASE}/messages/{reply['message_id']}/read")
    assert len(await service.events()) == len(kinds)


@pytest.mark.parametrize("tamper", ["flip", "unknown", "garbage"])
async def test_a_tampered_or_unknown_token_is_refused_and_nothing_stored(
    service: MessagingHarness, tamper: str
):
    path = await reply_path(service)
    token = path.rsplit("/", 1)[1]
    if tamper == "flip":
        token = token[:-3] + ("a" if token[-3] != "a" else "b") + token[-2:]
    elif tamper == "unknown":
        token = "a" * len(token)
    else:
        token = "..%2F..%2Fetc"
    assert (await service.client.get(f"/reply/{token}")).status_code == 404
    posted = await service.client.post(
        f"/reply/{token}", content=b"message=hello",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert posted.status_code == 404
    assert len(await service.messages()) == 1
    assert await service.event_types() == []


async def test_a_free_message_starts_a_thread_the_reply_comes_back_to(service: MessagingHarness):
    debtor = make_request().debtor.model_dump()
    body = {"debtor": debtor, "language": "en", "subject": "About invoice 2025-0001",
            "body": "Could you confirm the address?", "sender_name": "Sanne",
            "invoice_ids": ["inv-1"]}  # fmt: skip
    queued = await service.client.post(f"{BASE}/messages", json=body)
    assert queued.status_code == 202
    [message] = await service.messages()
    assert message.template_key == "free_message" and message.state == "queued"
    thread = await service.client.get(f"{BASE}/messages", params={"thread_id": message.thread_id})
    assert [m["subject"] for m in thread.json()["items"]] == [message.subject]
    missing = await service.client.post(f"{BASE}/messages", json={**body, "thread_id": "nope"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_template_preview_and_a_hostile_override_is_refused(service: MessagingHarness):
    preview = await service.client.get(
        f"{BASE}/templates/friendly_reminder/preview", params={"language": "en"}
    )
    assert preview.status_code == 200 and "2025-0117" in preview.json()["text"]
    hostile = {"subject": "x", "text": "{{ ''.__class__.__mro__[1].__subclasses__() }}"}
    refused = await service.client.put(f"{BASE}/templates/friendly_reminder/en", json=hostile)
    assert refused.status_code == 422 and refused.json()["error"] == "template_unsafe"
    own = {"subject": "Herinnering {{ invoices|length }}", "text": "Beste {{ debtor.name }}"}
    saved = await service.client.put(f"{BASE}/templates/friendly_reminder/nl", json=own)
    assert saved.status_code == 204
    await service.deliver(make_request())
    [message] = await service.messages()
    assert message.subject == "Herinnering 2"
    assert message.body_text.startswith("Beste Bakkerij De Korenaar")
    unknown = await service.client.get(f"{BASE}/templates/nope/preview")
    assert unknown.status_code == 422


def test_the_placeholder_reply_secret_is_refused_in_production():
    with pytest.raises(SettingsError, match="reply_token_secret"):
        load_settings(
            MessagingSettings, environment="production", service_token=SecretStr("s" * 40)
        )
    settings = load_settings(
        MessagingSettings,
        environment="production",
        service_token=SecretStr("s" * 40),
        reply_token_secret=SecretStr("r" * 40),
    )
    assert settings.http_port == 8003


async def test_a_reminders_thread_and_its_replies_carry_the_rendered_subject(
    service: MessagingHarness,
):
    path = await reply_path(service)
    [message] = await service.messages()
    assert message.subject and message.subject != "friendly_reminder"
    form = await service.client.get(path)
    assert message.subject in form.text and "friendly_reminder" not in form.text
    await service.client.post(
        path, content=b"message=Betaald.",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    [reply] = (await service.client.get(f"{BASE}/inbox")).json()["items"]
    assert reply["subject"] == f"Re: {message.subject}"
