"""What a message is about: the debtor, the administration, the invoices and the sender.

Plain frozen dataclasses, so templates can read them (the sandbox allows attribute access on
public fields) but cannot change them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from settle_messaging.domain.errors import InvalidMessageContext

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class DebtorType(StrEnum):
    """Business or consumer: the law (14-day letter, collection costs) treats them differently."""

    BUSINESS = "business"
    CONSUMER = "consumer"


class Tone(StrEnum):
    """How the debtor is addressed: ``u``/``Sie``/``vous`` or ``je``/``du``/``tu``."""

    FORMAL = "formal"
    INFORMAL = "informal"


class Channel(StrEnum):
    """How a message reaches the debtor."""

    EMAIL = "email"
    LETTER = "letter"


class TemplateKey(StrEnum):
    """The built-in kinds of message; a flow step names one of these."""

    FRIENDLY_REMINDER = "friendly_reminder"
    SECOND_REMINDER = "second_reminder"
    FINAL_REMINDER = "final_reminder"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    PAYMENT_PLAN_CONFIRMATION = "payment_plan_confirmation"
    PAYMENT_PLAN_INSTALMENT_REMINDER = "payment_plan_instalment_reminder"
    PAYMENT_PLAN_INSTALMENT_MISSED = "payment_plan_instalment_missed"
    PAYMENT_PLAN_REJECTED = "payment_plan_rejected"
    FREE_MESSAGE = "free_message"


def _check_language(language: str) -> None:
    if not _LANGUAGE.match(language):
        raise InvalidMessageContext(f"language must be a two-letter code, got {language!r}")


def _check_currency(currency: str) -> None:
    if not _CURRENCY.match(currency):
        raise InvalidMessageContext(f"currency must be an ISO 4217 code, got {currency!r}")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise InvalidMessageContext(f"amount must be a Decimal, got {type(self.amount)}")
        _check_currency(self.currency)


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """A postal address as bookkeeping gives it."""

    street: str
    postal_code: str
    city: str
    country: str = "NL"
    attention_of: str | None = None

    def __post_init__(self) -> None:
        if not _COUNTRY.match(self.country):
            raise InvalidMessageContext(f"country must be an ISO 3166 code, got {self.country!r}")


@dataclass(frozen=True, slots=True)
class DebtorInfo:
    """The debtor as the message needs it (read-only: it comes from bookkeeping)."""

    name: str
    language: str
    type: DebtorType
    email: str | None = None
    contact_name: str | None = None
    address: PostalAddress | None = None
    number: str | None = None

    def __post_init__(self) -> None:
        _check_language(self.language)

    @property
    def is_consumer(self) -> bool:
        """Whether consumer law applies (14-day letter before any collection costs)."""
        return self.type is DebtorType.CONSUMER


@dataclass(frozen=True, slots=True)
class AdministrationInfo:
    """The creditor: the administration on whose behalf the message is sent."""

    name: str
    email: str
    default_language: str = "nl"
    fallback_language: str = "en"
    country: str = "NL"
    phone: str | None = None
    website: str | None = None
    address: PostalAddress | None = None
    iban: str | None = None
    chamber_of_commerce: str | None = None

    def __post_init__(self) -> None:
        _check_language(self.default_language)
        _check_language(self.fallback_language)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One invoice in the message's bundle."""

    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str = "EUR"

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        if not isinstance(self.amount, Decimal) or not isinstance(self.open_amount, Decimal):
            raise InvalidMessageContext(f"amounts of invoice {self.number!r} must be Decimals")

    @property
    def open(self) -> Money:
        """The open amount with its currency."""
        return Money(self.open_amount, self.currency)

    @property
    def total(self) -> Money:
        """The invoice amount with its currency."""
        return Money(self.amount, self.currency)


@dataclass(frozen=True, slots=True)
class CreditNoteLine:
    """An open credit note of the debtor, stated in a reminder: what of it is not matched yet
    is taken off the amount the reminder asks for. Amounts are negative."""

    number: str
    amount: Decimal
    open_amount: Decimal
    currency: str
    invoice_date: date | None = None
    corrects: str | None = None

    def __post_init__(self) -> None:
        _check_currency(self.currency)
        if not isinstance(self.amount, Decimal) or not isinstance(self.open_amount, Decimal):
            raise InvalidMessageContext(f"amounts of credit note {self.number!r} must be Decimals")
        if self.open_amount > 0:
            raise InvalidMessageContext(f"credit note {self.number!r} must have a negative amount")

    @property
    def open(self) -> Money:
        """What is not matched yet, with its currency (negative)."""
        return Money(self.open_amount, self.currency)

    @property
    def total(self) -> Money:
        """The credit note's amount with its currency (negative)."""
        return Money(self.amount, self.currency)


@dataclass(frozen=True, slots=True)
class SenderInfo:
    """Who signs the message: a user, or the administration's credit department."""

    name: str
    role: str | None = None


@dataclass(frozen=True, slots=True)
class Instalment:
    """One instalment of a payment plan."""

    number: int
    due_date: date
    amount: Money
    payment_link: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "payment_link", normalise_link(self.payment_link))


@dataclass(frozen=True, slots=True)
class PaymentPlanInfo:
    """A payment plan as the confirmation and the instalment reminders describe it."""

    instalments: tuple[Instalment, ...]
    total: Money
    reference: str | None = None

    def __post_init__(self) -> None:
        if not self.instalments:
            raise InvalidMessageContext("a payment plan has at least one instalment")


def normalise_link(link: str | None) -> str | None:
    """Return a link fit to show the debtor, or ``None`` when there is none.

    An empty link means "no link": a template then shows no link at all rather than a dead one.
    Anything but an absolute http(s) URL is refused, so a ``javascript:`` or relative link can
    never end up in a message.
    """
    if link is None or not link.strip():
        return None
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise InvalidMessageContext(f"a link must be an absolute http(s) URL, got {link!r}")
    if any(ch.isspace() or ord(ch) < 32 for ch in link):
        raise InvalidMessageContext("a link may not contain whitespace or control characters")
    return link


@dataclass(frozen=True, slots=True)
class MessageContext:
    """Everything a template may show.

    ``today`` is the business date the message is written on (passed in, never read from a
    clock here). The optional parts are what only some kinds of message need: the collection
    costs for the 14-day letter, the plan and instalment for payment-plan messages, the
    debtor's open credit notes for a reminder, and the user's own subject and text for a free
    message.
    """

    debtor: DebtorInfo
    administration: AdministrationInfo
    sender: SenderInfo
    today: date
    invoices: tuple[InvoiceLine, ...] = ()
    payment_link: str | None = None
    reply_link: str | None = None
    collection_costs: Money | None = None
    collection_costs_maximum: Money | None = None
    payment_plan: PaymentPlanInfo | None = None
    instalment: Instalment | None = None
    message_subject: str | None = None
    message_body: str | None = None
    reference: str | None = None
    credit_notes: tuple[CreditNoteLine, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "payment_link", normalise_link(self.payment_link))
        object.__setattr__(self, "reply_link", normalise_link(self.reply_link))
        # Computed once so a mixed bundle is refused when the context is built, not mid-render.
        _ = self.amount_due

    @property
    def total_open(self) -> Money | None:
        """The summed open amount of the bundle, or ``None`` when there are no invoices.

        A bundle in more than one currency cannot have one total; dunning bundles per currency.
        """
        if not self.invoices:
            return None
        currencies = {invoice.currency for invoice in self.invoices}
        if len(currencies) > 1:
            raise InvalidMessageContext(
                f"invoices in one message must share a currency, got {sorted(currencies)}"
            )
        total = sum((invoice.open_amount for invoice in self.invoices), Decimal("0"))
        return Money(total, self.invoices[0].currency)

    @property
    def amount_due(self) -> Money | None:
        """What the message asks the debtor to pay: the open amount of the bundle less the
        debtor's open credit notes (all in the bundle's currency), or ``None`` without
        invoices."""
        total = self.total_open
        if total is None:
            return None
        other = sorted({c.currency for c in self.credit_notes if c.currency != total.currency})
        if other:
            raise InvalidMessageContext(
                f"credit notes in {', '.join(other)} cannot be taken off a bundle in "
                f"{total.currency}"
            )
        credit = sum((note.open_amount for note in self.credit_notes), Decimal("0"))
        return Money(total.amount + credit, total.currency)
