"""A payment: what a debtor pays online for which invoices, and what the PSP made of it.

The amount always comes from our copy of the invoices at the moment the debtor pays
(`plan_payment`), never from the request. What the PSP reports is applied by
`apply_psp_report`, which publishes a change only when the report moves the payment forward
(statuses.may_follow) or brings a refund or chargeback not seen before."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from settle_payments.domain.errors import (
    AlreadyPaidOnline,
    InvoiceNotOpen,
    InvoiceOfAnotherDebtor,
    MixedCurrencies,
    NothingToPay,
    UnknownInvoice,
)
from settle_payments.domain.invoices import PayableInvoice
from settle_payments.domain.money import ZERO, to_amount
from settle_payments.domain.statuses import PaymentStatus, may_follow

# Mollie truncates longer descriptions itself; we keep ours short enough for any method.
DESCRIPTION_LIMIT = 140


@dataclass(frozen=True)
class CoveredInvoice:
    """One invoice a payment pays, with the open amount it had when the debtor paid."""

    invoice_id: str
    number: str
    amount: Decimal


@dataclass(frozen=True)
class PaymentPlan:
    """What a pay request turned into: the invoices, their sum and currency."""

    debtor_id: str
    invoices: tuple[CoveredInvoice, ...]
    amount: Decimal
    currency: str
    # A payment of a payment plan's instalment (domain/plans.py).
    plan_id: str | None = None
    instalment: int | None = None

    @property
    def description(self) -> str:
        """What the debtor sees on the checkout page and the bank statement."""
        numbers = [covered.number for covered in self.invoices]
        text = ("Invoice " if len(numbers) == 1 else "Invoices ") + ", ".join(numbers)
        if self.instalment is not None:
            text = f"Instalment {self.instalment}, " + text[0].lower() + text[1:]
        return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def plan_payment(
    debtor_id: str,
    invoice_ids: Sequence[str],
    known: Mapping[str, PayableInvoice],
    being_paid: Iterable[str] = (),
) -> PaymentPlan:
    """The payment of `invoice_ids` by `debtor_id`, for the open amounts known now.

    Refused when an invoice is unknown (UnknownInvoice), another debtor's, not open, already
    paid online or being paid (`being_paid`), when the currencies differ, or when nothing is
    left to pay (NotPayable's subclasses). An id named twice counts once.
    """
    wanted = list(dict.fromkeys(invoice_ids))
    if not wanted:
        raise NothingToPay()
    busy = set(being_paid)
    invoices: list[PayableInvoice] = []
    for invoice_id in wanted:
        invoice = known.get(invoice_id)
        if invoice is None:
            raise UnknownInvoice(invoice_id)
        if invoice.debtor_id != debtor_id:
            raise InvoiceOfAnotherDebtor(invoice.number)
        if not invoice.is_open:
            raise InvoiceNotOpen(invoice.number)
        if invoice_id in busy:
            raise AlreadyPaidOnline(invoice.number)
        invoices.append(invoice)
    currencies = {invoice.currency for invoice in invoices}
    if len(currencies) > 1:
        raise MixedCurrencies(currencies)
    currency = currencies.pop()
    covered = tuple(
        CoveredInvoice(i.invoice_id, i.number, to_amount(i.open_amount, currency)) for i in invoices
    )
    amount = to_amount(sum((c.amount for c in covered), ZERO), currency)
    if amount <= ZERO:
        raise NothingToPay()
    return PaymentPlan(debtor_id, covered, amount, currency)


@dataclass(frozen=True)
class Refund:
    """Money the PSP sends back to the debtor (part of the payment or all of it)."""

    refund_id: str
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class Chargeback:
    """Money the debtor's bank took back."""

    chargeback_id: str
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class PspReport:
    """A payment as the PSP reports it when asked: its state in our words, the PSP's own
    name for it, the method, and the refunds and chargebacks that count (a refund counts
    once it can no longer be canceled; a reversed chargeback does not count)."""

    psp_payment_id: str
    status: PaymentStatus
    psp_status: str
    method: str | None = None
    refunds: tuple[Refund, ...] = ()
    chargebacks: tuple[Chargeback, ...] = ()

    @property
    def reported_status(self) -> PaymentStatus:
        """The state the report puts the payment in: money that went back weighs most."""
        if self.chargebacks:
            return PaymentStatus.CHARGED_BACK
        if self.refunds:
            return PaymentStatus.REFUNDED
        return self.status


@dataclass(frozen=True)
class Payment:
    """A payment and everything known of it."""

    payment_id: str
    administration_id: str
    debtor_id: str
    invoices: tuple[CoveredInvoice, ...]
    amount: Decimal
    currency: str
    description: str
    redirect_url: str
    idempotency_key: str
    created_at: datetime
    status: PaymentStatus = PaymentStatus.OPEN
    psp: str = "mollie"
    psp_payment_id: str | None = None
    psp_status: str | None = None
    checkout_url: str | None = None
    method: str | None = None
    status_changed_at: datetime | None = None
    refunds: tuple[Refund, ...] = ()
    chargebacks: tuple[Chargeback, ...] = ()
    plan_id: str | None = None
    instalment: int | None = None

    @property
    def amount_refunded(self) -> Decimal:
        """Every refund so far."""
        return to_amount(sum((r.amount for r in self.refunds), ZERO), self.currency)

    @property
    def fully_refunded(self) -> bool:
        return self.amount_refunded >= self.amount

    @property
    def at_psp(self) -> bool:
        """The PSP has opened a checkout for it."""
        return self.psp_payment_id is not None


@dataclass(frozen=True)
class StatusChange:
    previous: PaymentStatus
    status: PaymentStatus
    at: datetime


@dataclass(frozen=True)
class PaymentUpdate:
    """The payment after a PSP report, and what changed: nothing, for a report that is old
    news (a repeated or late webhook)."""

    payment: Payment
    status_change: StatusChange | None = None
    new_refunds: tuple[Refund, ...] = field(default_factory=tuple)
    new_chargebacks: tuple[Chargeback, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        return bool(self.status_change or self.new_refunds or self.new_chargebacks)


def apply_psp_report(payment: Payment, report: PspReport, now: datetime) -> PaymentUpdate:
    """The payment after `report`: a state that moves it forward, refunds and chargebacks
    not seen before (by their PSP id; a known one is never counted twice), the method once
    known. Applying the same report twice changes nothing the second time."""
    known_refunds = {r.refund_id for r in payment.refunds}
    known_chargebacks = {c.chargeback_id for c in payment.chargebacks}
    new_refunds = tuple(r for r in report.refunds if r.refund_id not in known_refunds)
    new_chargebacks = tuple(
        c for c in report.chargebacks if c.chargeback_id not in known_chargebacks
    )
    received = report.status.money_received
    if not (received or payment.status.money_received):
        # Nothing was received, so nothing can go back (a PSP would not report it).
        new_refunds, new_chargebacks = (), ()
    reported = report.reported_status
    change = None
    updated = replace(
        payment,
        refunds=payment.refunds + new_refunds,
        chargebacks=payment.chargebacks + new_chargebacks,
        method=report.method or payment.method,
    )
    if may_follow(payment.status, reported, received=received):
        change = StatusChange(payment.status, reported, now)
        updated = replace(
            updated, status=reported, psp_status=report.psp_status, status_changed_at=now
        )
    return PaymentUpdate(updated, change, new_refunds, new_chargebacks)
