"""Authentication and authorisation of the UI API."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from settle_gateway.adapters.tables import login_failures
from settle_gateway.app import SERVICE
from settle_gateway.auth.security import LoginLimiter
from settle_gateway.settings import GatewaySettings
from settle_shared.settings import SettingsError, load_settings
from settle_shared.testing.service import running_service

from .conftest import ADM, JWT_SECRET, OTHER, PASSWORD, Gateway, add_users

pytestmark = pytest.mark.service

NO_AUTH = {"Authorization": ""}


async def test_login_issues_tokens_that_open_the_api(gateway: Gateway) -> None:
    response = await gateway.login("alice@a.example")
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 15 * 60
    me = await gateway.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["administrations"] == [{"id": ADM, "name": "A", "role": "administrator"}]


async def test_a_wrong_password_or_unknown_email_is_refused_alike(gateway: Gateway) -> None:
    wrong = await gateway.login("alice@a.example", "wrong")
    unknown = await gateway.login("nobody@a.example", "wrong")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_every_api_endpoint_but_login_and_refresh_requires_authentication(
    gateway: Gateway,
) -> None:
    open_paths = {"/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/invitation"}
    schema = (await gateway.client.get("/openapi.json")).json()
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1") or path in open_paths:
            continue
        concrete = path.replace("{administration_id}", ADM)
        concrete = concrete.replace("{", "").replace("}", "")
        for method in operations:
            response = await gateway.client.request(method.upper(), concrete, headers=NO_AUTH)
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            checked += 1
    assert checked > 20
    assert (await gateway.client.get("/health/live", headers=NO_AUTH)).status_code == 200


async def test_every_route_of_an_administration_refuses_another_administrations_caller(
    gateway: Gateway,
) -> None:
    """Bob administers adm-b only: every route under adm-a answers him 404, as if adm-a did
    not exist, whatever the route and before anything it would read or change."""
    schema = (await gateway.client.get("/openapi.json")).json()
    headers = await gateway.auth("bob@b.example")
    checked = 0
    for path, operations in schema["paths"].items():
        if "{administration_id}" not in path:
            continue
        concrete = path.replace("{administration_id}", ADM)
        concrete = concrete.replace("{", "").replace("}", "")
        for method in operations:
            response = await gateway.client.request(method.upper(), concrete, headers=headers)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["type"] == "urn:settle:problem:not-found"
            checked += 1
    assert checked > 30


async def test_the_service_token_is_not_a_user_token(gateway: Gateway) -> None:
    # The harness client sends the service token by default.
    assert (await gateway.client.get("/api/v1/me")).status_code == 401


def _token(claims: dict[str, Any], key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    base = {
        "sub": "usr_x",
        "sid": "fam_x",
        "iss": "settle-gateway",
        "aud": "settle-ui",
        "iat": int(time.time()),
        "exp": int(time.time()) + 600,
        "typ": "access",
    }
    return jwt.encode({**base, **claims}, key, algorithm=algorithm)


async def test_forged_expired_and_unsigned_tokens_are_refused(gateway: Gateway) -> None:
    good = (await gateway.login("alice@a.example")).json()["access_token"]
    user_id = jwt.decode(good, options={"verify_signature": False})["sub"]
    assert (
        await gateway.client.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"})
    ).status_code == 200
    header, payload, _ = good.split(".")
    unsigned_header = jwt.utils.base64url_encode(
        json.dumps({"alg": "none", "typ": "JWT"}).encode()
    ).decode()
    refused = {
        "wrong signature": _token({"sub": user_id}, key="another-secret-of-thirty-two-bytes!!"),
        "wrong audience": _token({"sub": user_id, "aud": "somebody-else"}),
        "wrong issuer": _token({"sub": user_id, "iss": "somebody-else"}),
        "expired": _token({"sub": user_id, "exp": int(time.time()) - 5}),
        "alg none": f"{unsigned_header}.{payload}.",
        "tampered": f"{header}.{payload[:-2]}xx.{good.split('.')[2]}",
        "a refresh token as access": _token({"sub": user_id, "typ": "refresh"}),
        "garbage": "not-a-jwt",
    }
    for why, token in refused.items():
        response = await gateway.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, why


async def test_refresh_tokens_rotate_and_a_reused_one_ends_the_login(gateway: Gateway) -> None:
    login = (await gateway.login("alice@a.example")).json()
    first, first_access = login["refresh_token"], login["access_token"]
    other_login = (await gateway.login("alice@a.example")).json()["access_token"]
    # Seen once: the replica keeps its principal for a while.
    used = await gateway.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {first_access}"}
    )
    assert used.status_code == 200
    second = await gateway.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first}, headers=NO_AUTH
    )
    assert second.status_code == 200
    next_refresh = second.json()["refresh_token"]
    assert next_refresh != first
    reused = await gateway.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first}, headers=NO_AUTH
    )
    assert reused.status_code == 401
    # Reuse means theft: the rotated token of that login stops working too.
    after = await gateway.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": next_refresh}, headers=NO_AUTH
    )
    assert after.status_code == 401
    # And so do the access tokens of that login, the new one and the first; another login of
    # the same user goes on.
    for access, status in (
        (second.json()["access_token"], 401),
        (first_access, 401),
        (other_login, 200),
    ):
        me = await gateway.client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == status


async def test_logins_are_rate_limited_per_account_and_address(gateway: Gateway) -> None:
    for _ in range(5):
        assert (await gateway.login("sam@a.example", "wrong")).status_code == 401
    limited = await gateway.login("sam@a.example", PASSWORD)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    # Another account from the same address is not locked out.
    assert (await gateway.login("cora@a.example")).status_code == 200


async def test_the_limit_holds_whatever_address_the_failures_come_from(gateway: Gateway) -> None:
    limiter = LoginLimiter(
        gateway.harness.runtime.sessions, per_account=5, per_address=8, window_s=900
    )
    # One account guessed from a new address each time: the account's count stops it.
    for n in range(5):
        await limiter.failed("sam@a.example", f"10.1.0.{n}")
    assert await limiter.retry_after("sam@a.example", "10.1.0.99") is not None
    # One address trying many accounts: the address's count stops it.
    for n in range(8):
        await limiter.failed(f"user{n}@a.example", "10.2.0.1")
    assert await limiter.retry_after("new@a.example", "10.2.0.1") is not None
    assert await limiter.retry_after("new@a.example", "10.2.0.2") is None


async def test_every_replica_counts_the_same_failed_logins(gateway: Gateway) -> None:
    for _ in range(3):
        assert (await gateway.login("sam@a.example", "wrong")).status_code == 401
    sessions = gateway.harness.runtime.sessions
    async with sessions() as session:
        address = await session.scalar(sa.select(login_failures.c.address).limit(1))
    other_replica = LoginLimiter(sessions, per_account=5, per_address=20, window_s=900)
    assert await other_replica.retry_after("SAM@a.example", address) is None
    for _ in range(2):
        await other_replica.failed("sam@a.example", address)
    assert (await gateway.login("sam@a.example", PASSWORD)).status_code == 429
    # Counted per account: another address claimed by the client gains nothing.
    assert await other_replica.retry_after("sam@a.example", "10.9.9.9") is not None


async def test_failed_logins_expire_with_their_window(gateway: Gateway) -> None:
    limiter = LoginLimiter(
        gateway.harness.runtime.sessions, per_account=2, per_address=20, window_s=1
    )
    for _ in range(2):
        await limiter.failed("eve@a.example", "10.0.0.9")
    assert await limiter.retry_after("eve@a.example", "10.0.0.9") == 1
    await asyncio.sleep(1.1)
    assert await limiter.retry_after("eve@a.example", "10.0.0.9") is None
    await limiter.failed("eve@a.example", "10.0.0.9")  # and the expired rows are gone
    async with gateway.harness.runtime.sessions() as session:
        left = await session.scalar(sa.select(sa.func.count()).select_from(login_failures))
    assert left == 1


async def test_a_user_never_sees_another_organisations_data(gateway: Gateway) -> None:
    await gateway.debtor("deb-b", adm=OTHER)
    await gateway.invoice("inv-b", debtor_id="deb-b", adm=OTHER)
    base = f"/api/v1/administrations/{OTHER}"
    for path in (
        "/dashboard",
        "/invoices",
        "/invoices/inv-b",
        "/debtors",
        "/debtors/deb-b",
        "/inbox",
        "/imports",
    ):
        response = await gateway.get(base + path, "alice@a.example")
        assert response.status_code == 404, path
        assert "inv-b" not in response.text and "deb-b" not in response.text
    # Asking for B's invoice inside A's administration does not find it either.
    inside = await gateway.get(f"/api/v1/administrations/{ADM}/invoices/inv-b")
    assert inside.status_code == 404
    assert (await gateway.get(base + "/invoices/inv-b", "bob@b.example")).status_code == 200


@pytest.mark.parametrize(
    ("email", "path", "body", "allowed"),
    [
        ("rita@a.example", "/pause", {"mode": "fully_paused"}, False),
        ("cora@a.example", "/pause", {"mode": "fully_paused"}, False),
        ("sam@a.example", "/pause", {"mode": "fully_paused"}, False),
        ("rita@a.example", "/invoices/inv-1/pause", None, False),
        ("cora@a.example", "/invoices/inv-1/pause", None, False),
        ("cora@a.example", "/debtors/deb-1/pause", {"mode": "fully_paused"}, False),
        ("rita@a.example", "/messages", {"debtor_id": "deb-1", "subject": "s", "body": "b"}, False),
        ("cora@a.example", "/messages/m-1/read", None, True),
        ("rita@a.example", "/messages/m-1/read", None, False),
        ("rita@a.example", "/api-tokens", {"name": "ci"}, False),
        ("sam@a.example", "/api-tokens", {"name": "ci"}, False),
    ],
)
async def test_roles_limit_the_commands(
    gateway: Gateway, email: str, path: str, body: Any, allowed: bool
) -> None:
    response = await gateway.post(f"/api/v1/administrations/{ADM}{path}", email, json=body)
    if allowed:
        assert response.status_code != 403  # here: 404, the message does not exist
    else:
        assert response.status_code == 403, response.text


async def test_api_tokens_act_in_their_administration_only(gateway: Gateway) -> None:
    created = await gateway.post(
        f"/api/v1/administrations/{ADM}/api-tokens", json={"name": "reporting"}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = await gateway.client.get("/api/v1/me", headers=headers)
    assert me.json()["kind"] == "api_token"
    dash = await gateway.client.get(f"/api/v1/administrations/{ADM}/dashboard", headers=headers)
    assert dash.status_code == 200
    paused = await gateway.client.post(
        f"/api/v1/administrations/{ADM}/pause", json={"mode": "fully_paused"}, headers=headers
    )
    assert paused.status_code == 403  # restricted by default
    other = await gateway.client.get(f"/api/v1/administrations/{OTHER}/dashboard", headers=headers)
    assert other.status_code == 404
    wrong = await gateway.client.get("/api/v1/me", headers={"Authorization": "Bearer stl_nope"})
    assert wrong.status_code == 401


async def test_no_password_or_token_reaches_the_log(
    gateway: Gateway, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = (await gateway.login("alice@a.example")).json()
    await gateway.login("alice@a.example", "my-wrong-password")
    await gateway.client.get("/api/v1/me", headers={"Authorization": "Bearer forged.token.x"})
    await gateway.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    out = capsys.readouterr()
    logged = out.out + out.err + caplog.text
    for secret in (PASSWORD, "my-wrong-password", tokens["access_token"], tokens["refresh_token"]):
        assert secret not in logged
    assert JWT_SECRET not in logged


async def test_cors_answers_configured_origins_only(sqlite_database: str) -> None:
    async with running_service(
        SERVICE, sqlite_database, cors_origins=["https://app.settle.example"]
    ) as harness:
        preflight = {"Access-Control-Request-Method": "GET"}
        allowed = await harness.client.options(
            "/api/v1/me", headers={"Origin": "https://app.settle.example", **preflight}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://app.settle.example"
        other = await harness.client.options(
            "/api/v1/me", headers={"Origin": "https://evil.example", **preflight}
        )
        assert "access-control-allow-origin" not in other.headers


def test_production_refuses_the_placeholder_jwt_secret() -> None:
    with pytest.raises(SettingsError, match="jwt_secret"):
        load_settings(GatewaySettings, environment="production", service_token="x" * 40)
    with pytest.raises(SettingsError, match="portal_link_secret"):
        load_settings(
            GatewaySettings, environment="production", service_token="x" * 40, jwt_secret="y" * 40
        )
    real = {"service_token": "x" * 40, "jwt_secret": "y" * 40, "portal_link_secret": "p" * 40}
    settings = load_settings(GatewaySettings, environment="production", **real)
    assert settings.jwt_secret.get_secret_value() == "y" * 40
    with pytest.raises(SettingsError, match="seed_demo"):
        load_settings(GatewaySettings, environment="production", seed_demo=True, **real)


# --- an external OpenID Connect provider ------------------------------------------------------


@pytest.fixture
def oidc_provider() -> Iterator[tuple[Any, str]]:
    """A locally generated RSA key and its JWKS served by a real HTTP server on a free port."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield key, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_tokens_of_the_openid_connect_provider_are_accepted(
    sqlite_database: str, oidc_provider: tuple[Any, str]
) -> None:
    key, jwks_url = oidc_provider
    issuer, audience = "https://id.example", "settle"
    async with running_service(
        SERVICE,
        sqlite_database,
        jwt_secret=JWT_SECRET,
        oidc_issuer=issuer,
        oidc_audience=audience,
        oidc_jwks_url=jwks_url,
    ) as harness:
        await add_users(harness)

        def token(**claims: Any) -> dict[str, str]:
            base = {
                "iss": issuer,
                "aud": audience,
                "sub": "ext-1",
                "email": "sam@a.example",
                "exp": int(time.time()) + 300,
            }
            signed = jwt.encode({**base, **claims}, key, algorithm="RS256", headers={"kid": "k1"})
            return {"Authorization": f"Bearer {signed}"}

        me = await harness.client.get("/api/v1/me", headers=token())
        assert me.status_code == 200, me.text
        assert me.json()["kind"] == "oidc"
        assert me.json()["administrations"][0]["role"] == "standard"
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(
            {"iss": issuer, "aud": audience, "email": "sam@a.example", "exp": time.time() + 60},
            stranger,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        for headers in (
            token(aud="another-app"),
            token(iss="https://evil.example"),
            token(exp=int(time.time()) - 10),
            token(email="nobody@a.example"),
            {"Authorization": f"Bearer {forged}"},
        ):
            assert (await harness.client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_administrators_manage_the_roles_of_their_organisations_users(
    gateway: Gateway,
) -> None:
    listed = await gateway.get(f"/api/v1/administrations/{ADM}/users")
    assert listed.status_code == 200
    by_email = {m["email"]: m for m in listed.json()}
    assert by_email["rita@a.example"]["role"] == "restricted" and "bob@b.example" not in by_email
    rita = by_email["rita@a.example"]["user_id"]
    promoted = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{rita}",
        json={"role": "standard"},
        headers=await gateway.auth(),
    )
    assert promoted.status_code == 200 and promoted.json()["role"] == "standard"
    # A role change applies at once on this replica (it clears its principal cache).
    assert (await gateway.get("/api/v1/me", "rita@a.example")).json()["administrations"][0][
        "role"
    ] == "standard"
    bob_token = await gateway.auth("bob@b.example")
    bob = (await gateway.client.get("/api/v1/me", headers=bob_token)).json()["subject"]
    stranger = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{bob}",
        json={"role": "administrator"},
        headers=await gateway.auth(),
    )
    assert stranger.status_code == 404
    assert (
        await gateway.get(f"/api/v1/administrations/{ADM}/users", "sam@a.example")
    ).status_code == 403
    removed = await gateway.client.delete(
        f"/api/v1/administrations/{ADM}/users/{rita}", headers=await gateway.auth()
    )
    assert removed.status_code == 204
    assert (
        await gateway.get(f"/api/v1/administrations/{ADM}/dashboard", "rita@a.example")
    ).status_code == 404


async def test_the_last_administrator_cannot_demote_themselves(gateway: Gateway) -> None:
    alice = (await gateway.get("/api/v1/me")).json()["subject"]
    demoted = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{alice}",
        json={"role": "standard"},
        headers=await gateway.auth(),
    )
    assert demoted.status_code == 409
    assert "at least one administrator" in demoted.json()["detail"]
    assert (await gateway.get("/api/v1/me")).json()["administrations"][0]["role"] == (
        "administrator"
    )

    # With a second administrator, one of them may step down; then the other is the last.
    members = (await gateway.get(f"/api/v1/administrations/{ADM}/users")).json()
    rita = next(m["user_id"] for m in members if m["email"] == "rita@a.example")
    promoted = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{rita}",
        json={"role": "administrator"},
        headers=await gateway.auth(),
    )
    assert promoted.status_code == 200
    stepped_down = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{alice}",
        json={"role": "standard"},
        headers=await gateway.auth(),
    )
    assert stepped_down.status_code == 200
    refused = await gateway.client.put(
        f"/api/v1/administrations/{ADM}/users/{rita}",
        json={"role": "restricted"},
        headers=await gateway.auth("rita@a.example"),
    )
    assert refused.status_code == 409
