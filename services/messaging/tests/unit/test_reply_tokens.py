from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from settle_messaging.domain.addressing import reply_address, token_from_reply_address
from settle_messaging.domain.errors import (
    ExpiredReplyToken,
    InvalidReplyAddress,
    InvalidReplyToken,
    MalformedReplyToken,
    TamperedReplyToken,
)
from settle_messaging.domain.reply_tokens import (
    issue_reply_token,
    reply_link,
    verify_reply_token,
)

pytestmark = pytest.mark.unit

SECRET = b"s" * 32
OTHER_SECRET = b"o" * 32
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)
THREAD = UUID("6f1c2a9e-4b7d-4e0a-9b2c-1d3e5f7a9b0c")
DOMAIN = "mail.settle.example.com"


def token(expires_in: timedelta = timedelta(days=60), secret: bytes = SECRET) -> str:
    return issue_reply_token(THREAD, NOW + expires_in, secret)


def test_a_token_identifies_its_thread_until_it_expires() -> None:
    claims = verify_reply_token(token(), NOW, SECRET)

    assert claims.thread_id == THREAD
    assert claims.expires_at == NOW + timedelta(days=60)


def test_token_fits_an_address_and_a_url() -> None:
    value = token()

    assert len(value) == 58
    assert value.isalnum() and value == value.lower()
    local_part = reply_address(value, DOMAIN).split("@")[0]
    assert len(local_part) <= 64  # RFC 5321
    assert reply_link("https://settle.example.com/reply/", value).endswith(f"/reply/{value}")


def test_tokens_differ_per_thread() -> None:
    assert issue_reply_token(uuid4(), NOW, SECRET) != issue_reply_token(uuid4(), NOW, SECRET)


def test_an_expired_token_is_refused() -> None:
    value = token(expires_in=timedelta(days=1))

    with pytest.raises(ExpiredReplyToken):
        verify_reply_token(value, NOW + timedelta(days=1), SECRET)
    assert verify_reply_token(value, NOW + timedelta(hours=23), SECRET).thread_id == THREAD


def test_a_token_signed_with_another_secret_is_refused() -> None:
    with pytest.raises(TamperedReplyToken):
        verify_reply_token(token(secret=OTHER_SECRET), NOW, SECRET)


@pytest.mark.parametrize("position", [0, 5, 20, 30, 40, 57])
def test_any_changed_character_is_detected(position: int) -> None:
    value = token()
    replacement = "b" if value[position] != "b" else "c"
    tampered = value[:position] + replacement + value[position + 1 :]

    with pytest.raises(InvalidReplyToken):
        verify_reply_token(tampered, NOW, SECRET)


def test_a_token_pointing_at_another_thread_is_refused() -> None:
    # swap in another thread id but keep the signature: the MAC no longer matches
    import base64

    raw = bytearray(base64.b32decode(token().upper() + "======"))
    raw[1:17] = uuid4().bytes
    forged = base64.b32encode(bytes(raw)).decode().rstrip("=").lower()

    with pytest.raises(TamperedReplyToken):
        verify_reply_token(forged, NOW, SECRET)


def test_an_expired_forgery_is_reported_as_tampered() -> None:
    with pytest.raises(TamperedReplyToken):
        verify_reply_token(token(timedelta(days=-1), OTHER_SECRET), NOW, SECRET)


@pytest.mark.parametrize(
    "value", ["", "abc", "x" * 58, "!" * 58, "a" * 57 + "é", "a" * 59, "a" * 58 + "\n"]
)
def test_garbage_is_malformed(value: str) -> None:
    with pytest.raises((MalformedReplyToken, TamperedReplyToken)):
        verify_reply_token(value, NOW, SECRET)


def test_secrets_can_be_rotated() -> None:
    old = token(secret=OTHER_SECRET)

    assert verify_reply_token(old, NOW, [SECRET, OTHER_SECRET]).thread_id == THREAD


def test_case_changed_by_a_mail_server_is_accepted() -> None:
    assert verify_reply_token(token().upper(), NOW, SECRET).thread_id == THREAD


def test_weak_secrets_and_naive_times_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        issue_reply_token(THREAD, NOW, b"short")
    with pytest.raises(ValueError):
        issue_reply_token(THREAD, datetime(2025, 1, 1), SECRET)
    with pytest.raises(ValueError):
        verify_reply_token(token(), datetime(2025, 1, 1), SECRET)
    with pytest.raises(ValueError):
        verify_reply_token(token(), NOW, [])


def test_reply_address_round_trip() -> None:
    value = token()
    address = reply_address(value, DOMAIN)

    assert token_from_reply_address(address, DOMAIN) == value
    assert token_from_reply_address(f"Debiteur <{address.upper()}>", DOMAIN.upper()) == value


@pytest.mark.parametrize(
    "address",
    [
        "info@mail.settle.example.com",
        "reply@mail.settle.example.com",
        "reply+@mail.settle.example.com",
        "reply+abc@other.example.com",
        "bounce+abc@mail.settle.example.com",
        "reply+abc def@mail.settle.example.com",
        "reply+abc!@mail.settle.example.com",
        "",
    ],
)
def test_other_addresses_are_not_reply_addresses(address: str) -> None:
    with pytest.raises(InvalidReplyAddress):
        token_from_reply_address(address, DOMAIN)
