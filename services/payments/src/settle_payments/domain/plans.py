"""Paying an instalment of a payment plan: the payments service's copy of each plan (from
dunning's plan events) and the payment of one instalment, for what is left of it.

The amount comes from the plan as dunning published it last, never from the request. The
payment covers the plan's invoices in their order, each for at most its open amount, so the
bookkeeping can book it on the invoices it pays."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from settle_payments.domain.errors import (
    InstalmentBeingPaid,
    InstalmentPaid,
    NothingToPay,
    PlanNotActive,
    PlanOfAnotherDebtor,
    UnknownInstalment,
)
from settle_payments.domain.invoices import PayableInvoice
from settle_payments.domain.money import ZERO, to_amount
from settle_payments.domain.payments import CoveredInvoice, PaymentPlan


@dataclass(frozen=True)
class PlanInstalment:
    """One instalment as dunning published it, with what of it is paid."""

    number: int
    due_on: date
    amount: Decimal
    paid_amount: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.amount - self.paid_amount, ZERO)


@dataclass(frozen=True)
class PayableCase:
    """A collection case the plan covers: its invoices and what collection reports still open
    of its balance (principal, costs and interest), as dunning published it."""

    case_id: str
    invoice_ids: tuple[str, ...]
    open_amount: Decimal


@dataclass(frozen=True)
class PayablePlan:
    """A payment plan as the payments service knows it. `version` is dunning's: an older or
    equal one changes nothing."""

    plan_id: str
    debtor_id: str
    status: str
    currency: str
    invoice_ids: tuple[str, ...]
    instalments: tuple[PlanInstalment, ...]
    version: int
    cases: tuple[PayableCase, ...] = ()


def plan_published(known: PayablePlan | None, published: PayablePlan) -> PayablePlan | None:
    """The copy after a plan event, or None when the event is old news."""
    if known is not None and published.version <= known.version:
        return None
    return published


def instalment_payment(
    plan: PayablePlan,
    debtor_id: str,
    number: int,
    known: Mapping[str, PayableInvoice],
    payments_in_flight: Iterable[int],
) -> PaymentPlan:
    """The payment of instalment `number` of `plan` by `debtor_id`: what is left of it,
    spread over the plan's open invoices in order.

    Refused when the plan is another debtor's, not active (a proposal, expired, finished),
    has no such instalment, the instalment is paid, or a payment of the plan is being made
    (`payments_in_flight`: instalment numbers of its pending or authorized payments)."""
    if plan.debtor_id != debtor_id:
        raise PlanOfAnotherDebtor(plan.plan_id)
    if plan.status != "active":
        raise PlanNotActive(plan.plan_id, plan.status)
    instalment = next((i for i in plan.instalments if i.number == number), None)
    if instalment is None:
        raise UnknownInstalment(plan.plan_id, number)
    if instalment.left <= ZERO:
        raise InstalmentPaid(number)
    if number in set(payments_in_flight):
        raise InstalmentBeingPaid(number)
    wanted = to_amount(instalment.left, plan.currency)
    covered: list[CoveredInvoice] = []
    of_cases = {i for case in plan.cases for i in case.invoice_ids}
    for invoice_id in plan.invoice_ids:
        invoice = known.get(invoice_id)
        if invoice_id in of_cases or invoice is None or not invoice.is_open or wanted <= ZERO:
            continue
        part = min(wanted, to_amount(invoice.open_amount, plan.currency))
        covered.append(CoveredInvoice(invoice_id, invoice.number, part))
        wanted -= part
    # A case's share is at most its open balance (costs and interest beside the invoices'
    # principal), on its first invoice payments knows: collection allocates it to the case.
    for case in plan.cases:
        invoice = next((known[i] for i in case.invoice_ids if i in known), None)
        if invoice is None or wanted <= ZERO:
            continue
        part = min(wanted, to_amount(case.open_amount, plan.currency))
        if part > ZERO:
            covered.append(CoveredInvoice(invoice.invoice_id, invoice.number, part))
            wanted -= part
    amount = to_amount(sum((c.amount for c in covered), ZERO), plan.currency)
    if amount <= ZERO:
        raise NothingToPay()
    return PaymentPlan(
        debtor_id, tuple(covered), amount, plan.currency, plan_id=plan.plan_id, instalment=number
    )
