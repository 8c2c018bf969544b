"""Portal links and portal replies, old reply links, the inbox, marking read, templates and
settings."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from settle_messaging.settings import MessagingSettings
from settle_shared.portal_links import DEVELOPMENT_SECRET, PortalLink, verify_portal_link
from settle_shared.settings import SettingsError, load_settings

from .conftest import ADM, BASE, MessagingHarness, make_request

pytestmark = pytest.mark.service

NOW = datetime(2025, 2, 12, 12, 0, tzinfo=UTC)


PORTAL = re.compile(r"https://settle\.example/portal/([A-Za-z0-9_-]+)(/reply)?")


def portal_links(text: str) -> dict[str, PortalLink]:
    """The portal links in a message, by kind (pay, reply), as the gateway would open them."""
    found = {}
    for match in PORTAL.finditer(text):
        kind = "reply" if match.group(2) else "pay"
        found[kind] = verify_portal_link(match.group(1), NOW, DEVELOPMENT_SECRET.encode())
    return found


async def test_a_reminder_links_to_the_portal_for_its_invoices_and_thread(
    service: MessagingHarness,
):
    await service.deliver(make_request(channels=["email", "letter"]))
    mail, letter = await service.messages()
    for message in (mail, letter):
        links = portal_links(message.body_text)
        assert links["pay"] == links["reply"]  # one token: pay page and reply page
        link = links["pay"]
        assert (link.administration_id, link.debtor_id) == (ADM, "deb-1")
        assert link.invoice_ids == ("inv-1", "inv-2")
        assert link.thread_id == message.thread_id
    assert portal_links(mail.body_html)["pay"].invoice_ids == ("inv-1", "inv-2")
    assert "/reply/" not in mail.body_text  # the reply page is the portal's now


async def test_a_portal_reply_is_stored_unread_in_the_thread(service: MessagingHarness):
    await service.deliver(make_request())
    [message] = await service.messages()
    answer = "<script>alert('x')</script> Ik heb al betaald!"
    posted = await service.client.post(
        f"{BASE}/threads/{message.thread_id}/replies", json={"debtor_id": "deb-1", "text": answer}
    )
    assert posted.status_code == 201, posted.text
    inbox = (await service.client.get(f"{BASE}/inbox", params={"unread": "true"})).json()
    [reply] = inbox["items"]
    assert reply["message_id"] == posted.json()["message_id"]
    assert reply["direction"] == "inbound" and reply["unread"] is True
    assert reply["thread_id"] == message.thread_id
    assert (
        reply["subject"] == f"Re: {message.subject}" and "friendly_reminder" not in reply["subject"]
    )
    assert reply["body_text"] == answer  # stored as text; escaped wherever it is shown
    assert "<script>" not in reply["body_html"]
    assert reply["invoice_ids"] == ["inv-1", "inv-2"]
    kinds, payloads = zip(*await service.events(), strict=True)
    assert kinds[-1] == "settle.messaging.reply.received"
    assert payloads[-1]["via"] == "reply_page"

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


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("threads/{thread}/replies", {"debtor_id": "deb-2", "text": "hi"}, 404),
        ("threads/nope/replies", {"debtor_id": "deb-1", "text": "hi"}, 404),
        ("threads/{thread}/replies", {"debtor_id": "deb-1", "text": "   "}, 422),
        ("threads/{thread}/replies", {"debtor_id": "deb-1", "text": ""}, 422),
    ],
)
async def test_a_portal_reply_to_a_thread_not_the_debtors_or_empty_stores_nothing(
    service: MessagingHarness, path: str, body: dict[str, str], status: int
):
    await service.deliver(make_request())
    [message] = await service.messages()
    before = len(await service.events())
    answer = await service.client.post(f"{BASE}/{path.format(thread=message.thread_id)}", json=body)
    assert answer.status_code == status, answer.text
    other = await service.client.post(
        f"/internal/v1/administrations/adm-other/threads/{message.thread_id}/replies",
        json={"debtor_id": "deb-1", "text": "hi"},
    )
    assert other.status_code == 404
    assert len(await service.messages()) == 1
    assert len(await service.events()) == before


async def test_an_old_reply_link_leads_to_the_portals_reply_page(service: MessagingHarness):
    await service.deliver(make_request())
    [message] = await service.messages()
    token = service.messaging.reply_token(
        message.thread_id, service.messaging.now() + timedelta(days=30)
    )
    answer = await service.client.get(f"/reply/{token}", follow_redirects=False)
    assert answer.status_code == 303
    link = portal_links(answer.headers["location"])["reply"]
    assert (link.debtor_id, link.thread_id, link.invoice_ids) == (
        "deb-1",
        message.thread_id,
        ("inv-1", "inv-2"),
    )


@pytest.mark.parametrize("tamper", ["flip", "unknown", "garbage"])
async def test_a_tampered_or_unknown_old_reply_link_is_refused(
    service: MessagingHarness, tamper: str
):
    await service.deliver(make_request())
    [message] = await service.messages()
    token = service.messaging.reply_token(
        message.thread_id, service.messaging.now() + timedelta(days=30)
    )
    if tamper == "flip":
        token = token[:-3] + ("a" if token[-3] != "a" else "b") + token[-2:]
    elif tamper == "unknown":
        token = "a" * len(token)
    else:
        token = "..%2F..%2Fetc"
    answer = await service.client.get(f"/reply/{token}", follow_redirects=False)
    assert answer.status_code == 404 and "location" not in answer.headers


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


async def test_templates_are_listed_and_read_to_be_edited(service: MessagingHarness):
    listed = (await service.client.get(f"{BASE}/templates")).json()
    reminders = [v for v in listed if v["template_key"] == "friendly_reminder"]
    assert [(v["language"], v["customised"], v["builtin"]) for v in reminders] == [
        ("de", False, True),
        ("en", False, True),
        ("fr", False, True),
        ("nl", False, True),
    ]
    builtin = (await service.client.get(f"{BASE}/templates/friendly_reminder/en")).json()
    assert builtin["customised"] is False and "{{" in builtin["text"]
    assert builtin["subject"].strip() and builtin["html"]
    own = {"subject": "Eine Erinnerung", "text": "Guten Tag {{ debtor.name }}"}
    saved = await service.client.put(f"{BASE}/templates/friendly_reminder/de", json=own)
    assert saved.status_code == 204
    read = (await service.client.get(f"{BASE}/templates/friendly_reminder/de")).json()
    assert (read["subject"], read["customised"], read["html"]) == ("Eine Erinnerung", True, None)
    # A language of the administration's own, beside the built-in ones.
    await service.client.put(f"{BASE}/templates/friendly_reminder/es", json=own)
    listed = (await service.client.get(f"{BASE}/templates")).json()
    assert ("es", True, False) in [
        (v["language"], v["customised"], v["builtin"])
        for v in listed
        if v["template_key"] == "friendly_reminder"
    ]
    missing = await service.client.get(f"{BASE}/templates/friendly_reminder/pt")
    assert missing.status_code == 404


def test_the_placeholder_reply_secret_is_refused_in_production():
    with pytest.raises(SettingsError, match="reply_token_secret"):
        load_settings(
            MessagingSettings, environment="production", service_token=SecretStr("s" * 40)
        )
    with pytest.raises(SettingsError, match="portal_link_secret"):
        load_settings(
            MessagingSettings,
            environment="production",
            service_token=SecretStr("s" * 40),
            reply_token_secret=SecretStr("r" * 40),
        )
    settings = load_settings(
        MessagingSettings,
        environment="production",
        service_token=SecretStr("s" * 40),
        reply_token_secret=SecretStr("r" * 40),
        portal_link_secret=SecretStr("p" * 40),
    )
    assert settings.http_port == 8003
