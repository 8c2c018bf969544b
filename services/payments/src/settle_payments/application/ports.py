"""What the use cases need from the edge, as protocols: the PSP, a repository per aggregate
(payments, the payable copy of invoices) and the outbox, all of one transaction together in
`Store`. adapters/ implements them (adapters/psp/mollie.py speaks Mollie's API v2, to Mollie or
to the local PSP); the unit tests implement them in memory.

Another PSP (Stripe, Adyen) is one more module in adapters/psp/ implementing `Psp`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from settle_payments.domain.invoices import PayableInvoice
from settle_payments.domain.payments import Payment, PspReport
from settle_payments.domain.plans import PayablePlan
from settle_payments.domain.statuses import PaymentStatus
from settle_shared.events.base import Event


@dataclass(frozen=True)
class CheckoutRequest:
    """A payment the PSP should open a checkout for."""

    amount: Decimal
    currency: str
    description: str
    redirect_url: str
    webhook_url: str
    methods: tuple[str, ...]
    # Ours, stored at the PSP beside its payment: whose payment it is.
    metadata: dict[str, str] = field(default_factory=dict)
    locale: str | None = None


@dataclass(frozen=True)
class Checkout:
    """The PSP's answer: its id of the payment and where the debtor pays."""

    psp_payment_id: str
    checkout_url: str
    psp_status: str


class Psp(Protocol):
    """A payment service provider. Errors: PspUnavailable (no answer, a 5xx, too many
    requests: try again later) and PspRefused (a 4xx)."""

    @property
    def name(self) -> str:
        """The PSP's name in events and the database (mollie, …)."""

    async def create_payment(self, request: CheckoutRequest, *, idempotency_key: str) -> Checkout:
        """Open a checkout. The same idempotency key again returns the same payment."""

    async def get_payment(self, psp_payment_id: str) -> PspReport:
        """The payment as the PSP has it now, with its refunds and chargebacks."""

    async def create_refund(
        self,
        psp_payment_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        *,
        idempotency_key: str,
    ) -> str:
        """Send money back to the debtor; returns the PSP's refund id."""

    async def close(self) -> None:
        """Release the connections."""


class Payments(Protocol):
    async def get(
        self, payment_id: str, *, administration_id: str | None = None, lock: bool = False
    ) -> Payment | None:
        """A payment (in this administration, when one is given); `lock` holds it until the
        transaction ends, so two reports of one payment are applied one after the other."""

    async def by_idempotency_key(self, administration_id: str, key: str) -> Payment | None: ...

    async def id_of(self, psp: str, psp_payment_id: str) -> str | None:
        """Our id of the payment the PSP calls `psp_payment_id` (one indexed read)."""

    async def add(self, payment: Payment) -> bool:
        """Store a new payment; False when its idempotency key is taken (a request racing
        this one), and nothing is stored."""

    async def set_checkout(self, payment_id: str, checkout: Checkout) -> bool:
        """Record the PSP's checkout of a payment; False when another request did already."""

    async def save(self, payment: Payment, checked_at: datetime) -> None:
        """Write back a payment after a report of the PSP."""

    async def checked(self, payment_id: str, at: datetime, *, refresh_due: bool = False) -> None:
        """Remember when the PSP was last asked (and whether to ask again soon)."""

    async def being_paid(self, administration_id: str, invoice_ids: Sequence[str]) -> set[str]:
        """Which of the invoices a payment in `statuses.covers_invoices` covers."""

    async def instalments_in_flight(
        self, administration_id: str, plan_id: str, counted_at: datetime
    ) -> set[int]:
        """Instalments of the plan whose payment is pending or authorized, or paid after
        `counted_at` (when the plan's copy last changed: dunning has not counted it yet)."""

    async def search(
        self,
        administration_id: str,
        *,
        debtor_id: str | None,
        invoice_id: str | None,
        limit: int,
    ) -> list[Payment]:
        """Payments opened at the PSP, newest first."""

    async def to_refresh(
        self, statuses: frozenset[PaymentStatus], checked_before: datetime, limit: int
    ) -> list[Payment]:
        """Payments to ask the PSP about: in one of `statuses` and not asked since
        `checked_before`, or marked for a refresh after a failed fetch."""


class PayableInvoices(Protocol):
    async def many(
        self, administration_id: str, invoice_ids: Sequence[str]
    ) -> dict[str, PayableInvoice]: ...

    async def get(self, administration_id: str, invoice_id: str) -> PayableInvoice | None: ...

    async def save_many(self, administration_id: str, invoices: Sequence[PayableInvoice]) -> None:
        """Store the copies, new or changed, with one statement."""

    async def debtor_known(self, administration_id: str, debtor_id: str) -> bool:
        """Whether any invoice of the debtor was imported."""


class PayablePlans(Protocol):
    async def get(
        self, administration_id: str, plan_id: str
    ) -> tuple[PayablePlan, datetime] | None:
        """The plan's copy and when it last changed."""

    async def save(self, administration_id: str, plan: PayablePlan, at: datetime) -> None: ...


class Store(Protocol):
    """The repositories and the outbox of one transaction."""

    @property
    def payments(self) -> Payments: ...

    @property
    def invoices(self) -> PayableInvoices: ...

    @property
    def plans(self) -> PayablePlans: ...

    async def stage(
        self,
        administration_id: str,
        events: Sequence[Event],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        """Put events in the outbox, in this transaction."""
