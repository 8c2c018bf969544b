"""Organisations, administrations, members and API tokens through the API: what only the
command line did before."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from settle_gateway.adapters.tables import users
from settle_gateway.auth.service import create_user, ensure_administration, grant
from settle_gateway.domain.access import Role
from settle_shared.db import transaction

from .conftest import ADM, NOW, PASSWORD, Gateway, metadata
from .test_administrations import announced

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"
NEW_PASSWORD = "a password of my own choosing"


async def platform_administrator(gateway: Gateway) -> str:
    """pat@ops.example, of an organisation of its own, made a platform administrator as
    `settle gateway platform-admin` does."""
    from settle_gateway.auth.service import ensure_organisation

    async with transaction(gateway.harness.runtime.sessions) as session:
        org = await ensure_organisation(session, "Operations", NOW)
        await create_user(
            session,
            organisation_id=org,
            email="pat@ops.example",
            name="Pat",
            password=PASSWORD,
            now=NOW,
        )
        await session.execute(
            sa.update(users)
            .where(users.c.email == "pat@ops.example")
            .values(platform_administrator=True)
        )
    return "pat@ops.example"


async def accept(gateway: Gateway, token: str, password: str = NEW_PASSWORD) -> Any:
    return await gateway.client.post(
        "/api/v1/auth/invitation",
        json={"token": token, "password": password},
        headers={"Authorization": ""},
    )


async def test_a_platform_administrator_creates_an_organisation_whose_administrator_signs_up(
    gateway: Gateway,
) -> None:
    pat = await platform_administrator(gateway)
    before = len(await announced(gateway.harness.runtime))
    created = await gateway.post(
        "/api/v1/organisations",
        pat,
        json={
            "name": "Bakkerij Noord",
            "administration": {"id": "noord", "name": "Bakkerij Noord B.V."},
            "administrator": {"email": "Nora@Noord.example", "name": "Nora"},
        },
    )
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer["organisation"]["name"] == "Bakkerij Noord"
    assert answer["organisation"]["administrations"] == [
        {"id": "noord", "name": "Bakkerij Noord B.V."}
    ]
    nora = answer["administrator"]
    assert (nora["email"], nora["role"], nora["state"]) == (
        "nora@noord.example",
        "administrator",
        "invited",
    )
    # Every service is told of the administration, as when its administrators create one.
    [(kind, payload)] = (await announced(gateway.harness.runtime))[before:]
    assert kind.endswith("administration.created") and payload["administration_id"] == "noord"

    # Nora chooses her password with the invitation and is signed in.
    assert (await gateway.login("nora@noord.example", NEW_PASSWORD)).status_code == 401
    short = await accept(gateway, nora["invitation"]["token"], "short")
    assert short.status_code == 422
    signed_up = await accept(gateway, nora["invitation"]["token"])
    assert signed_up.status_code == 200, signed_up.text
    me = await gateway.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {signed_up.json()['access_token']}"}
    )
    assert me.json()["administrations"] == [
        {"id": "noord", "name": "Bakkerij Noord B.V.", "role": "administrator"}
    ]
    assert (await gateway.login("nora@noord.example", NEW_PASSWORD)).status_code == 200
    again = await accept(gateway, nora["invitation"]["token"], "another long password")
    assert again.status_code == 404
    assert again.json()["type"] == "urn:settle:problem:invalid-invitation"

    # A platform administrator sees every organisation; anyone else their own.
    every = await gateway.get("/api/v1/organisations", pat)
    assert [o["name"] for o in every.json()] == [
        "Bakkerij Noord",
        "Operations",
        "Org A",
        "Org B",
    ]
    own = await gateway.get("/api/v1/organisations", "sam@a.example")
    assert [(o["name"], o["users"]) for o in own.json()] == [("Org A", 4)]
    assert [a["id"] for a in own.json()[0]["administrations"]] == [ADM]


async def test_creating_an_organisation_is_refused_with_reasons(gateway: Gateway) -> None:
    pat = await platform_administrator(gateway)
    body = {
        "name": "Org A",
        "administration": {"id": "new-adm", "name": "New"},
        "administrator": {"email": "someone@new.example", "name": "Someone"},
    }
    not_platform = await gateway.post("/api/v1/organisations", json=body)
    assert not_platform.status_code == 403
    assert "platform administrator" in not_platform.json()["detail"]
    taken = await gateway.post("/api/v1/organisations", pat, json=body)
    assert taken.status_code == 409
    assert taken.json()["type"] == "urn:settle:problem:organisation-exists"
    elsewhere = await gateway.post(
        "/api/v1/organisations",
        pat,
        json={**body, "name": "Org C", "administrator": {"email": "bob@b.example", "name": "B"}},
    )
    assert elsewhere.status_code == 409 and "another organisation" in elsewhere.json()["detail"]
    adm_taken = await gateway.post(
        "/api/v1/organisations",
        pat,
        json={**body, "name": "Org C", "administration": {"id": ADM, "name": "X"}},
    )
    assert adm_taken.status_code == 409
    # Nothing of the refused ones was kept.
    names = [o["name"] for o in (await gateway.get("/api/v1/organisations", pat)).json()]
    assert "Org C" not in names
    bad_email = await gateway.post(
        "/api/v1/organisations",
        pat,
        json={**body, "name": "Org D", "administrator": {"email": "nobody", "name": "N"}},
    )
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"] == [
        {
            "location": "body",
            "field": "administrator.email",
            "pointer": "#/administrator/email",
            "detail": "administrator.email must be an email address such as name@example.com",
        }
    ]


async def test_an_organisation_is_renamed_by_its_administrators_or_the_platform(
    gateway: Gateway,
) -> None:
    pat = await platform_administrator(gateway)
    org_a = (await gateway.get("/api/v1/organisations")).json()[0]["id"]
    renamed = await gateway.put(f"/api/v1/organisations/{org_a}", json={"name": "Bakkerij A"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Bakkerij A"
    clerk = await gateway.put(f"/api/v1/organisations/{org_a}", "sam@a.example", json={"name": "S"})
    assert clerk.status_code == 403
    stranger = await gateway.put(
        f"/api/v1/organisations/{org_a}", "bob@b.example", json={"name": "B"}
    )
    assert stranger.status_code == 404
    by_platform = await gateway.put(f"/api/v1/organisations/{org_a}", pat, json={"name": "A again"})
    assert by_platform.status_code == 200
    taken = await gateway.put(f"/api/v1/organisations/{org_a}", json={"name": "Org B"})
    assert taken.status_code == 409


async def test_administrations_are_listed_with_the_callers_role(gateway: Gateway) -> None:
    listed = await gateway.get("/api/v1/administrations", "sam@a.example")
    assert [(a["id"], a["role"], a["organisation_name"]) for a in listed.json()] == [
        (ADM, "standard", "Org A")
    ]
    one = await gateway.get(API, "rita@a.example")
    assert one.status_code == 200 and one.json()["name"] == "A"
    assert (await gateway.get("/api/v1/administrations/adm-b")).status_code == 404


async def test_an_administrator_invites_a_person_who_then_signs_in(gateway: Gateway) -> None:
    invited = await gateway.post(
        f"{API}/users", json={"email": "nina@a.example", "name": "Nina", "role": "communication"}
    )
    assert invited.status_code == 201, invited.text
    first = invited.json()["invitation"]["token"]
    members = {m["email"]: m for m in (await gateway.get(f"{API}/users")).json()}
    assert (members["nina@a.example"]["state"], members["nina@a.example"]["role"]) == (
        "invited",
        "communication",
    )
    nina = members["nina@a.example"]["user_id"]
    # The invitation is lost: a new one, and the first no longer works.
    again = await gateway.post(f"{API}/users/{nina}/invitation")
    assert again.status_code == 201
    assert (await accept(gateway, first)).status_code == 404
    assert (await accept(gateway, again.json()["token"])).status_code == 200
    members = {m["email"]: m for m in (await gateway.get(f"{API}/users")).json()}
    assert members["nina@a.example"]["state"] == "active"
    # Someone who chose a password is not invited again: it is theirs.
    refused = await gateway.post(f"{API}/users/{nina}/invitation")
    assert refused.status_code == 409
    # A user of the organisation gets the role at once, without an invitation.
    rita = await gateway.post(
        f"{API}/users", json={"email": "rita@a.example", "name": "Rita", "role": "standard"}
    )
    assert rita.status_code == 201 and rita.json()["invitation"] is None
    assert rita.json()["role"] == "standard"
    # Another organisation's user: refused without saying whose they are.
    bob = await gateway.post(
        f"{API}/users", json={"email": "bob@b.example", "name": "Bob", "role": "standard"}
    )
    assert bob.status_code == 409
    assert "Org B" not in bob.text and "adm-b" not in bob.text
    clerk = await gateway.post(
        f"{API}/users",
        "sam@a.example",
        json={"email": "x@a.example", "name": "X", "role": "standard"},
    )
    assert clerk.status_code == 403


async def test_a_deactivated_user_is_signed_out_at_once_and_may_come_back(
    gateway: Gateway,
) -> None:
    signed_in = (await gateway.login("sam@a.example")).json()
    access = {"Authorization": f"Bearer {signed_in['access_token']}"}
    assert (await gateway.client.get(f"{API}/invoices", headers=access)).status_code == 200
    sam = (await gateway.client.get("/api/v1/me", headers=access)).json()["subject"]
    deactivated = await gateway.post(f"{API}/users/{sam}/deactivate")
    assert deactivated.status_code == 200, deactivated.text
    assert deactivated.json()["state"] == "deactivated"
    assert (await gateway.client.get(f"{API}/invoices", headers=access)).status_code == 401
    refreshed = await gateway.client.post(
        "/api/v1/auth/refresh",
        json={"refresh_token": signed_in["refresh_token"]},
        headers={"Authorization": ""},
    )
    assert refreshed.status_code == 401
    assert (await gateway.login("sam@a.example")).status_code == 401
    activated = await gateway.post(f"{API}/users/{sam}/activate")
    assert activated.json()["state"] == "active" and activated.json()["role"] == "standard"
    assert (await gateway.login("sam@a.example")).status_code == 200

    alice = (await gateway.get("/api/v1/me")).json()["subject"]
    myself = await gateway.post(f"{API}/users/{alice}/deactivate")
    assert myself.status_code == 409
    # Sam also administers an administration Alice has no role in: not hers to deactivate.
    async with transaction(gateway.harness.runtime.sessions) as session:
        org_a = (await gateway.get("/api/v1/organisations")).json()[0]["id"]
        from settle_shared.clock import FixedClock
        from settle_shared.outbox import Outbox

        outbox = Outbox(metadata, source="/settle/gateway", clock=FixedClock(NOW))
        await ensure_administration(session, outbox, org_a, "adm-c", "C", NOW)
        await grant(session, sam, "adm-c", Role.ADMINISTRATOR)
    elsewhere = await gateway.post(f"{API}/users/{sam}/deactivate")
    assert elsewhere.status_code == 409
    assert "administration(s) you do not administer" in elsewhere.json()["detail"]


async def test_api_tokens_are_listed_and_revoked(gateway: Gateway) -> None:
    created = await gateway.post(f"{API}/api-tokens", json={"name": "reporting"})
    assert created.status_code == 201, created.text
    token = created.json()
    assert token["token"].startswith("stl_") and token["hint"] == token["token"][-4:]
    assert token["created_by"] == "alice@a.example" and token["revoked_at"] is None
    machine = {"Authorization": f"Bearer {token['token']}"}
    assert (await gateway.client.get(f"{API}/invoices", headers=machine)).status_code == 200
    listed = await gateway.get(f"{API}/api-tokens")
    assert [(t["id"], t["name"], t["hint"]) for t in listed.json()] == [
        (token["id"], "reporting", token["hint"])
    ]
    assert "token" not in listed.json()[0]
    revoked = await gateway.delete(f"{API}/api-tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert (await gateway.client.get(f"{API}/invoices", headers=machine)).status_code == 401
    again = await gateway.delete(f"{API}/api-tokens/{token['id']}")
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert (await gateway.delete(f"{API}/api-tokens/tok_nope")).status_code == 404
    assert (await gateway.get(f"{API}/api-tokens", "sam@a.example")).status_code == 403
    other = await gateway.delete(
        f"/api/v1/administrations/adm-b/api-tokens/{token['id']}", "bob@b.example"
    )
    assert other.status_code == 404  # another administration's token is not found there
