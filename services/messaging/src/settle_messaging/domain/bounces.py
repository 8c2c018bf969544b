"""Bounces: delivery-status notifications (RFC 3464) and SMTP rejections, hard or soft.

Hard: the address will not work (status 5.x.x, an SMTP 5xx reply, or ``Action: failed``).
Soft: it may work later (status 4.x.x, an SMTP 4xx reply, or ``Action: delayed``). What to do
about either (block the address, fall back to a letter, both) is the administration's choice
and is decided outside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from enum import StrEnum

from settle_messaging.domain.errors import InboundMailTooLarge, NotADeliveryReport
from settle_messaging.domain.inbound import DEFAULT_MAX_INBOUND_BYTES


@dataclass(frozen=True)
class BlockedAddress:
    """An address an administration no longer mails: a hard bounce blocked it, with its
    reason, until a person unblocks it."""

    address: str
    reason: str
    blocked_at: datetime


_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"^\s*([245])\d\d\b")
_REPORT_TYPES = ("message/delivery-status", "message/global-delivery-status")
_ORIGINAL_TYPES = (
    "message/rfc822",
    "text/rfc822-headers",
    "message/global",
    "message/global-headers",
)


class BounceKind(StrEnum):
    """Whether retrying the address makes sense."""

    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True, slots=True)
class Bounce:
    """One recipient that could not be reached, and why."""

    kind: BounceKind
    recipient: str | None
    status: str | None
    action: str | None
    diagnostic: str | None
    original_message_id: str | None = None
    original_envelope_id: str | None = None
    reporting_mta: str | None = None


def classify_status(status: str) -> BounceKind | None:
    """Classify an enhanced status code (RFC 3463): 5.x.x hard, 4.x.x soft, 2.x.x none."""
    match = _STATUS.search(status)
    if match is None:
        return None
    return {"5": BounceKind.HARD, "4": BounceKind.SOFT}.get(match.group(1))


def classify_smtp_rejection(code: int, message: str = "", recipient: str | None = None) -> Bounce:
    """Classify an SMTP server's refusal during sending: 5xx hard, 4xx soft.

    ``message`` is the server's text; an enhanced status code in it (``5.1.1``) is kept.
    Raises ``ValueError`` for a code that is not a refusal.
    """
    if 500 <= code <= 599:
        kind = BounceKind.HARD
    elif 400 <= code <= 499:
        kind = BounceKind.SOFT
    else:
        raise ValueError(f"SMTP code {code} is not a rejection")
    match = _STATUS.search(message)
    return Bounce(
        kind=kind,
        recipient=recipient,
        status=match.group(0) if match else None,
        action="failed" if kind is BounceKind.HARD else "delayed",
        diagnostic=" ".join(f"{code} {message}".split()),
    )


def _field(block: Message, name: str) -> str | None:
    value = block.get(name)
    if value is None:
        return None
    flat = " ".join(str(value).split())
    return flat or None


def _typed_value(value: str | None) -> str | None:
    # "rfc822; jan@example.com" -> "jan@example.com"; "smtp; 550 ..." -> "550 ..."
    if value is None:
        return None
    _, sep, rest = value.partition(";")
    return (rest if sep else value).strip().strip("<>") or None


def _original_message_id(report: Message) -> str | None:
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type not in _ORIGINAL_TYPES:
            continue
        payload = part.get_payload()
        headers: Message | None = None
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            headers = payload[0]
        elif isinstance(payload, str):
            headers = HeaderParser(policy=policy.default).parsestr(payload, headersonly=True)
        if headers is not None:
            value = _field(headers, "Message-ID")
            if value:
                return value
    return None


def _kind_for(action: str | None, status: str | None, diagnostic: str | None) -> BounceKind | None:
    if action in ("delivered", "relayed", "expanded"):
        return None
    if action == "delayed":
        return BounceKind.SOFT
    by_status = classify_status(status) if status else None
    if status and by_status is None and _STATUS.search(status):
        return None  # a 2.x.x status: delivered after all
    if by_status is not None:
        return by_status
    code = _SMTP_CODE.match(diagnostic or "")
    if code is not None and code.group(1) in ("4", "5"):
        return BounceKind.HARD if code.group(1) == "5" else BounceKind.SOFT
    # RFC 3464: "failed" means the message could not be delivered and will not be retried.
    return BounceKind.HARD if action == "failed" else None


def is_delivery_report(message: Message) -> bool:
    """Whether a parsed mail is an RFC 3464 delivery-status notification."""
    return (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )


def classify_delivery_report(
    raw: bytes | Message, *, max_bytes: int = DEFAULT_MAX_INBOUND_BYTES
) -> list[Bounce]:
    """Read a delivery-status notification and return one ``Bounce`` per failed or delayed
    recipient (recipients reported as delivered are left out, so the list may be empty).

    Raises ``NotADeliveryReport`` for any other mail and ``InboundMailTooLarge`` above
    ``max_bytes``.
    """
    if isinstance(raw, bytes | bytearray):
        if len(raw) > max_bytes:
            raise InboundMailTooLarge(f"the report is {len(raw)} bytes; at most {max_bytes}")
        message: Message = BytesParser(policy=policy.default).parsebytes(bytes(raw))
    else:
        message = raw
    if not is_delivery_report(message):
        raise NotADeliveryReport(
            f"{message.get_content_type()} is not multipart/report; report-type=delivery-status"
        )
    status_part = next(
        (part for part in message.walk() if part.get_content_type() in _REPORT_TYPES), None
    )
    if status_part is None:
        raise NotADeliveryReport("the report has no delivery-status part")
    payload = status_part.get_payload()
    if not isinstance(payload, list) or not payload:
        raise NotADeliveryReport("the delivery-status part has no fields")
    blocks = [block for block in payload if isinstance(block, Message)]
    if not blocks:
        raise NotADeliveryReport("the delivery-status part has no fields")

    per_message, per_recipient = blocks[0], blocks[1:]
    if not per_recipient and _field(per_message, "Final-Recipient"):
        # Some servers leave out the blank line between the two kinds of field group.
        per_recipient = [per_message]
    reporting_mta = _typed_value(_field(per_message, "Reporting-MTA"))
    envelope_id = _field(per_message, "Original-Envelope-Id")
    original_id = _original_message_id(message)
    bounces: list[Bounce] = []
    for block in per_recipient:
        if not block.keys():
            continue
        action = (_field(block, "Action") or "").lower() or None
        status_field = _field(block, "Status")
        status_match = _STATUS.search(status_field or "")
        status = status_match.group(0) if status_match else None
        diagnostic = _typed_value(_field(block, "Diagnostic-Code"))
        kind = _kind_for(action, status_field, diagnostic)
        if kind is None:
            continue
        recipient = _typed_value(_field(block, "Final-Recipient")) or _typed_value(
            _field(block, "Original-Recipient")
        )
        bounces.append(
            Bounce(
                kind=kind,
                recipient=recipient,
                status=status,
                action=action,
                diagnostic=diagnostic,
                original_message_id=original_id,
                original_envelope_id=envelope_id,
                reporting_mta=reporting_mta,
            )
        )
    return bounces
