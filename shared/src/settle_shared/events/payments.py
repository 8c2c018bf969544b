"""What the payments service publishes: online payments a debtor made through the portal, and
what became of them at the PSP. Dunning holds the invoices a payment covers until bookkeeping
books it; the gateway shows payments on timelines and the dashboard."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_shared.events.base import Event, Topic, event, topic

PAYMENTS = topic(
    "payments.payments.v1",
    producer="payments",
    key="debtor_id: a debtor's payments stay in order, so a consumer that holds or releases "
    "the debtor's invoices sees created, paid and refunded in the order they happened",
    description="Online payments: created when a debtor pays from the portal, every change of "
    "state the PSP reports, refunds and chargebacks.",
)

PaymentStatus = Literal[
    "open",
    "pending",
    "authorized",
    "paid",
    "failed",
    "canceled",
    "expired",
    "refunded",
    "charged_back",
]


class CoveredInvoice(BaseModel):
    """One invoice a payment pays, with the open amount it was asked for when it was created."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    invoice_id: str
    amount: Decimal


class PaymentEvent(Event):
    topic: ClassVar[Topic] = PAYMENTS

    administration_id: str
    payment_id: str = Field(description="Settle's id of the payment")
    debtor_id: str
    invoices: list[CoveredInvoice] = Field(description="what the payment covers, per invoice")
    amount: Decimal = Field(description="the whole payment: the sum of the covered invoices")
    currency: str = Field(description="ISO 4217; one payment never mixes currencies")
    plan_id: str | None = Field(
        None, description="the payment plan whose instalment this pays (None: open invoices)"
    )
    instalment: int | None = Field(None, description="the plan's instalment number it pays")

    def key(self) -> str:
        return self.debtor_id

    @property
    def invoice_ids(self) -> list[str]:
        return [covered.invoice_id for covered in self.invoices]


@event
class PaymentCreated(PaymentEvent):
    """A debtor chose to pay in the portal and the PSP opened a checkout for the payment."""

    event_type: ClassVar[str] = "settle.payments.payment.created"

    psp: str = Field(description="which PSP: mollie, …")
    psp_payment_id: str = Field(description="the PSP's id (Mollie: tr_…)")
    created_at: datetime


@event
class PaymentStatusChanged(PaymentEvent):
    """The PSP reported a new state; a late or repeated report of an older state is not one."""

    event_type: ClassVar[str] = "settle.payments.payment.status_changed"

    status: PaymentStatus
    previous_status: PaymentStatus
    psp_status: str = Field(description="the state as the PSP names it")
    method: str | None = Field(None, description="ideal, creditcard, bancontact, …")
    changed_at: datetime


@event
class PaymentRefunded(PaymentEvent):
    """Money went back to the debtor: part of the payment or all of it."""

    event_type: ClassVar[str] = "settle.payments.payment.refunded"

    refunded_amount: Decimal = Field(description="this refund")
    total_refunded: Decimal = Field(description="every refund of the payment so far")
    fully_refunded: bool
    refunded_at: datetime


@event
class PaymentChargedBack(PaymentEvent):
    """The debtor's bank took the money back (a card or SEPA chargeback)."""

    event_type: ClassVar[str] = "settle.payments.payment.charged_back"

    charged_back_amount: Decimal
    charged_back_at: datetime
