"""What a case charges and receives: collection costs, statutory interest, remissions,
payments and money that went back. Each rule returns the case with one more entry; the
balances follow from the entries (domain/balances.py).

The user stays in charge: costs and interest are charged when a user (or the administration's
choice) says so, fully or in part, and remitted the same way with a reason on the timeline.
The law sets the limits: a consumer is charged no costs before the 14-day term of a provable
14-day letter has passed, and never more than the scale; nothing is remitted that is not open.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from settle_collection.domain.balances import Balance, letter_term
from settle_collection.domain.cases import (
    Case,
    Entry,
    EntryKind,
    Outcome,
    PaymentSource,
    Status,
    close,
    require_open,
)
from settle_collection.domain.errors import (
    CostsNotYetAllowed,
    NoLegalLetter,
    NotAllowed,
    NothingToCharge,
    RemitTooMuch,
)
from settle_collection.domain.parties import AdministrationSettings, BusinessCosts
from settle_law.allocation import AllocationOrder, Part
from settle_law.wik import (
    DUTCH_VAT_RATE,
    CollectionCosts,
    cents,
    contractual_costs,
    wik_costs,
)

ZERO = Decimal("0.00")


def costs_of(case: Case, settings: AdministrationSettings) -> CollectionCosts:
    """The costs the case may charge in all: the WIK scale on its summed principal, or for a
    business whose administration chose so, the contract's costs; VAT on top when the
    administration cannot deduct it."""
    vat_rate = DUTCH_VAT_RATE if settings.costs_vat else None
    if (
        not case.consumer
        and settings.business_costs is BusinessCosts.CONTRACTUAL
        and settings.contractual_rate is not None
    ):
        return contractual_costs(
            case.principal,
            rate=settings.contractual_rate,
            minimum=settings.contractual_minimum,
            vat_rate=vat_rate,
        )
    return wik_costs(case.principal, vat_rate=vat_rate)


def costs_allowed_from(case: Case, delivery_days: int) -> date | None:
    """The first day costs may be charged: for a consumer the day after the last 14-day term
    of the case's invoices; None for a business (no term). Refused when a consumer's invoice
    has no provable 14-day letter."""
    if not case.consumer:
        return None
    missing = [i.number for i in case.invoices if i.legal_letter_sent_on is None]
    if missing:
        raise NoLegalLetter(
            f"invoice {', '.join(missing)} has no provable 14-day letter: no collection costs "
            "may be charged to a consumer without one (art. 6:96 lid 6 BW)"
        )
    terms = [letter_term(case, invoice, delivery_days) for invoice in case.invoices]
    return max(term.costs_from for term in terms if term is not None)


def charge_costs(
    case: Case,
    settings: AdministrationSettings,
    today: date,
    *,
    amount: Decimal | None = None,
    reason: str | None = None,
) -> Case:
    """Charge collection costs: all the case may charge (less what it charged before), or
    `amount` of it. For a consumer only once the 14-day term has passed."""
    require_open(case, "charge costs")
    allowed_from = costs_allowed_from(case, settings.letter_delivery_days)
    if allowed_from is not None and today < allowed_from:
        raise CostsNotYetAllowed(
            f"the 14-day term of the consumer's letter has not passed: costs may be charged "
            f"from {allowed_from.isoformat()}"
        )
    full = costs_of(case, settings)
    remaining = full.amount - case.costs_charged
    if remaining <= 0:
        raise NothingToCharge(
            f"the costs on a principal of {case.currency} {case.principal} "
            f"({full.amount}) are charged already"
        )
    charged = remaining if amount is None else amount
    if charged <= 0 or charged > remaining:
        raise NotAllowed(
            f"costs between 0.01 and {remaining} can be charged (the {full.basis} costs on "
            f"{case.currency} {case.principal} are {full.amount})"
        )
    vat = cents(charged * DUTCH_VAT_RATE) if settings.costs_vat else ZERO
    return case.with_entry(
        Entry(
            EntryKind.COSTS_CHARGED,
            today,
            amount=cents(charged),
            vat=vat,
            reason=reason,
            detail=f"{full.basis} costs on {case.principal}",
        )
    )


def charge_interest(case: Case, today: date, reason: str | None = None) -> Case:
    """Claim statutory interest: from today on it is owed, from the day it started running."""
    require_open(case, "charge interest")
    if case.interest_claimed:
        raise NothingToCharge("statutory interest is charged already")
    if case.consumer and all(i.legal_letter_sent_on is None for i in case.invoices):
        raise NoLegalLetter(
            "no invoice of the case has a provable 14-day letter, so the consumer's date of "
            "default, from which interest runs, is not known"
        )
    return case.with_entry(Entry(EntryKind.INTEREST_CHARGED, today, reason=reason))


def remit(
    case: Case,
    part: Part,
    amount: Decimal | None,
    reason: str,
    balance: Balance,
    today: date,
) -> Case:
    """Remit (waive) costs or interest: `amount` of what is open, or everything (None; for
    interest this also ends the claim). More than is open is refused."""
    if not case.active or case.status is Status.PROPOSED:
        raise NotAllowed(f"case {case.case_id} is {case.status.value}: nothing can be remitted")
    if part is Part.PRINCIPAL:
        raise NotAllowed("the principal is not remitted: close the case as uncollectable")
    open_amount = balance.open_of(part)
    if part is Part.INTEREST and not balance.interest_claimed:
        raise RemitTooMuch("no interest is charged, so none can be remitted")
    if amount is not None and (amount <= 0 or amount > open_amount):
        raise RemitTooMuch(
            f"{case.currency} {open_amount} of the {part.value} is charged and open: "
            f"{amount} cannot be remitted"
        )
    remitted = open_amount if amount is None else amount
    return case.with_entry(
        Entry(
            EntryKind.REMITTED,
            today,
            part=part,
            amount=remitted,
            reason=reason,
            everything=amount is None,
        )
    )


def receive_payment(
    case: Case,
    payment_id: str,
    amount: Decimal,
    source: PaymentSource,
    on: date,
    *,
    order: AllocationOrder | None = None,
    detail: str | None = None,
) -> Case:
    """Money came in for the case; it is allocated when the balances are replayed. The same
    payment twice is one."""
    if amount <= 0:
        raise NotAllowed("a payment is more than nothing")
    if case.payment(payment_id) is not None:
        return case
    unbooked = case.unbooked + (amount if source is not PaymentSource.BOOKKEEPING else ZERO)
    return case.with_entry(
        Entry(
            EntryKind.PAYMENT,
            on,
            amount=amount,
            payment_id=payment_id,
            source=source,
            order=order,
            detail=detail,
        ),
        unbooked=unbooked,
    )


def booked(case: Case, decrease: Decimal, payment_id: str, on: date) -> Case:
    """Bookkeeping's open amount of a case's invoice fell by `decrease`. What was reported
    outside bookkeeping before (online, by the partner, by a user) is that money being booked;
    only the rest is a new payment."""
    if decrease <= 0:
        return case
    matched = min(decrease, case.unbooked)
    case = replace(case, unbooked=case.unbooked - matched)
    rest = decrease - matched
    if rest <= 0:
        return case
    return receive_payment(case, payment_id, rest, PaymentSource.BOOKKEEPING, on)


def reverse_payment(case: Case, payment_id: str, amount: Decimal, on: date, why: str) -> Case:
    """Money of a payment went back (a refund, a chargeback, an invoice reopened): what it
    paid is owed again. An unknown payment changes nothing."""
    payment = case.payment(payment_id)
    if payment is None or amount <= 0:
        return case
    unbooked = case.unbooked
    if payment.source is not PaymentSource.BOOKKEEPING:
        unbooked -= min(amount, unbooked)
    return case.with_entry(
        Entry(EntryKind.PAYMENT_REVERSED, on, amount=amount, payment_id=payment_id, reason=why),
        unbooked=unbooked,
    )


def change_allocation(case: Case, payment_id: str, order: AllocationOrder, today: date) -> Case:
    """A user chooses another order for one payment (the law's order is the default)."""
    if case.payment(payment_id) is None:
        raise NotAllowed(f"case {case.case_id} has no payment {payment_id!r}")
    return case.with_entry(
        Entry(EntryKind.ALLOCATION_CHANGED, today, payment_id=payment_id, order=order)
    )


def close_when_paid(
    case: Case, settings: AdministrationSettings, balance: Balance, today: date
) -> Case | None:
    """The case closed by what was paid, or None: paid when nothing is open; with the
    principal paid and the administration's choice to close then, the rest remitted."""
    if not case.is_open or balance.principal_open > 0:
        return None
    if balance.total <= 0:
        return close(case, Outcome.PAID, today, "everything is paid")
    if not settings.close_when_principal_paid:
        return None
    why = "the principal is paid; the rest is remitted (the administration's choice)"
    if balance.costs_open > 0:
        case = remit(case, Part.COSTS, None, why, balance, today)
    if balance.interest_open > 0 or balance.interest_claimed:
        case = remit(case, Part.INTEREST, None, why, balance, today)
    return close(case, Outcome.REMITTED, today, why)
