"""Rules a record must meet before Settle accepts it, and how it is normalised.

Every refusal raises ``RecordRejected`` with a sentence a credit manager can act on; sources turn
it into a ``RejectedRecord`` and go on with the next record, so one bad row never aborts a run.

Normalisation:
- money is quantised to two decimals; a value with more significant decimals is refused rather
  than rounded, because silently changing an amount is worse than asking for a fix;
- a credit note gets a negative amount: when a source writes it as a positive document (UBL
  ``CreditNote``, exports with a separate kind column) amount and open amount are negated;
- when a source does not say what kind of document it is, a negative amount means credit note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from settle_importer.domain.currencies import ISO_4217_CURRENCIES
from settle_importer.domain.model import (
    DebtorType,
    DueDateSource,
    ImportedDebtor,
    ImportedInvoice,
    InvoiceKind,
)

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # no real invoice is a billion; such a value is a typo or junk
MAX_NUMBER_LENGTH = 100
EARLIEST_PLAUSIBLE_YEAR = 1900
LATEST_PLAUSIBLE_YEAR = 2199

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_LANGUAGE = re.compile(r"^([A-Za-z]{2})(?:[-_][A-Za-z0-9]+)?$")

# Exports often write the country in full; only the common ones in Dutch bookkeeping are known.
_COUNTRY_NAMES = {
    "nederland": "NL",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "belgie": "BE",
    "belgië": "BE",
    "belgium": "BE",
    "duitsland": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "frankrijk": "FR",
    "france": "FR",
    "luxemburg": "LU",
    "luxembourg": "LU",
    "verenigd koninkrijk": "GB",
    "united kingdom": "GB",
}


class RecordRejected(Exception):
    """One record cannot be imported; the message is the reason shown to the user."""

    def __init__(self, reason: str, reference: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reference = reference


def money(value: Decimal, what: str) -> Decimal:
    """Return ``value`` quantised to cents, or refuse it when it is not a plausible amount."""
    if not value.is_finite():
        raise RecordRejected(f"{what} is not a number")
    if abs(value) > MAX_AMOUNT:
        raise RecordRejected(
            f"{what} {value} is implausibly large (more than {MAX_AMOUNT:,}); check the export"
        )
    cents = value.quantize(CENT)
    if cents != value:
        raise RecordRejected(f"{what} {value} has more than two decimals")
    return cents


def invoice_from_source(
    *,
    number: str,
    debtor_number: str,
    invoice_date: date,
    due_date: date,
    amount: Decimal,
    open_amount: Decimal | None,
    currency: str,
    kind: InvoiceKind | None = None,
    payment_condition: str | None = None,
    pdf_url: str | None = None,
    due_date_source: DueDateSource = "document",
    payment_terms: str | None = None,
    corrects: str | None = None,
) -> ImportedInvoice:
    """Build an ``ImportedInvoice`` from values a source has parsed, or raise ``RecordRejected``.

    ``open_amount`` ``None`` means the source does not know payments: the whole amount is open.
    ``kind`` ``None`` means the source does not say: a negative amount makes it a credit note.
    An open amount with the opposite sign of the document (more was booked than due) is accepted
    here; reconciliation treats it as settled and flags it as a possible bookkeeping error.
    """
    if type(invoice_date) is not date or type(due_date) is not date:
        # A source's bug, not the record's: a datetime would change the stored fingerprint.
        raise TypeError("invoice and due dates must be dates, not datetimes")
    number = number.strip()
    if not number:
        raise RecordRejected("invoice number is empty")
    if len(number) > MAX_NUMBER_LENGTH:
        raise RecordRejected(f"invoice number is longer than {MAX_NUMBER_LENGTH} characters")
    try:
        debtor_number = debtor_number.strip()
        if not debtor_number:
            raise RecordRejected("debtor number is empty")
        read = amount
        amount = money(amount, "amount")
        if open_amount is None or open_amount is read:  # none given, or the same value
            open_amount = amount
        else:
            open_amount = money(open_amount, "open amount")
        if kind is None:
            kind = "credit_note" if amount < 0 else "invoice"
        if kind == "invoice":
            if amount < 0:
                raise RecordRejected(
                    f"invoice amount {amount} is negative; a negative invoice must be a credit note"
                )
            if open_amount > amount:
                raise RecordRejected(
                    f"open amount {open_amount} is larger than the invoice amount {amount}"
                )
        else:
            if amount > 0:
                amount, open_amount = -amount, -open_amount
            if open_amount < amount:
                raise RecordRejected(
                    f"open amount {open_amount} is larger than the credit note amount {amount}"
                )
        if not EARLIEST_PLAUSIBLE_YEAR <= invoice_date.year <= LATEST_PLAUSIBLE_YEAR:
            raise RecordRejected(f"invoice date {invoice_date.isoformat()} is implausible")
        if not EARLIEST_PLAUSIBLE_YEAR <= due_date.year <= LATEST_PLAUSIBLE_YEAR:
            raise RecordRejected(f"due date {due_date.isoformat()} is implausible")
        if due_date < invoice_date:
            raise RecordRejected(
                f"due date {due_date.isoformat()} is before the invoice date "
                f"{invoice_date.isoformat()}"
            )
        currency = currency.strip().upper()
        if currency not in ISO_4217_CURRENCIES:
            raise RecordRejected(f"currency '{currency}' is not an ISO 4217 currency code")
    except RecordRejected as rejected:
        raise RecordRejected(rejected.reason, reference=number) from None
    return ImportedInvoice(
        number,
        debtor_number,
        invoice_date,
        due_date,
        amount,
        open_amount,
        currency,
        (payment_condition and payment_condition.strip()) or None,
        kind,
        (pdf_url and pdf_url.strip()) or None,
        due_date_source,
        _optional(payment_terms),
        _optional(corrects),
    )


def with_default_term(invoice: ImportedInvoice, days: int) -> ImportedInvoice:
    """The invoice due ``days`` after its invoice date when its source gave neither a due date
    nor payment terms (``due_date_source`` ``default_term``); any other invoice unchanged."""
    if invoice.due_date_source != "default_term":
        return invoice
    return replace(invoice, due_date=invoice.invoice_date + timedelta(days=days))


def debtor_from_source(
    *,
    number: str,
    name: str,
    type: DebtorType = "business",
    emails: Iterable[str] = (),
    phone: str | None = None,
    address_lines: Iterable[str] = (),
    postal_code: str | None = None,
    city: str | None = None,
    country: str | None = None,
    language: str | None = None,
) -> ImportedDebtor:
    """Build an ``ImportedDebtor`` from parsed values, or raise ``RecordRejected``.

    Empty optional values become ``None``; the country becomes an ISO 3166 two-letter code in
    upper case (a few country names common in Dutch exports are recognised), the language an
    ISO 639-1 code in lower case ("nl-NL" becomes "nl").
    """
    number = number.strip()
    if not number:
        raise RecordRejected("debtor number is empty")
    name = name.strip()
    if not name:
        raise RecordRejected(f"debtor {number} has no name")
    cleaned_emails: list[str] = []
    for email in emails:
        email = email.strip()
        if not email:
            continue
        if not _EMAIL.match(email):
            raise RecordRejected(f"debtor {number}: '{email}' is not an email address")
        if email not in cleaned_emails:
            cleaned_emails.append(email)
    return ImportedDebtor(
        number=number,
        name=name,
        type=type,
        emails=tuple(cleaned_emails),
        phone=_optional(phone),
        address_lines=tuple(line.strip() for line in address_lines if line and line.strip()),
        postal_code=_optional(postal_code),
        city=_optional(city),
        country=_country_code(number, country),
        language=_language_code(number, language),
    )


def _optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _country_code(debtor: str, country: str | None) -> str | None:
    country = _optional(country)
    if country is None:
        return None
    if _COUNTRY.match(country):
        return country.upper()
    known = _COUNTRY_NAMES.get(country.lower())
    if known is None:
        raise RecordRejected(
            f"debtor {debtor}: country '{country}' is not an ISO 3166 two-letter code"
        )
    return known


def _language_code(debtor: str, language: str | None) -> str | None:
    language = _optional(language)
    if language is None:
        return None
    match = _LANGUAGE.match(language)
    if match is None:
        raise RecordRejected(f"debtor {debtor}: language '{language}' is not an ISO 639-1 code")
    return match.group(1).lower()
