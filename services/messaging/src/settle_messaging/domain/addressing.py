"""The addresses and identifiers this service writes into mail, and how to read them back.

* Message-ID ``<{message id}@{domain}>``: stable across retries, ties replies and bounces that
  quote it back to the message;
* envelope sender ``bounce+{message id}={signature}@{domain}``: bounces go there, quoted or
  not; signed, because the message id is in every mail's headers and a forged report to an
  unsigned address could block any address;
* Reply-To ``reply+{token}@{domain}``: an answer by email lands in its thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import parseaddr

from settle_messaging.domain.errors import InvalidReplyAddress, UnsafeHeaderValue

_MESSAGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"
)
_HEADER_MESSAGE_ID = re.compile(r"^\s*<([^<>@\s]+)@([^<>@\s]+)>\s*$")
_TOKEN = re.compile(r"^[a-z0-9]{1,58}$")


def check_mail_domain(domain: str) -> str:
    """Return a mail domain in lower case, or raise ``UnsafeHeaderValue`` if it is not one."""
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise UnsafeHeaderValue(f"{domain!r} is not a valid mail domain")
    return domain


def _check_message_id(message_id: str) -> str:
    if not _MESSAGE_ID.match(message_id):
        raise UnsafeHeaderValue(f"{message_id!r} cannot be used as a message id in mail")
    return message_id


def message_id_header(message_id: str, mail_domain: str) -> str:
    """The Message-ID header of a message: ``<{message_id}@{domain}>``, stable across retries."""
    return f"<{_check_message_id(message_id)}@{check_mail_domain(mail_domain)}>"


def message_id_from_header(value: str | None, mail_domain: str) -> str | None:
    """Recover a message's id from a Message-ID this service generated, else ``None``.

    Ties a bounce or a reply (In-Reply-To, References) back to the message it concerns.
    """
    if not value:
        return None
    match = _HEADER_MESSAGE_ID.match(value)
    if not match or match.group(2).lower() != mail_domain.strip().lower():
        return None
    local = match.group(1)
    return local if _MESSAGE_ID.match(local) else None


def _bounce_signature(message_id: str, secret: bytes) -> str:
    """80 bits of HMAC-SHA256 over the message id, in lower-case base32 (16 characters)."""
    mac = hmac.new(secret, b"settle bounce address\x00" + message_id.encode(), hashlib.sha256)
    return base64.b32encode(mac.digest()[:10]).decode().lower()


def bounce_address(message_id: str, mail_domain: str, secret: bytes) -> str:
    """The envelope sender (MAIL FROM) for a message: ``bounce+<message id>=<signature>@<domain>``.

    Bounces go to the envelope sender, so this ties every bounce to its message even when the
    reporting server quotes nothing of the original.
    """
    message_id = _check_message_id(message_id)
    signature = _bounce_signature(message_id, secret)
    return f"bounce+{message_id}={signature}@{check_mail_domain(mail_domain)}"


def message_id_from_bounce_address(address: str, mail_domain: str, secret: bytes) -> str | None:
    """The message id of a ``bounce+<message id>=<signature>@<domain>`` recipient with a
    genuine signature, else ``None``."""
    _, addr = parseaddr(address)
    local, _, domain = addr.rpartition("@")
    if domain.lower() != mail_domain.strip().lower():
        return None
    prefix, plus, signed = local.partition("+")
    message_id, equals, signature = signed.rpartition("=")
    if not plus or not equals or prefix.lower() != "bounce" or not _MESSAGE_ID.match(message_id):
        return None
    if not hmac.compare_digest(signature.lower(), _bounce_signature(message_id, secret)):
        return None
    return message_id


def reply_address(token: str, mail_domain: str) -> str:
    """The Reply-To address that routes an answer back into its thread."""
    if not _TOKEN.match(token):
        raise UnsafeHeaderValue("a reply token has only lower-case letters and digits")
    return f"reply+{token}@{check_mail_domain(mail_domain)}"


def token_from_reply_address(address: str, mail_domain: str) -> str:
    """Return the token of an inbound ``reply+<token>@<domain>`` recipient.

    Case-insensitive, because some servers change the case of the local part. Raises
    ``InvalidReplyAddress`` for any other address; the token itself is checked by
    :func:`settle_messaging.domain.reply_tokens.verify_reply_token`.
    """
    _, addr = parseaddr(address)
    if not addr or any(ch.isspace() for ch in addr):
        raise InvalidReplyAddress(f"{address!r} is not an email address")
    local, _, domain = addr.lower().rpartition("@")
    if domain != mail_domain.strip().lower():
        raise InvalidReplyAddress(f"{address!r} is not addressed to {mail_domain}")
    prefix, plus, token = local.partition("+")
    if prefix != "reply" or not plus:
        raise InvalidReplyAddress(f"{address!r} is not a reply address")
    if not _TOKEN.match(token):
        raise InvalidReplyAddress(f"{address!r} does not carry a reply token")
    return token
