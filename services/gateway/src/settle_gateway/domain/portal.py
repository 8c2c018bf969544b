"""The rules of the debtor portal: which language it speaks, which invoices a debtor may pay
at once, the idempotency key of a pay click, the CSRF token of its forms, and what a payment's
status means to the debtor. Plain Python: the portal's views and service apply them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

LANGUAGES = ("nl", "en", "de", "fr")
DEFAULT_LANGUAGE = "nl"

NotPayableReason = Literal["none_chosen", "not_yours", "not_open", "paid_online", "currencies"]
Outcome = Literal["paid", "pending", "failed"]

# What each status of a payment tells the debtor who just came back from the PSP.
OUTCOMES: dict[str, Outcome] = {
    "paid": "paid",
    "open": "pending",
    "pending": "pending",
    "authorized": "pending",
    "failed": "failed",
    "canceled": "failed",
    "expired": "failed",
    "refunded": "failed",
    "charged_back": "failed",
}


class NotPayable(Exception):
    """The debtor's choice cannot be paid: the reason names which rule it breaks."""

    def __init__(self, reason: NotPayableReason) -> None:
        super().__init__(reason)
        self.reason: NotPayableReason = reason


class TooManyAttempts(Exception):
    """The client address tried too many invalid links; `retry_after` seconds to wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many invalid links from this address")
        self.retry_after = retry_after


class PaymentsUnavailable(Exception):
    """The payments service (or the PSP behind it) does not answer: nothing was paid."""


class PaymentRefused(Exception):
    """The payments service refused the payment (not payable any more); its sentence says why."""


class PaymentNotFound(Exception):
    """The payments service does not know the payment."""


@dataclass(frozen=True)
class PortalInvoice:
    """An invoice as the portal shows it and decides on it."""

    invoice_id: str
    number: str
    debtor_id: str | None
    status: str
    currency: str
    open_amount: Decimal
    paid_online: Decimal | None

    @property
    def payable(self) -> bool:
        """Open, something left to pay, and no online payment waiting for bookkeeping."""
        return self.status == "open" and self.open_amount > 0 and self.paid_online is None


@dataclass(frozen=True)
class PaymentRequest:
    """What the portal asks the payments service for: never an amount, which the payments
    service takes from its own copy of the invoices."""

    debtor_id: str
    invoice_ids: tuple[str, ...]
    idempotency_key: str
    redirect_url: str
    locale: str | None = None  # the checkout's language, e.g. nl_NL
    # An instalment of a payment plan (no invoices: the plan names them, and its amount).
    plan_id: str | None = None
    instalment: int | None = None


@dataclass(frozen=True)
class PaymentState:
    """A payment as the payments service answers for it."""

    payment_id: str
    checkout_url: str | None
    amount: Decimal
    currency: str
    status: str
    method: str | None
    invoices: tuple[tuple[str, Decimal], ...]

    @property
    def outcome(self) -> Outcome:
        """Paid, still pending, or failed (an unknown status is not called paid)."""
        return OUTCOMES.get(self.status, "pending")


def choose_language(
    asked: str | None, debtor_language: str | None, accept_language: str | None
) -> str:
    """The portal's language: the one the debtor picked on the page, else the debtor's own
    (from bookkeeping), else the browser's first known one, else Dutch."""
    for candidate in (asked, debtor_language):
        if candidate and candidate.lower()[:2] in LANGUAGES:
            return candidate.lower()[:2]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE


def choose_payable(
    debtor_id: str, chosen: Sequence[str], invoices: Mapping[str, PortalInvoice]
) -> list[PortalInvoice]:
    """The invoices of a pay click, checked: at least one, every one the debtor's own, open
    and not paid online already, all in one currency. Raises NotPayable."""
    unique = list(dict.fromkeys(chosen))
    if not unique:
        raise NotPayable("none_chosen")
    found = [invoices.get(invoice_id) for invoice_id in unique]
    picked = [invoice for invoice in found if invoice is not None]
    if len(picked) != len(unique) or any(i.debtor_id != debtor_id for i in picked):
        raise NotPayable("not_yours")
    if any(i.paid_online is not None for i in picked):
        raise NotPayable("paid_online")
    if not all(i.payable for i in picked):
        raise NotPayable("not_open")
    if len({i.currency for i in picked}) > 1:
        raise NotPayable("currencies")
    return picked


def idempotency_key(
    administration_id: str, debtor_id: str, form_id: str, invoice_ids: Iterable[str]
) -> str:
    """The key of one pay click: the same form sent twice (a double click, a reload of the
    POST) asks for the same payment; a new rendering of the page is a new form."""
    material = "\x00".join(
        ["settle/portal-payment/v1", administration_id, debtor_id, form_id, *sorted(invoice_ids)]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def csrf_token(secret: bytes, session: str, link_token: str) -> str:
    """The CSRF token of the portal's forms: the browser's portal session (a cookie) signed
    together with the link, so a form posted from elsewhere has no way to carry it."""
    material = b"settle/portal-csrf/v1\x00" + session.encode() + b"\x00" + link_token.encode()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()


def csrf_matches(secret: bytes, session: str | None, link_token: str, sent: str | None) -> bool:
    """Whether a form carries the CSRF token of this browser's session and this link."""
    if not session or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, session, link_token), sent)
