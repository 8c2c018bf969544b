"""Reply tokens: unguessable, expiring, tamper-evident references to a message thread.

A token is ``base32(version | thread id | expiry | mac)`` in lower case, where ``mac`` is an
HMAC-SHA256 over the rest with a server-side secret. Nothing is stored per token: the thread id
is inside it and the MAC proves this service issued it. Lower-case base32 survives servers that
change the case of an address's local part, and at 58 characters ``reply+<token>`` stays within
the 64 characters a local part may have (RFC 5321).

Secrets are tried in order when verifying, so a secret can be rotated: issue with the new one
and keep the old one for verification until its tokens have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from settle_messaging.domain.errors import (
    ExpiredReplyToken,
    MalformedReplyToken,
    TamperedReplyToken,
)

_VERSION = 1
_PAYLOAD = struct.Struct(">B16sI")
# 120 bits of MAC: forging one is as hopeless as guessing a random 120-bit number, and the
# shorter MAC is what keeps the whole address within the 64-character local-part limit.
_MAC_LENGTH = 15
_TOKEN_BYTES = _PAYLOAD.size + _MAC_LENGTH
_TOKEN_LENGTH = 58
_DOMAIN_SEPARATION = b"settle/reply-token/v1\x00"
_MIN_SECRET_LENGTH = 32
_MAX_EXPIRY = 2**32 - 1


@dataclass(frozen=True, slots=True)
class ReplyTokenClaims:
    """What a valid token says: which thread, and until when."""

    thread_id: UUID
    expires_at: datetime


def _check_secret(secret: bytes) -> None:
    if len(secret) < _MIN_SECRET_LENGTH:
        raise ValueError(f"a reply-token secret needs at least {_MIN_SECRET_LENGTH} bytes")


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN_SEPARATION + payload, hashlib.sha256).digest()[:_MAC_LENGTH]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def issue_reply_token(thread_id: UUID, expires_at: datetime, secret: bytes) -> str:
    """Issue a token for a thread that is valid until ``expires_at`` (whole seconds)."""
    _check_secret(secret)
    _require_aware(expires_at, "expires_at")
    expiry = int(expires_at.timestamp())
    if not 0 < expiry <= _MAX_EXPIRY:
        raise ValueError("expires_at is out of range for a reply token")
    payload = _PAYLOAD.pack(_VERSION, thread_id.bytes, expiry)
    raw = payload + _mac(secret, payload)
    return base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def verify_reply_token(
    token: str, now: datetime, secrets: bytes | Sequence[bytes]
) -> ReplyTokenClaims:
    """Verify a token and return its claims.

    Raises ``MalformedReplyToken`` for anything that is not a token of this service,
    ``TamperedReplyToken`` when the MAC does not match any secret (altered or forged), and
    ``ExpiredReplyToken`` when it is genuine but past its expiry. The MAC is checked before the
    expiry, so a forged token is never reported as merely expired.
    """
    _require_aware(now, "now")
    candidates = [secrets] if isinstance(secrets, bytes) else list(secrets)
    if not candidates:
        raise ValueError("at least one secret is needed to verify a reply token")
    for secret in candidates:
        _check_secret(secret)
    if not isinstance(token, str) or len(token) != _TOKEN_LENGTH or not token.isascii():
        raise MalformedReplyToken("not a reply token")
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        raw = base64.b32decode(padded)
    except (binascii.Error, ValueError) as exc:
        raise MalformedReplyToken("not a reply token") from exc
    if len(raw) != _TOKEN_BYTES:
        raise MalformedReplyToken("not a reply token")
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    version, thread_bytes, expiry = _PAYLOAD.unpack(payload)
    if version != _VERSION:
        raise MalformedReplyToken(f"unknown reply-token version {version}")
    if not any(hmac.compare_digest(_mac(secret, payload), mac) for secret in candidates):
        raise TamperedReplyToken("the reply token's signature does not match")
    expires_at = datetime.fromtimestamp(expiry, tz=UTC)
    if now >= expires_at:
        raise ExpiredReplyToken(f"the reply token expired at {expires_at.isoformat()}")
    return ReplyTokenClaims(thread_id=UUID(bytes=thread_bytes), expires_at=expires_at)


def reply_link(base_url: str, token: str) -> str:
    """The public reply page's link for a token, e.g. ``https://settle.example/reply/<token>``."""
    return f"{base_url.rstrip('/')}/{token}"
