"""The inbox's work besides replies: letters waiting to be posted (from the read model, oldest
first, gone once posted) and undeliverable addresses with "unblock" (messaging's, proxied),
each for the caller's administration and role."""

from __future__ import annotations

from datetime import timedelta

import pytest

from settle_shared.events import messaging

from .conftest import ADM, OTHER, Gateway, Neighbours

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def awaiting(message_id: str, gateway: Gateway, minutes: int) -> messaging.LetterAwaitingPosting:
    return messaging.LetterAwaitingPosting(
        administration_id=ADM,
        message_id=message_id,
        debtor_id="deb-1",
        invoice_ids=["inv-1"],
        thread_id=f"thr-{message_id}",
        subject_line=f"Herinnering {message_id}",
        template_key="final_reminder",
        queued_at=gateway.harness.runtime.clock.now() + timedelta(minutes=minutes),
    )


async def test_letters_waiting_to_be_posted_are_listed_oldest_first_until_posted(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1")
    await gateway.deliver(awaiting("letter-1", gateway, 0))
    clock = gateway.harness.runtime.clock
    gateway.at(clock.now() + timedelta(minutes=5))
    await gateway.deliver(awaiting("letter-2", gateway, 5))

    first = await gateway.get(f"{API}/letters", "rita@a.example", params={"limit": 1})
    assert first.status_code == 200, first.text
    [letter] = first.json()["items"]
    assert (letter["message_id"], letter["channel"], letter["state"]) == (
        "letter-1",
        "letter",
        "awaiting_posting",
    )
    assert letter["debtor_name"] == "Debtor deb-1" and letter["subject"] == "Herinnering letter-1"
    rest = await gateway.get(
        f"{API}/letters", params={"limit": 1, "cursor": first.json()["next_cursor"]}
    )
    assert [item["message_id"] for item in rest.json()["items"]] == ["letter-2"]
    assert rest.json()["next_cursor"] is None

    # Posted, a letter counts as sent and leaves the list.
    await gateway.deliver(
        messaging.MessageSent(
            administration_id=ADM,
            message_id="letter-1",
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id="thr-letter-1",
            channel="letter",
            subject_line="Herinnering letter-1",
            sent_at=gateway.harness.runtime.clock.now(),
        )
    )
    left = (await gateway.get(f"{API}/letters")).json()["items"]
    assert [item["message_id"] for item in left] == ["letter-2"]
    # Another administration's people see none of them.
    assert (await gateway.get(f"{API}/letters", "bob@b.example")).status_code == 404
    other = await gateway.get(f"/api/v1/administrations/{OTHER}/letters", "bob@b.example")
    assert other.json()["items"] == []


async def test_an_undeliverable_address_is_listed_and_unblocked(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    service = neighbours.messaging.runtime.app.state.messaging
    async with service.transaction() as store:
        await store.blocked.block(
            ADM, "info@jansen.example", "550 5.1.1 no such user", service.now()
        )
        await store.blocked.block(OTHER, "info@b.example", "550 5.1.1 no such user", service.now())

    listed = await gateway.get(f"{API}/blocked-addresses", "rita@a.example")
    assert listed.status_code == 200, listed.text
    [blocked] = listed.json()["items"]
    assert blocked["address"] == "info@jansen.example"
    assert blocked["reason"] == "550 5.1.1 no such user"

    # The restricted role reads but may not unblock; another administration's address is not
    # this administration's to unblock.
    address = {"address": "info@jansen.example"}
    refused = await gateway.post(f"{API}/blocked-addresses/unblock", "rita@a.example", json=address)
    assert refused.status_code == 403
    foreign = await gateway.post(
        f"{API}/blocked-addresses/unblock", "cora@a.example", json={"address": "info@b.example"}
    )
    assert foreign.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")

    unblocked = await gateway.post(
        f"{API}/blocked-addresses/unblock", "cora@a.example", json=address
    )
    assert unblocked.status_code == 204, unblocked.text
    assert (await gateway.get(f"{API}/blocked-addresses")).json()["items"] == []
    still = await gateway.get(f"/api/v1/administrations/{OTHER}/blocked-addresses", "bob@b.example")
    assert [item["address"] for item in still.json()["items"]] == ["info@b.example"]
