"""Authentication of every /api/v1 request and the checks of what the caller may do.

Three kinds of bearer token are accepted: the gateway's own access tokens (HS256), tokens of an
external OpenID Connect provider (verified against its JWKS), and API tokens of machine clients
(`stl_…`, looked up by hash)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_gateway.adapters.tables import login_failures
from settle_gateway.auth.service import (
    decode_access_token,
    principal_for_api_token,
    principal_for_email,
    principal_for_user,
    session_ended,
)
from settle_gateway.domain.access import ALLOWED, Action, Principal, Role
from settle_gateway.settings import GatewaySettings
from settle_shared.db import aware, transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)

UNAUTHENTICATED = HTTPException(
    status_code=401, detail="authentication required", headers={"WWW-Authenticate": "Bearer"}
)
OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]


class LoginLimiter:
    """Failed logins in a sliding window, per account (from any address: rotating a claimed
    address gains nothing) and per client address (for any account: one client trying many
    accounts), counted in the gateway's database so that every replica and worker sees the
    same count. Each failure is a row; rows older than the window are deleted as new failures
    come in. Wall-clock time, not the business clock, which may jump in demos."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        per_account: int,
        per_address: int,
        window_s: float,
    ) -> None:
        self._sessions = sessions
        self._per_account = per_account
        self._per_address = per_address
        self._window = timedelta(seconds=window_s)

    async def retry_after(self, account: str, address: str) -> int | None:
        """Seconds to wait when a limit is reached, else None."""
        now = datetime.now(UTC)
        limits = (
            (login_failures.c.account == account.strip().lower(), self._per_account),
            (login_failures.c.address == address, self._per_address),
        )
        waits = []
        async with self._sessions() as session:
            for key, limit in limits:
                recent = await session.scalars(
                    sa.select(login_failures.c.failed_at)
                    .where(key, login_failures.c.failed_at > now - self._window)
                    .order_by(login_failures.c.failed_at.desc())
                    .limit(limit)
                )
                stamps = [stamp for stamp in map(aware, recent) if stamp is not None]
                if len(stamps) >= limit:
                    # The oldest of the last `limit` failures leaving the window lifts it.
                    waits.append(int((min(stamps) + self._window - now).total_seconds()) + 1)
        return max(1, *waits) if waits else None

    async def failed(self, account: str, address: str) -> None:
        now = datetime.now(UTC)
        async with transaction(self._sessions) as session:
            await session.execute(
                sa.insert(login_failures).values(
                    account=account.strip().lower(), address=address, failed_at=now
                )
            )
            # Expired rows of every account go, so the table cannot grow without bound.
            await session.execute(
                sa.delete(login_failures).where(login_failures.c.failed_at <= now - self._window)
            )

    async def succeeded(self, account: str, address: str) -> None:
        async with transaction(self._sessions) as session:
            await session.execute(
                sa.delete(login_failures).where(
                    login_failures.c.account == account.strip().lower(),
                    login_failures.c.address == address,
                )
            )


class OidcVerifier:
    """Tokens of an external OpenID Connect provider: signature by a key of its JWKS, issuer,
    audience and expiry. PyJWKClient caches the keys and refetches on an unknown key id."""

    def __init__(self, settings: GatewaySettings) -> None:
        assert settings.oidc_jwks_url and settings.oidc_issuer and settings.oidc_audience
        self._issuer = settings.oidc_issuer
        self._audience = settings.oidc_audience
        self._jwks = jwt.PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=3600)

    async def claims(self, token: str) -> dict[str, Any]:
        # PyJWKClient fetches with urllib (blocking): keep it off the event loop.
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=OIDC_ALGORITHMS,
            audience=self._audience,
            issuer=self._issuer,
            options={"require": ["exp", "iss", "aud"]},
        )
        return claims


class PrincipalCache:
    """Principals of recently verified bearer tokens, for a few seconds.

    Verifying a token and reading the caller's memberships on every request cost more than
    most read-model queries. A token verified once is trusted for `ttl_s` (never past its own
    expiry); a change of role, a deactivated user or a revoked API token therefore applies
    within that time on other replicas, and at once on this one (the routes that change roles
    clear the cache). Only successful verifications are kept, under a hash of the token, so
    a refused token is checked in full every time."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> Principal | None:
        if self._ttl <= 0:
            return None
        key = self._key(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        return entry[1]

    def put(self, token: str, principal: Principal, expires_at: float | None = None) -> None:
        """Keep the principal of a verified token; `expires_at` is the token's own expiry
        (epoch seconds), which the entry never outlives."""
        if self._ttl <= 0:
            return
        until = time.monotonic() + self._ttl
        if expires_at is not None:
            until = min(until, time.monotonic() + (expires_at - time.time()))
        self._entries[self._key(token)] = (until, principal)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)  # the oldest entry

    def clear(self) -> None:
        self._entries.clear()


# Declares the scheme in the OpenAPI document (an "Authorize" button in /docs); the checks are
# ours, so it never answers by itself.
BEARER = HTTPBearer(auto_error=False, description="an access, OpenID Connect or API token")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
) -> Principal:
    """The caller of the request, or 401. Used by every /api/v1 route but login and refresh."""
    if credentials is None or not credentials.credentials.strip():
        raise UNAUTHENTICATED
    token = credentials.credentials.strip()
    state = request.app.state
    cache: PrincipalCache = state.gateway.principals
    principal = cache.get(token)
    if principal is not None:
        return principal
    settings: GatewaySettings = state.runtime.settings
    sessions: async_sessionmaker[AsyncSession] = state.runtime.sessions
    expires_at: float | None = None
    async with sessions() as session:
        if token.startswith("stl_"):
            principal = await principal_for_api_token(session, token)
        else:
            try:
                header = jwt.get_unverified_header(token)
            except jwt.InvalidTokenError:
                raise UNAUTHENTICATED from None
            verifier: OidcVerifier | None = state.gateway.oidc
            try:
                if header.get("alg") == "HS256":
                    claims = decode_access_token(settings, token)
                    expires_at = float(claims["exp"])
                    if await session_ended(session, claims["sid"]):
                        raise UNAUTHENTICATED
                    principal = await principal_for_user(session, claims["sub"], "password")
                elif verifier is not None:
                    claims = await verifier.claims(token)
                    expires_at = float(claims["exp"])
                    email = claims.get(settings.oidc_email_claim)
                    if isinstance(email, str):
                        principal = await principal_for_email(session, email, "oidc")
            except (jwt.InvalidTokenError, jwt.PyJWKClientError) as exc:
                # The reason helps an operator; the token itself is never logged.
                log.info("bearer token refused", reason=type(exc).__name__)
                raise UNAUTHENTICATED from None
    if principal is None:
        raise UNAUTHENTICATED
    cache.put(token, principal, expires_at)
    return principal


# What a route taking the caller may answer because of it (errors.py documents it).
authenticate.refusals = {401: "no token, or one that is not valid"}  # type: ignore[attr-defined]

CurrentPrincipal = Annotated[Principal, Depends(authenticate)]


def authorize(principal: Principal, administration_id: str, action: Action) -> Role:
    """The caller's role in the administration when it may do `action` there. An
    administration it may not see answers 404 (AdministrationNotVisible), exactly like one
    that does not exist, so nobody learns which administrations exist; a role too weak
    answers 403 (ActionNotAllowed)."""
    return principal.role_for(administration_id, action)


def require(action: Action) -> Callable[[str, Principal], Awaitable[Principal]]:
    """A dependency: the caller, when it may do `action` in the administration of the path."""

    async def allowed(administration_id: str, principal: CurrentPrincipal) -> Principal:
        authorize(principal, administration_id, action)
        return principal

    refusals = {404: "unknown, or not visible to the caller"}
    if ALLOWED[action] != frozenset(Role):
        refusals[403] = "the caller's role may not do this"
    allowed.refusals = refusals  # type: ignore[attr-defined]
    return allowed


# The caller of a route under /administrations/{administration_id}, allowed to:
Reader = Annotated[Principal, Depends(require(Action.READ))]  # read the administration
Messenger = Annotated[Principal, Depends(require(Action.MESSAGE))]  # write to its debtors
Worker = Annotated[Principal, Depends(require(Action.WORK))]  # pause, step control, imports
Administrator = Annotated[Principal, Depends(require(Action.SETTINGS))]  # settings, users
