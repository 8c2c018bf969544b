"""Portal links: what messaging signs the gateway opens, and nothing else does."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from settle_shared.portal_links import (
    InvalidPortalLink,
    PortalLink,
    portal_url,
    sign_portal_link,
    verify_portal_link,
)

pytestmark = pytest.mark.unit

SECRET = b"s" * 32
OTHER_SECRET = b"o" * 32
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LINK = PortalLink(
    administration_id="demo",
    debtor_id=str(uuid.UUID(int=7)),
    invoice_ids=(str(uuid.UUID(int=42)), "F-2026-0043"),
    thread_id=str(uuid.UUID(int=99)),
    expires_at=NOW + timedelta(days=90),
)


def refusal(token: str, now: datetime = NOW, secrets: object = SECRET) -> str:
    with pytest.raises(InvalidPortalLink) as refused:
        verify_portal_link(token, now, secrets)  # type: ignore[arg-type]
    return str(refused.value)


def test_a_signed_link_opens_what_it_was_signed_for() -> None:
    token = sign_portal_link(LINK, SECRET)
    assert verify_portal_link(token, NOW, SECRET) == LINK
    # Safe in a URL as it is, and short enough for a reminder with a bundle of two.
    assert token.replace("-", "").replace("_", "").isalnum()
    assert len(token) < 130
    assert portal_url("https://pay.example/", token) == f"https://pay.example/portal/{token}"


def test_a_link_without_invoices_or_thread_round_trips() -> None:
    bare = PortalLink("adm", "deb-1", (), None, NOW + timedelta(seconds=1))
    assert verify_portal_link(sign_portal_link(bare, SECRET), NOW, SECRET) == bare


def test_tampered_expired_forged_and_guessed_tokens_get_one_and_the_same_refusal() -> None:
    token = sign_portal_link(LINK, SECRET)
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[8] ^= 0x01  # another debtor, say
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    last = token[-1]
    respelled = token[:-1] + ("A" if last != "A" else "B")
    answers = {
        refusal(tampered),
        refusal(token, now=LINK.expires_at),  # expired
        refusal(sign_portal_link(LINK, OTHER_SECRET)),  # signed by someone else
        refusal("x" * len(token)),  # guessed
        refusal(token + "!"),  # not a token at all
        refusal(""),
        refusal(respelled),
        refusal(token[:20]),
    }
    assert answers == {"this link is not valid (any more)"}


def test_an_old_secret_still_verifies_during_rotation() -> None:
    token = sign_portal_link(LINK, OTHER_SECRET)
    assert verify_portal_link(token, NOW, [SECRET, OTHER_SECRET]) == LINK
    refusal(token, secrets=[SECRET])


def test_short_secrets_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        sign_portal_link(LINK, b"short")
    with pytest.raises(ValueError, match="timezone"):
        sign_portal_link(
            PortalLink("a", "d", (), None, datetime(2030, 1, 1)),
            SECRET,
        )
