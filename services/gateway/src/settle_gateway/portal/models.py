"""What the portal's pages show: plain shapes the templates read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from settle_gateway.domain.portal import PortalInvoice


@dataclass(frozen=True)
class InvoiceLine:
    """An open invoice of the debtor, and whether the pay form starts with it chosen."""

    invoice: PortalInvoice
    invoice_date: date | None
    due_date: date | None
    chosen: bool


@dataclass(frozen=True)
class ReminderLine:
    """A message sent to the debtor: when, how and about which invoices."""

    sent_on: date
    channel: str | None
    subject: str | None
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class CreditLine:
    """An open credit note of the debtor (its amount as a positive number)."""

    number: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class PaymentLine:
    """One of the debtor's online payments."""

    created_on: date
    amount: Decimal
    currency: str
    status: str


@dataclass(frozen=True)
class PortalDebtor:
    """Whose portal a link opens: the administration and the debtor, with the debtor's
    language and country (how amounts and dates are written)."""

    administration_name: str
    debtor_name: str
    language: str | None
    country: str | None


@dataclass(frozen=True)
class PortalView:
    """The debtor's page: the open invoices (the reminder's chosen), what of the reminder is
    no longer open, the reminders sent and the payments made."""

    debtor: PortalDebtor
    invoices: tuple[InvoiceLine, ...]
    no_longer_open: tuple[str, ...]
    reminder_total: tuple[Decimal, str] | None
    reminders: tuple[ReminderLine, ...]
    payments: tuple[PaymentLine, ...]
    can_reply: bool
    # The debtor's open credit notes in the reminder's currency, which the reminder deducts.
    credit_notes: tuple[CreditLine, ...] = ()

    @property
    def due_after_credit(self) -> Decimal | None:
        """The reminder's total less the open credit notes (never below zero), as the
        reminder mail says it; None without credit notes."""
        if self.reminder_total is None or not self.credit_notes:
            return None
        credit = sum((c.amount for c in self.credit_notes), Decimal("0.00"))
        return max(self.reminder_total[0] - credit, Decimal("0.00"))


@dataclass(frozen=True)
class OfferLine:
    """The administration's plan offer for what the debtor has open: up to `max_instalments`
    monthly instalments, the first within `first_payment_within_days` days."""

    open_amount: Decimal
    currency: str
    max_instalments: int
    first_payment_within_days: int
