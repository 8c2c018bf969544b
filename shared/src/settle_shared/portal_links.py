"""Portal links: the signed, expiring token in every reminder that opens the debtor portal.

Messaging signs a token when it writes a reminder; the gateway verifies it when the debtor opens
the link. Both take the secret from their configuration (the same value on both sides), so
nothing is stored per link. A token says which administration and debtor it is for, which
invoices the reminder was about (the portal preselects them), which message thread a reply
goes to, and until when it is valid.

A token is ``base64url(payload | mac)`` without padding. The payload is a version byte, the
expiry (whole seconds, unsigned 32 bits) and the ids, each as a tag byte and its value: a UUID
in 16 bytes, other text as its length and UTF-8 (so the link in a one-invoice reminder stays
near 100 characters). The MAC is HMAC-SHA256 over the payload, cut to 128 bits, compared in
constant time; the payload is read only after its MAC matched.

Whatever is wrong with a token (not one, altered, signed with another secret, expired), the
answer is the same ``InvalidPortalLink``: the caller learns nothing about which part failed.
Secrets are tried in order when verifying, so a secret can be rotated: sign with the new one and
keep the old one for verification until its links have expired.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from settle_shared.settings import PLACEHOLDER_SECRET

# The secret both messaging and the gateway use in development, so `make run` needs no
# configuration; it starts with the placeholder, so production refuses it.
DEVELOPMENT_SECRET = f"{PLACEHOLDER_SECRET}-portal-links-development-secret-not-for-production"
MIN_SECRET_BYTES = 32

_VERSION = 1
_HEAD = struct.Struct(">BI")
_MAC_BYTES = 16
_DOMAIN_SEPARATION = b"settle/portal-link/v1\x00"
_ABSENT, _UUID, _TEXT = 0, 1, 2
_MAX_ID_BYTES = 255
# A reminder of more invoices preselects its first fifty (the portal lists them all anyway):
# the link, and the URL the PSP sends the debtor back to, stay well within 2,000 characters.
MAX_INVOICES = 50
_MAX_EXPIRY = 2**32 - 1
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+\Z")
# Longer than any token this module signs: a longer string is refused before it is decoded.
MAX_TOKEN_CHARS = 4 + (_HEAD.size + 3 * 257 + 2 + MAX_INVOICES * 257 + _MAC_BYTES) * 4 // 3


class InvalidPortalLink(Exception):
    """The link is not (or no longer) valid. Deliberately one error with one message."""

    def __init__(self) -> None:
        super().__init__("this link is not valid (any more)")


@dataclass(frozen=True, slots=True)
class PortalLink:
    """What a portal link opens: a debtor's portal in an administration, the invoices of the
    reminder it came with, the thread a reply joins, until when."""

    administration_id: str
    debtor_id: str
    invoice_ids: tuple[str, ...]
    thread_id: str | None
    expires_at: datetime


def _check_secret(secret: bytes) -> None:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"a portal-link secret needs at least {MIN_SECRET_BYTES} bytes")


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _DOMAIN_SEPARATION + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _pack_id(value: str | None) -> bytes:
    if value is None:
        return bytes([_ABSENT])
    try:
        as_uuid = UUID(value)
    except ValueError:
        as_uuid = None
    if as_uuid is not None and str(as_uuid) == value:  # only the canonical form round-trips
        return bytes([_UUID]) + as_uuid.bytes
    raw = value.encode("utf-8")
    if not raw or len(raw) > _MAX_ID_BYTES:
        raise ValueError(f"an id in a portal link has 1 to {_MAX_ID_BYTES} bytes")
    return bytes([_TEXT, len(raw)]) + raw


class _Reader:
    """Reads a payload whose MAC matched; any inconsistency is an invalid link all the same."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, count: int) -> bytes:
        if self.at + count > len(self.data):
            raise InvalidPortalLink
        chunk = self.data[self.at : self.at + count]
        self.at += count
        return chunk

    def id(self) -> str | None:
        tag = self.take(1)[0]
        if tag == _ABSENT:
            return None
        if tag == _UUID:
            return str(UUID(bytes=self.take(16)))
        if tag == _TEXT:
            try:
                return self.take(self.take(1)[0]).decode("utf-8")
            except UnicodeDecodeError:
                raise InvalidPortalLink from None
        raise InvalidPortalLink


def sign_portal_link(link: PortalLink, secret: bytes) -> str:
    """The token of a portal link, valid until ``link.expires_at`` (whole seconds)."""
    _check_secret(secret)
    if link.expires_at.tzinfo is None or link.expires_at.utcoffset() is None:
        raise ValueError("expires_at must be timezone-aware")
    expiry = int(link.expires_at.timestamp())
    if not 0 < expiry <= _MAX_EXPIRY:
        raise ValueError("expires_at is out of range for a portal link")
    if len(link.invoice_ids) > MAX_INVOICES:
        raise ValueError(f"a portal link names at most {MAX_INVOICES} invoices")
    payload = b"".join(
        [
            _HEAD.pack(_VERSION, expiry),
            _pack_id(link.administration_id),
            _pack_id(link.debtor_id),
            _pack_id(link.thread_id),
            struct.pack(">H", len(link.invoice_ids)),
            *(_pack_id(invoice_id) for invoice_id in link.invoice_ids),
        ]
    )
    return base64.urlsafe_b64encode(payload + _mac(secret, payload)).rstrip(b"=").decode("ascii")


def verify_portal_link(token: str, now: datetime, secrets: bytes | Sequence[bytes]) -> PortalLink:
    """The link a token stands for; raises ``InvalidPortalLink`` for anything but a genuine,
    unexpired token signed with one of ``secrets``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    candidates = [secrets] if isinstance(secrets, bytes) else list(secrets)
    if not candidates:
        raise ValueError("at least one secret is needed to verify a portal link")
    for secret in candidates:
        _check_secret(secret)
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or not _ALPHABET.match(token):
        raise InvalidPortalLink
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidPortalLink from None
    # Only the one spelling this module writes: unused low bits of the last character changed
    # would otherwise decode to the same bytes, a second valid spelling of one link.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != token:
        raise InvalidPortalLink
    if len(raw) <= _HEAD.size + _MAC_BYTES:
        raise InvalidPortalLink
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    # Every secret is compared, matched or not, so the time taken says nothing either.
    matched = [hmac.compare_digest(_mac(secret, payload), mac) for secret in candidates]
    if not any(matched):
        raise InvalidPortalLink
    reader = _Reader(payload)
    version, expiry = _HEAD.unpack(reader.take(_HEAD.size))
    administration_id, debtor_id, thread_id = reader.id(), reader.id(), reader.id()
    (count,) = struct.unpack(">H", reader.take(2))
    invoice_ids = [reader.id() for _ in range(count)]
    if (
        version != _VERSION
        or administration_id is None
        or debtor_id is None
        or None in invoice_ids
        or reader.at != len(payload)
    ):
        raise InvalidPortalLink
    expires_at = datetime.fromtimestamp(expiry, tz=UTC)
    if now >= expires_at:
        raise InvalidPortalLink
    return PortalLink(
        administration_id=administration_id,
        debtor_id=debtor_id,
        invoice_ids=tuple(i for i in invoice_ids if i is not None),
        thread_id=thread_id,
        expires_at=expires_at,
    )


def portal_url(base_url: str, token: str) -> str:
    """The portal's pay page for a token, e.g. ``https://settle.example/portal/<token>``."""
    return f"{base_url.rstrip('/')}/portal/{token}"


def portal_reply_url(base_url: str, token: str) -> str:
    """The portal's reply page for a token."""
    return f"{portal_url(base_url, token)}/reply"


def instalment_url(portal_page: str, plan_id: str, number: int) -> str:
    """The portal's page that pays instalment `number` of a payment plan, under a link's page
    (``portal_url``): the plan is checked against the link's debtor when it is opened."""
    return f"{portal_page.rstrip('/')}/plans/{plan_id}/instalments/{number}"
