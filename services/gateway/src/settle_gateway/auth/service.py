"""Who is who: organisations, administrations, users and their roles, passwords and tokens.

Passwords are argon2 hashes; refresh and API tokens are random strings stored only as SHA-256
hashes (they are long and random, so a slow hash adds nothing), so a copy of the database lets
nobody sign in."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import (
    administrations,
    api_tokens,
    memberships,
    organisations,
    refresh_tokens,
    users,
)
from settle_gateway.administrations.service import create_administration
from settle_gateway.auth.models import TokensOut
from settle_gateway.domain.access import Principal, Role
from settle_gateway.domain.errors import InvalidAdministration
from settle_gateway.settings import GatewaySettings
from settle_shared.clock import SystemClock
from settle_shared.outbox import Outbox


class IdentityError(Exception):
    """A refusal of the identity use cases (unknown user, duplicate email, bad token)."""


class RefreshTokenReused(IdentityError):
    """A spent refresh token came back: it was stolen, and its login's sessions are ended."""


_hasher = PasswordHasher()
# Verified against when the email is unknown, so a wrong email costs as long as a wrong
# password and timing does not tell which accounts exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of the password (salted, with the library's current parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash (always spends one argon2 verification)."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """How refresh and API tokens are stored (and looked up)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_id(prefix: str) -> str:
    """A new id of an identity row: `prefix_` and 20 random hex digits."""
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


async def user_for_login(session: AsyncSession, email: str) -> Any:
    """(id, password_hash) of the active user signing in with `email`, or None."""
    return (
        await session.execute(
            sa.select(users.c.id, users.c.password_hash).where(
                users.c.email == email.strip().lower(), users.c.active
            )
        )
    ).first()


async def administrations_of(session: AsyncSession, principal: Principal) -> list[Any]:
    """(id, name) of the administrations the caller may see, by name."""
    rows = await session.execute(
        sa.select(administrations.c.id, administrations.c.name)
        .where(administrations.c.id.in_(list(principal.roles)))
        .order_by(administrations.c.name)
    )
    return list(rows)


async def principal_for_user(session: AsyncSession, user_id: str, kind: str) -> Principal | None:
    """The user with its memberships, or None when unknown or deactivated."""
    user = (
        await session.execute(sa.select(users).where(users.c.id == user_id, users.c.active))
    ).first()
    if user is None:
        return None
    rows = await session.execute(
        sa.select(memberships.c.administration_id, memberships.c.role).where(
            memberships.c.user_id == user_id
        )
    )
    roles = {row.administration_id: Role(row.role) for row in rows}
    return Principal(subject=user.id, kind=kind, name=user.name, roles=roles)


async def principal_for_email(session: AsyncSession, email: str, kind: str) -> Principal | None:
    user_id = await session.scalar(sa.select(users.c.id).where(users.c.email == email.lower()))
    return None if user_id is None else await principal_for_user(session, user_id, kind)


async def principal_for_api_token(session: AsyncSession, token: str) -> Principal | None:
    row = (
        await session.execute(
            sa.select(api_tokens).where(
                api_tokens.c.token_hash == token_hash(token), api_tokens.c.revoked_at.is_(None)
            )
        )
    ).first()
    if row is None:
        return None
    return Principal(
        subject=row.id,
        kind="api_token",
        name=row.name,
        roles={row.administration_id: Role(row.role)},
    )


# --- tokens --------------------------------------------------------------------------------

_WALL = SystemClock()


def token_time() -> datetime:
    """The time token lifetimes are measured in: real time, never the business clock, which
    demos shift by months (every token would be born expired, or live for ever)."""
    return _WALL.now()


ACCESS_ALGORITHM = "HS256"


def issue_access_token(
    settings: GatewaySettings, user_id: str, now: datetime, session_id: str
) -> str:
    """A short-lived JWT naming the user and the login session (the refresh tokens' family) it
    belongs to. Roles are not in it: they are looked up when the token is first seen and then
    kept for `principal_cache_s`, so revoking a membership, or ending the session, takes effect
    within seconds, not at the token's expiry."""
    claims = {
        "sub": user_id,
        "sid": session_id,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "typ": "access",
    }
    return jwt.encode(claims, settings.jwt_secret.get_secret_value(), ACCESS_ALGORITHM)


def decode_access_token(settings: GatewaySettings, token: str) -> dict[str, Any]:
    """The claims of one of our access tokens; raises jwt.InvalidTokenError otherwise. Only
    HS256 is accepted, so `alg: none` and algorithm confusion are refused."""
    claims: dict[str, Any] = jwt.decode(
        token,
        settings.jwt_secret.get_secret_value(),
        algorithms=[ACCESS_ALGORITHM],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        options={"require": ["exp", "iat", "sub", "sid", "aud", "iss"], "verify_iat": False},
        leeway=0,
    )
    # PyJWT checks exp against the system time, as token_time() does.
    if claims.get("typ") != "access":
        raise jwt.InvalidTokenError("not an access token")
    return claims


async def issue_refresh_token(
    session: AsyncSession,
    settings: GatewaySettings,
    user_id: str,
    now: datetime,
    family_id: str,
) -> str:
    token = secrets.token_urlsafe(32)
    await session.execute(
        sa.insert(refresh_tokens).values(
            id=new_id("rt"),
            user_id=user_id,
            family_id=family_id,
            token_hash=token_hash(token),
            expires_at=now + timedelta(days=settings.refresh_token_days),
        )
    )
    return token


async def rotate_refresh_token(
    session: AsyncSession, settings: GatewaySettings, token: str, now: datetime
) -> tuple[str, str, str]:
    """Spend a refresh token: returns (user id, the next refresh token, its session id). A
    token used a second time means it was stolen: the whole family is revoked."""
    row = (
        await session.execute(
            sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash(token))
        )
    ).first()
    if row is None or row.revoked_at is not None:
        raise IdentityError("invalid refresh token")
    if row.used_at is not None:
        await session.execute(
            sa.update(refresh_tokens)
            .where(refresh_tokens.c.family_id == row.family_id)
            .values(revoked_at=now)
        )
        raise RefreshTokenReused("refresh token reused: every session of this login is ended")
    expires_at = (
        row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    )
    if expires_at <= now:
        raise IdentityError("refresh token expired")
    await session.execute(
        sa.update(refresh_tokens).where(refresh_tokens.c.id == row.id).values(used_at=now)
    )
    following = await issue_refresh_token(session, settings, row.user_id, now, row.family_id)
    return row.user_id, following, row.family_id


async def session_ended(session: AsyncSession, session_id: str) -> bool:
    """Whether a login session was ended (its refresh tokens revoked after a reuse)."""
    revoked = await session.scalar(
        sa.select(refresh_tokens.c.id)
        .where(refresh_tokens.c.family_id == session_id, refresh_tokens.c.revoked_at.is_not(None))
        .limit(1)
    )
    return revoked is not None


# --- administration of identity ---------------------------------------------------------------


async def ensure_organisation(session: AsyncSession, name: str, now: datetime) -> str:
    existing = await session.scalar(
        sa.select(organisations.c.id).where(organisations.c.name == name)
    )
    if existing is not None:
        return str(existing)
    org_id = new_id("org")
    await session.execute(sa.insert(organisations).values(id=org_id, name=name, created_at=now))
    return org_id


async def ensure_administration(
    session: AsyncSession,
    outbox: Outbox,
    organisation_id: str,
    administration_id: str,
    name: str,
    now: datetime,
) -> bool:
    """The organisation's administration, created and announced when missing; True when it
    was created. IdentityError when another organisation has it."""
    owner = await session.scalar(
        sa.select(administrations.c.organisation_id).where(
            administrations.c.id == administration_id
        )
    )
    if owner is None:
        try:
            await create_administration(
                session,
                outbox,
                organisation_id=organisation_id,
                administration_id=administration_id,
                name=name,
                now=now,
            )
        except InvalidAdministration as exc:
            raise IdentityError(str(exc)) from None
        return True
    if owner != organisation_id:
        raise IdentityError(f"administration {administration_id} belongs to another organisation")
    return False


async def create_user(
    session: AsyncSession,
    *,
    organisation_id: str,
    email: str,
    name: str,
    password: str | None,
    now: datetime,
) -> str:
    email = email.strip().lower()
    if await session.scalar(sa.select(users.c.id).where(users.c.email == email)):
        raise IdentityError(f"a user with email {email} exists already")
    user_id = new_id("usr")
    await session.execute(
        sa.insert(users).values(
            id=user_id,
            organisation_id=organisation_id,
            email=email,
            name=name,
            password_hash=hash_password(password) if password else None,
            active=True,
            created_at=now,
        )
    )
    return user_id


async def grant(session: AsyncSession, user_id: str, administration_id: str, role: Role) -> None:
    """Give the user `role` in the administration (replacing any role it had there)."""
    user_org = await session.scalar(sa.select(users.c.organisation_id).where(users.c.id == user_id))
    administration_org = await session.scalar(
        sa.select(administrations.c.organisation_id).where(
            administrations.c.id == administration_id
        )
    )
    if administration_org is None:
        raise IdentityError(f"unknown administration {administration_id}")
    if user_org != administration_org:
        # A user never sees another organisation's data.
        raise IdentityError("the user and the administration belong to different organisations")
    await session.execute(
        sa.delete(memberships).where(
            memberships.c.user_id == user_id, memberships.c.administration_id == administration_id
        )
    )
    await session.execute(
        sa.insert(memberships).values(
            user_id=user_id, administration_id=administration_id, role=role.value
        )
    )


async def create_api_token(
    session: AsyncSession, *, name: str, administration_id: str, role: Role, now: datetime
) -> str:
    """A token for a machine client in one administration; shown once, stored hashed."""
    token = f"stl_{secrets.token_urlsafe(32)}"
    await session.execute(
        sa.insert(api_tokens).values(
            id=new_id("tok"),
            name=name,
            token_hash=token_hash(token),
            administration_id=administration_id,
            role=role.value,
            created_at=now,
        )
    )
    return token


DEMO_ADMINISTRATION = "demo"


async def seed_demo(session: AsyncSession, outbox: Outbox, email: str, now: datetime) -> str | None:
    """The demo organisation, administration "demo" (announced to the other services) and
    user; returns the new password, or None when the demo user exists already (its password
    is not known any more)."""
    org_id = await ensure_organisation(session, "Demo organisation", now)
    await ensure_administration(
        session, outbox, org_id, DEMO_ADMINISTRATION, "Demo administration", now
    )
    if await session.scalar(sa.select(users.c.id).where(users.c.email == email.lower())):
        return None
    password = secrets.token_urlsafe(12)
    user_id = await create_user(
        session, organisation_id=org_id, email=email, name="Demo user", password=password, now=now
    )
    await grant(session, user_id, DEMO_ADMINISTRATION, Role.ADMINISTRATOR)
    return password


async def new_tokens(session: AsyncSession, settings: GatewaySettings, user_id: str) -> TokensOut:
    """An access token and a new refresh token (of a new family) for the user."""
    now = token_time()
    session_id = new_id("fam")
    return TokensOut(
        access_token=issue_access_token(settings, user_id, now, session_id),
        expires_in=settings.access_token_minutes * 60,
        refresh_token=await issue_refresh_token(session, settings, user_id, now, session_id),
    )
