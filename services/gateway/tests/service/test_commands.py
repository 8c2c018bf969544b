"""Commands pass to the owning service's internal API; the answer comes back to the user.

The neighbours are the real importer, dunning and messaging services (each migrated on its own
SQLite database), mounted into the gateway's HTTP clients with httpx.ASGITransport."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from settle_shared.events import importer

from .conftest import ADM, Gateway, Neighbours

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
CSV = (
    b"Factuurnummer;Debiteurnummer;Naam;Type;E-mail;Factuurdatum;Vervaldatum;Bedrag;"
    b"Openstaand;Valuta\n"
    b"2025-001;D1;Bakkerij Jansen B.V.;zakelijk;info@jansen.example;"
    b"01-03-2025;31-03-2025;1.210,00;1.210,00;EUR\n"
)


async def _debtor_and_invoice(gateway: Gateway, neighbours: Neighbours) -> None:
    debtor = await gateway.debtor()
    invoice = await gateway.invoice("inv-1", due=date(2025, 3, 3))
    for fact in (debtor, invoice):
        await neighbours.dunning.deliver(fact, administration_id=ADM)


async def test_pausing_the_administration_answers_dunnings_state(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await _debtor_and_invoice(gateway, neighbours)  # dunning learns administrations from facts
    paused = await gateway.post(f"{API}/pause", json={"mode": "reminders_paused"})
    assert paused.status_code == 200, paused.text
    assert paused.json()["pause"] == "reminders_paused"
    shown = await gateway.get(f"{API}/settings", "rita@a.example")
    assert shown.json()["pause"] == "reminders_paused"
    # The read model shows it before dunning's event arrives: no stale list after the click.
    [invoice] = (await gateway.get(f"{API}/invoices", params={"paused": True})).json()["items"]
    assert invoice["paused_by"] == "administration"
    assert (await gateway.dashboard())["pause"] == "reminders_paused"
    resumed = await gateway.post(f"{API}/resume")
    assert resumed.json()["pause"] != "reminders_paused"
    assert (await gateway.get(f"{API}/invoices", params={"paused": True})).json()["items"] == []


async def test_a_paused_debtor_shows_paused_at_once(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    paused = await gateway.post(
        f"{API}/debtors/deb-1/pause", "sam@a.example", json={"mode": "fully_paused"}
    )
    assert paused.status_code == 204, paused.text
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["pause"] == "fully_paused"
    assert debtor["invoices"][0]["paused_by"] == "debtor"
    resumed = await gateway.post(f"{API}/debtors/deb-1/resume", "sam@a.example")
    assert resumed.status_code == 204
    assert (await gateway.get(f"{API}/debtors/deb-1")).json()["pause"] == "active"
    unknown = await gateway.post(
        f"{API}/debtors/nobody/pause", "sam@a.example", json={"mode": "fully_paused"}
    )
    assert unknown.status_code == 404
    assert (await gateway.get(f"{API}/debtors/deb-1")).json()["pause"] == "active"


async def test_step_control_on_an_invoice_answers_its_dunning(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    held = await gateway.post(f"{API}/invoices/inv-1/pause", "sam@a.example")
    assert held.status_code == 200, held.text
    assert held.json()["on_hold"] is True and held.json()["invoice_id"] == "inv-1"
    released = await gateway.post(f"{API}/invoices/inv-1/resume", "sam@a.example")
    assert released.json()["on_hold"] is False
    # Dunning's clock is the real one here: pick a date ahead of it.
    to = (date.today() + timedelta(days=60)).isoformat()
    moved = await gateway.post(
        f"{API}/invoices/inv-1/steps/reschedule", "sam@a.example", json={"to": to}
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["planned"][0]["planned_on"] >= to  # or the next sending day
    unknown = await gateway.post(f"{API}/invoices/nope/pause", "sam@a.example")
    assert unknown.status_code == 404  # dunning's refusal, passed on
    flows = await gateway.get(f"{API}/flows")
    assert flows.status_code == 200 and isinstance(flows.json(), list)


async def test_a_message_to_a_debtor_goes_to_messaging_with_the_debtors_details(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    sent = await gateway.post(
        f"{API}/messages",
        "cora@a.example",
        json={
            "debtor_id": "deb-1",
            "subject": "About invoice F-inv-1",
            "body": "Could you let us know when you will pay?",
            "invoice_ids": ["inv-1"],
        },
    )
    assert sent.status_code == 202, sent.text
    message_id = sent.json()["message_id"]
    stored = await neighbours.messaging.client.get(
        f"/internal/v1/administrations/{ADM}/messages/{message_id}"
    )
    assert stored.status_code == 200, stored.text
    assert stored.json()["debtor_id"] == "deb-1"
    thread = (await gateway.get(f"{API}/debtors/deb-1")).json()["messages"]
    assert [(m["message_id"], m["state"], m["subject"]) for m in thread] == [
        (message_id, "queued", "About invoice F-inv-1")
    ]
    from settle_shared.events import messaging

    await gateway.deliver(
        messaging.MessageSent(
            administration_id=ADM,
            message_id=message_id,
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id="thr-9",
            channel="email",
            recipients=["deb-1@example.nl"],
            sent_at=gateway.harness.runtime.clock.now(),
        )
    )
    thread = (await gateway.get(f"{API}/debtors/deb-1")).json()["messages"]
    assert [(m["state"], m["subject"], m["thread_id"]) for m in thread] == [
        ("sent", "About invoice F-inv-1", "thr-9")
    ]
    timeline = (await gateway.get(f"{API}/invoices/inv-1")).json()["timeline"]
    assert [entry["message_id"] for entry in timeline] == [message_id]
    unknown = await gateway.post(
        f"{API}/messages", "cora@a.example", json={"debtor_id": "nope", "subject": "s", "body": "b"}
    )
    assert unknown.status_code == 404


async def test_marking_a_reply_read_needs_messaging_to_know_it(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await gateway.debtor()
    await gateway.reply("msg-r1")
    refused = await gateway.post(f"{API}/messages/msg-r1/read", "cora@a.example")
    assert refused.status_code == 404  # messaging never saw it
    inbox = (await gateway.get(f"{API}/inbox", params={"unread": True})).json()["items"]
    assert [m["message_id"] for m in inbox] == ["msg-r1"]


async def test_an_uploaded_file_goes_to_the_importer(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    uploaded = await gateway.post(
        f"{API}/imports", "sam@a.example", files={"file": ("openstaand.csv", CSV, "text/csv")}
    )
    assert uploaded.status_code == 202, uploaded.text
    run_id = uploaded.json()["run_id"]
    tasks = neighbours.importer.runtime.app.state.importer.tasks
    while tasks:
        await asyncio.gather(*list(tasks))
    detail = await gateway.get(f"{API}/imports/{run_id}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["id"] == run_id and detail.json()["status"] == "succeeded"
    refused = await gateway.post(
        f"{API}/imports", "rita@a.example", files={"file": ("openstaand.csv", CSV, "text/csv")}
    )
    assert refused.status_code == 403


async def test_a_neighbour_that_does_not_answer_is_a_502(gateway: Gateway) -> None:
    upstreams = gateway.harness.runtime.app.state.gateway.upstreams
    await upstreams.clients["dunning"].aclose()
    upstreams.clients["dunning"] = httpx.AsyncClient(base_url="http://127.0.0.1:9")
    response = await gateway.post(f"{API}/pause", json={"mode": "fully_paused"})
    assert response.status_code == 502
    assert "dunning" in response.json()["detail"]


def test_money_in_commands_stays_decimal() -> None:
    fact = importer.InvoiceChanged(
        administration_id=ADM,
        invoice_id="i",
        number="n",
        version=1,
        run_id="r",
        open_amount=Decimal("0.10") + Decimal("0.20"),
        previous_open_amount=Decimal("1"),
        currency="EUR",
    )
    assert fact.open_amount == Decimal("0.30")


async def test_languages_are_set_in_the_messaging_profile(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    changed = await gateway.put(
        f"{API}/profile",
        json={
            "name": "Bakkerij A",
            "default_language": "en",
            "fallback_language": "nl",
            "bounce_policy": "letter",
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["default_language"] == "en"
    assert changed.json()["bounce_policy"] == "letter"
    wrong = await gateway.put(f"{API}/profile", json={"bounce_policy": "shred"})
    assert wrong.json()["errors"][0]["detail"] == (
        "bounce_policy must be 'block', 'letter' or 'both'"
    )
    shown = await gateway.get(f"{API}/profile", "rita@a.example")
    assert shown.json()["name"] == "Bakkerij A"
    refused = await gateway.put(f"{API}/profile", "sam@a.example", json={"name": "x"})
    assert refused.status_code == 403


class CountedBody:
    """A request body that records how much of it the server pulled."""

    def __init__(self, chunks: int, size: int = 64 * 1024) -> None:
        self.chunks, self.size, self.pulled = chunks, size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += 1
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(self.chunks):
            self.pulled += 1
            yield b"x" * self.size


MULTIPART = {"Content-Type": "multipart/form-data; boundary=b"}


async def test_an_upload_is_refused_before_its_body_is_read(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    body = CountedBody(chunks=100)
    anonymous = await gateway.client.post(
        f"{API}/imports", content=body, headers={**MULTIPART, "Authorization": "Bearer nobody"}
    )
    assert anonymous.status_code == 401
    assert body.pulled <= 1  # the first chunk may be in flight; the rest is never read

    declared = await gateway.client.post(
        f"{API}/imports",
        content=b"x" * 10,
        headers={
            **MULTIPART,
            **await gateway.auth("sam@a.example"),
            "Content-Length": str(200 * 1024 * 1024),
        },
    )
    assert declared.status_code == 413


async def test_an_upload_over_the_limit_is_cut_off_while_it_streams(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    context = gateway.harness.runtime.app.state.gateway
    context.settings = context.settings.model_copy(update={"upload_max_bytes": 256 * 1024})
    body = CountedBody(chunks=1000)  # 64 MiB, sent without a Content-Length
    response = await gateway.client.post(
        f"{API}/imports", content=body, headers={**MULTIPART, **await gateway.auth("sam@a.example")}
    )
    assert response.status_code == 413
    assert "262,144 bytes" in response.json()["detail"]
    assert body.pulled <= 6  # stopped at the limit, not after the whole body
    runs = (await gateway.get(f"{API}/imports")).json()["items"]
    assert runs == []


async def test_a_user_chooses_a_debtors_language_and_sees_it_at_once(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await _debtor_and_invoice(gateway, neighbours)
    chosen = await gateway.put(
        f"{API}/debtors/deb-1/language", "sam@a.example", json={"language": "en"}
    )
    assert chosen.status_code == 204, chosen.text
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert (debtor["language"], debtor["language_chosen"]) == ("en", True)
    refused = await gateway.put(
        f"{API}/debtors/deb-1/language", "rita@a.example", json={"language": "de"}
    )
    assert refused.status_code == 403  # read-only users choose nothing
    unknown = await gateway.put(
        f"{API}/debtors/nobody/language", "sam@a.example", json={"language": "en"}
    )
    assert unknown.status_code == 404


async def test_a_user_resolves_an_assumed_due_date(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    debtor = await gateway.debtor()
    assumed = importer.InvoiceImported(
        administration_id=ADM,
        invoice_id="inv-9",
        number="Vat-Z",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="Ddeb-1",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3),
        amount=Decimal("1200.00"),
        open_amount=Decimal("1200.00"),
        currency="GBP",
        due_date_source="default_term",
    )
    for fact in (debtor, assumed):
        await neighbours.dunning.deliver(fact, administration_id=ADM)
    item = {"subject_type": "invoice", "subject_id": "inv-9", "reason": "due_date_assumed"}

    resolved = await gateway.post(
        f"{API}/attention/resolve", "sam@a.example", json={**item, "note": "as agreed"}
    )

    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["resolution"] == "Resolved by a user: as agreed"
    again = await gateway.post(f"{API}/attention/resolve", "sam@a.example", json=item)
    assert again.status_code == 404  # no such item is open any more
    call = {"subject_type": "debtor", "subject_id": "deb-1", "reason": "email_missing"}
    assert (
        await gateway.post(f"{API}/attention/resolve", "sam@a.example", json=call)
    ).status_code == 409
