"""Outgoing email, built with the standard library and safe by construction.

* Every header value that could come from a debtor or a user (a name, an address, a subject,
  a file name) is either validated (addresses) or flattened to one line (text), so a CR/LF can
  never start a header of its own.
* The Message-ID is derived from the message's id, and so are the MIME boundaries: building the
  same message twice gives the same bytes, and a redelivered send request carries the Message-ID
  the first one had.
* Replies are routed by a Reply-To of ``reply+<token>@<domain>``; bounces by an envelope sender
  (Return-Path) of ``bounce+<message id>@<domain>``.
* ``email_bytes`` writes the common mail (text and HTML, no attachments) directly, with the
  same checks; it is what a queued message stores (docs/messaging.md, Performance, says what
  that saves). ``build_email`` stays the reference it is tested against.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr

from email_validator import EmailNotValidError, validate_email

from settle_messaging.domain.addressing import message_id_header, reply_address
from settle_messaging.domain.errors import InvalidEmailAddress, UnsafeHeaderValue

_MAX_DISPLAY_NAME = 150


class _CachingHeaderRegistry(HeaderRegistry):
    """The standard registry builds a new header class on every lookup; the same class per
    header name is enough and makes building a mail markedly cheaper."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


_POLICY = SMTP.clone(header_factory=_CachingHeaderRegistry())
_MAX_FILENAME = 120


@dataclass(frozen=True, slots=True)
class Mailbox:
    """An address with an optional display name (a debtor's, or the administration's)."""

    address: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with the email, e.g. the invoice or the letter as PDF."""

    filename: str
    content: bytes
    mime_type: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """Everything needed to build one email; ``sent_at`` must be timezone-aware."""

    message_id: str
    mail_domain: str
    sender: Mailbox
    to: tuple[Mailbox, ...]
    subject: str
    text: str
    html: str | None
    sent_at: datetime
    reply_token: str | None = None
    attachments: tuple[Attachment, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    # Reminders are sent by the system; RFC 3834 asks auto-responders not to answer those.
    auto_submitted: bool = True
    cc: tuple[Mailbox, ...] = field(default=())


def validate_email_address(address: str, *, allow_test_domains: bool = False) -> str:
    """Return the normalised form of an email address, or raise ``InvalidEmailAddress``.

    Syntax only (no DNS): an address that cannot be written into a header is refused here so
    the service can raise an attention item instead of failing at the SMTP server. Non-ASCII
    local parts are refused because they need SMTPUTF8, which many servers still lack;
    internationalised domains are returned in their ASCII (IDNA) form.
    """
    if not isinstance(address, str) or not address.strip():
        raise InvalidEmailAddress(str(address), "the address is empty")
    if any(unicodedata.category(ch) == "Cc" for ch in address):
        raise InvalidEmailAddress(address, "the address contains control characters")
    try:
        valid = validate_email(
            address.strip(),
            check_deliverability=False,
            allow_smtputf8=False,
            test_environment=allow_test_domains,
        )
    except EmailNotValidError as exc:
        raise InvalidEmailAddress(address, str(exc)) from exc
    return str(valid.ascii_email)


def header_text(value: str, max_length: int | None = None) -> str:
    """Flatten text for a header: every run of whitespace or control characters becomes one
    space, so a CR/LF in a debtor's name or a subject cannot start a header of its own."""
    cleaned = "".join(
        " " if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
        for ch in value
    )
    flat = " ".join(cleaned.split())
    if max_length is not None and len(flat) > max_length:
        flat = flat[: max_length - 1].rstrip() + "…"
    return flat


def _mailbox_header(mailbox: Mailbox) -> Address:
    address = validate_email_address(mailbox.address)
    local, _, domain = address.rpartition("@")
    name = header_text(mailbox.name or "", _MAX_DISPLAY_NAME)
    return Address(display_name=name, username=local, domain=domain)


def _safe_filename(filename: str) -> str:
    name = header_text(filename, _MAX_FILENAME).replace("/", "_").replace("\\", "_")
    name = name.lstrip(".")
    return name or "attachment"


def _boundary(message_id: str, kind: str) -> str:
    # "=_" can never occur in quoted-printable or base64 output, so such a boundary cannot
    # collide with content; deriving it from the id makes the bytes reproducible.
    seed = hashlib.sha256(message_id.encode()).hexdigest()[:24]
    return f"=_settle_{seed}_{kind}"


def build_email(outgoing: OutgoingEmail) -> EmailMessage:
    """Build the email for an outgoing message.

    multipart/alternative (text, HTML), inside multipart/mixed when there are attachments.
    Raises ``InvalidEmailAddress`` for an unusable recipient or sender and
    ``UnsafeHeaderValue`` for an id or domain that cannot be written safely.
    """
    if outgoing.sent_at.tzinfo is None or outgoing.sent_at.utcoffset() is None:
        raise ValueError("sent_at must be timezone-aware")
    if not outgoing.to:
        raise InvalidEmailAddress("", "the message has no recipient")

    message = EmailMessage(policy=_POLICY)
    message["Message-ID"] = message_id_header(outgoing.message_id, outgoing.mail_domain)
    message["Date"] = format_datetime(outgoing.sent_at)
    message["From"] = _mailbox_header(outgoing.sender)
    message["To"] = [_mailbox_header(mailbox) for mailbox in outgoing.to]
    if outgoing.cc:
        message["Cc"] = [_mailbox_header(mailbox) for mailbox in outgoing.cc]
    if outgoing.reply_token is not None:
        message["Reply-To"] = reply_address(outgoing.reply_token, outgoing.mail_domain)
    message["Subject"] = header_text(outgoing.subject, 250)
    if outgoing.in_reply_to:
        message["In-Reply-To"] = _checked_reference(outgoing.in_reply_to)
    references = [_checked_reference(ref) for ref in outgoing.references]
    if references:
        message["References"] = " ".join(references)
    if outgoing.auto_submitted:
        message["Auto-Submitted"] = "auto-generated"
    message["MIME-Version"] = "1.0"

    message.set_content(outgoing.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    if outgoing.html is not None:
        # Boundaries are given up front: setting them afterwards re-parses the header.
        message.make_alternative(boundary=_boundary(outgoing.message_id, "alt"))
        message.add_alternative(
            outgoing.html, subtype="html", charset="utf-8", cte="quoted-printable"
        )
    if outgoing.attachments:
        message.make_mixed(boundary=_boundary(outgoing.message_id, "mixed"))
    for attachment in outgoing.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        if not maintype or not subtype:
            raise UnsafeHeaderValue(f"{attachment.mime_type!r} is not a MIME type")
        message.add_attachment(
            attachment.content,
            maintype=header_text(maintype),
            subtype=header_text(subtype),
            filename=_safe_filename(attachment.filename),
        )
    return message


def _checked_reference(value: str) -> str:
    flat = value.strip()
    if not re.fullmatch(r"<[^<>\s]{1,250}@[^<>\s]{1,250}>", flat):
        raise UnsafeHeaderValue(f"{value!r} is not a Message-ID")
    return flat


# --- the direct writer ---------------------------------------------------------------------

_CRLF = "\r\n"
_LINE = 78  # RFC 5322's recommended line length; headers are folded to it where they can be


def email_bytes(outgoing: OutgoingEmail) -> bytes:
    """The bytes of the email for an outgoing message, as ``build_email(...).as_bytes()``
    would give them in substance (same headers, same parts, same checks and errors), written
    directly. Stable for the same message. Mails with attachments go through ``build_email``.
    """
    if outgoing.attachments:
        return build_email(outgoing).as_bytes()
    if outgoing.sent_at.tzinfo is None or outgoing.sent_at.utcoffset() is None:
        raise ValueError("sent_at must be timezone-aware")
    if not outgoing.to:
        raise InvalidEmailAddress("", "the message has no recipient")
    headers = [
        ("Message-ID", message_id_header(outgoing.message_id, outgoing.mail_domain)),
        ("Date", format_datetime(outgoing.sent_at)),
        ("From", _mailbox_text(outgoing.sender, "From")),
        ("To", f",{_CRLF} ".join(_mailbox_text(mailbox, "To") for mailbox in outgoing.to)),
    ]
    if outgoing.cc:
        headers.append(("Cc", f",{_CRLF} ".join(_mailbox_text(m, "Cc") for m in outgoing.cc)))
    if outgoing.reply_token is not None:
        headers.append(("Reply-To", reply_address(outgoing.reply_token, outgoing.mail_domain)))
    headers.append(("Subject", _unstructured("Subject", header_text(outgoing.subject, 250))))
    if outgoing.in_reply_to:
        headers.append(("In-Reply-To", _checked_reference(outgoing.in_reply_to)))
    references = [_checked_reference(ref) for ref in outgoing.references]
    if references:
        headers.append(("References", f"{_CRLF} ".join(references)))
    if outgoing.auto_submitted:
        headers.append(("Auto-Submitted", "auto-generated"))
    headers.append(("MIME-Version", "1.0"))
    lines = [f"{name}: {value}" for name, value in headers]
    if outgoing.html is None:
        lines.extend(_text_part_headers("plain"))
        return (_CRLF.join(lines) + _CRLF + _CRLF).encode("ascii") + _quoted_printable(
            outgoing.text
        )
    boundary = _boundary(outgoing.message_id, "alt")
    lines.append(f'Content-Type: multipart/alternative;{_CRLF} boundary="{boundary}"')
    head = (_CRLF.join(lines) + _CRLF + _CRLF).encode("ascii")
    delimiter = f"--{boundary}{_CRLF}".encode("ascii")
    parts = [head]
    for subtype, content in (("plain", outgoing.text), ("html", outgoing.html)):
        parts.append(delimiter)
        parts.append((_CRLF.join(_text_part_headers(subtype)) + _CRLF + _CRLF).encode("ascii"))
        parts.append(_quoted_printable(content))
        parts.append(_CRLF.encode("ascii"))
    parts.append(f"--{boundary}--{_CRLF}".encode("ascii"))
    return b"".join(parts)


def _text_part_headers(subtype: str) -> list[str]:
    return [
        f'Content-Type: text/{subtype}; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
    ]


def _quoted_printable(text: str) -> bytes:
    # One kind of line break in, CRLF out; binascii's encoder (C) soft-wraps at 76 and encodes
    # trailing whitespace and every "=", so a "=_" boundary can never occur in the output.
    normal = text.replace("\r\n", "\n").replace("\r", "\n")
    if not normal.endswith("\n"):
        normal += "\n"
    encoded = binascii.b2a_qp(normal.encode("utf-8"), quotetabs=False, istext=True)
    return encoded.replace(b"\n", b"\r\n")


def _unstructured(name: str, value: str) -> str:
    """An unstructured header value (already one line): ASCII folded at spaces, anything else
    as RFC 2047 encoded words."""
    charset = "us-ascii" if value.isascii() else "utf-8"
    folded = Header(value, charset, maxlinelen=_LINE, header_name=name).encode(linesep=_CRLF)
    return str(folded)


def _mailbox_text(mailbox: Mailbox, header: str) -> str:
    address = validate_email_address(mailbox.address)
    name = header_text(mailbox.name or "", _MAX_DISPLAY_NAME)
    if not name:
        return address
    if name.isascii():
        # Quotes a name with specials (a comma, a dot, quotes) as RFC 5322 asks.
        return formataddr((name, address))
    encoded = Header(name, "utf-8", maxlinelen=_LINE, header_name=header).encode(linesep=_CRLF)
    return f"{encoded} <{address}>"
