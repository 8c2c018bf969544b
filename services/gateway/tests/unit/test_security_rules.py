"""Rules of the gateway's security that need no service: roles, passwords, the cache."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime

import pytest

from settle_gateway.auth.security import PrincipalCache, authorize
from settle_gateway.auth.service import hash_password, issue_access_token, verify_password
from settle_gateway.domain.access import (
    Action,
    ActionNotAllowed,
    AdministrationNotVisible,
    Principal,
    Role,
)
from settle_gateway.errors import status_of
from settle_gateway.settings import GatewaySettings

pytestmark = pytest.mark.unit


def _principal(role: Role) -> Principal:
    return Principal(subject="u", kind="password", name="u", roles={"adm": role})


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMINISTRATOR, {Action.READ, Action.MESSAGE, Action.WORK, Action.SETTINGS}),
        (Role.STANDARD, {Action.READ, Action.MESSAGE, Action.WORK}),
        (Role.COMMUNICATION, {Action.READ, Action.MESSAGE}),
        (Role.RESTRICTED, {Action.READ}),
    ],
)
def test_each_role_may_do_what_the_domain_says(role: Role, allowed: set[Action]) -> None:
    for action in Action:
        if action in allowed:
            assert authorize(_principal(role), "adm", action) == role
        else:
            with pytest.raises(ActionNotAllowed) as refused:
                authorize(_principal(role), "adm", action)
            assert status_of(refused.value) == 403


def test_an_administration_the_caller_cannot_see_does_not_exist_for_it() -> None:
    with pytest.raises(AdministrationNotVisible) as refused:
        authorize(_principal(Role.ADMINISTRATOR), "other", Action.READ)
    assert status_of(refused.value) == 404


def test_passwords_are_salted_argon2_hashes() -> None:
    first, second = hash_password("secret words"), hash_password("secret words")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "secret words")
    assert not verify_password(first, "other words")
    assert not verify_password(None, "secret words")
    assert not verify_password("not-a-hash", "secret words")


def test_a_cached_principal_lives_no_longer_than_its_ttl_or_its_token() -> None:
    principal = _principal(Role.STANDARD)
    cache = PrincipalCache(ttl_s=60)
    cache.put("token-a", principal, expires_at=time.time() + 3600)
    assert cache.get("token-a") is principal
    assert cache.get("token-b") is None
    cache.put("expired", principal, expires_at=time.time() - 1)
    assert cache.get("expired") is None  # never past the token's own expiry
    short = PrincipalCache(ttl_s=0.05)
    short.put("token-a", principal)
    time.sleep(0.06)
    assert short.get("token-a") is None
    cache.clear()
    assert cache.get("token-a") is None


def test_a_zero_ttl_caches_nothing_and_the_cache_stays_bounded() -> None:
    principal = _principal(Role.STANDARD)
    off = PrincipalCache(ttl_s=0)
    off.put("token", principal)
    assert off.get("token") is None
    small = PrincipalCache(ttl_s=60, max_entries=2)
    for token in ("a", "b", "c"):
        small.put(token, principal)
    assert small.get("a") is None and small.get("c") is principal


def test_signing_with_the_development_secret_draws_no_key_length_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        token = issue_access_token(GatewaySettings(), "usr_1", datetime.now(UTC), "fam_1")
    assert token.count(".") == 2
