"""A case's balances on any date, replayed from its entries.

Costs charged, interest claimed, remissions, payments (each allocated when it came, by
art. 6:44 BW unless a user chose another order for it) and money that went back are applied in
the order of their dates, while the statutory interest of each invoice accrues in between on
what is open of it (settle_law.interest). Replaying keeps every figure explainable: the case
shows each payment's allocation and each invoice's interest periods, and changing the order
of one payment is one more entry, not a rewrite.

Interest runs per invoice: for a business from the day after its due date (commercial rate,
art. 6:119a BW), for a consumer from the day after the 14-day term of its letter (consumer
rate, art. 6:119 BW; without a provable letter no date of default is known and no interest is
computed). Interest accrues whether or not it is charged; it is owed from the day it is charged.
It does not accrue in the days a kept (or running) payment plan paused the case
(domain/plans.py).
A payment's principal part pays the invoices by due date, oldest first; its interest part pays
the oldest interest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from settle_collection.domain.cases import Case, CaseInvoice, Entry, EntryKind, PaymentSource
from settle_collection.domain.plans import interest_pauses
from settle_law.allocation import Allocation, AllocationOrder, Owed, Part, allocate
from settle_law.interest import (
    InterestAccount,
    InterestPeriod,
    RateKind,
    RateTable,
    RateUnknown,
)
from settle_law.letters import LetterTerm, fourteen_day_term
from settle_law.wik import cents

ZERO = Decimal("0.00")
ONE_DAY = timedelta(days=1)


def letter_term(case: Case, invoice: CaseInvoice, delivery_days: int) -> LetterTerm | None:
    """The 14-day letter's term of a consumer's invoice (None for a business, or without a
    provable letter)."""
    if not case.consumer or invoice.legal_letter_sent_on is None:
        return None
    return fourteen_day_term(invoice.legal_letter_sent_on, delivery_days)


def interest_start(case: Case, invoice: CaseInvoice, delivery_days: int) -> date | None:
    """The first day statutory interest runs on an invoice of the case, if known."""
    if not case.consumer:
        return invoice.due_date + ONE_DAY
    term = letter_term(case, invoice, delivery_days)
    return term.costs_from if term is not None else None


def rate_kind(case: Case) -> RateKind:
    """The consumer rate for a consumer, the commercial rate between businesses."""
    return RateKind.CONSUMER if case.consumer else RateKind.COMMERCIAL


@dataclass(frozen=True)
class InvoiceBalance:
    """One invoice of a case: what is open of its principal, its interest and how it ran."""

    invoice_id: str
    number: str
    principal: Decimal
    principal_open: Decimal
    interest_from: date | None
    interest_accrued: Decimal
    interest_open: Decimal
    periods: tuple[InterestPeriod, ...]
    problem: str | None = None


@dataclass(frozen=True)
class PaymentAllocation:
    """A payment and how it was allocated when it came."""

    payment_id: str
    on: date
    source: PaymentSource
    amount: Decimal
    order: AllocationOrder
    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal
    reversed: Decimal = ZERO


@dataclass(frozen=True)
class Balance:
    """What a case's debtor owes on `as_of`, and how it came to be."""

    as_of: date
    currency: str
    principal: Decimal
    principal_open: Decimal
    costs_charged: Decimal  # with VAT
    costs_vat_charged: Decimal
    costs_remitted: Decimal
    costs_open: Decimal  # with VAT
    interest_claimed: bool
    interest_accrued: Decimal  # by law, claimed or not
    interest_remitted: Decimal
    interest_open: Decimal  # owed: claimed, not paid or remitted
    paid: Decimal
    surplus: Decimal
    payments: tuple[PaymentAllocation, ...]
    invoices: tuple[InvoiceBalance, ...]
    rates_confirmed: bool

    @property
    def total(self) -> Decimal:
        """Everything open."""
        return self.principal_open + self.costs_open + self.interest_open

    @property
    def costs_vat_open(self) -> Decimal:
        """The VAT in what is open of the costs (in proportion to what was charged)."""
        if self.costs_charged <= 0:
            return ZERO
        return cents(self.costs_open * self.costs_vat_charged / self.costs_charged)

    def owed(self) -> Owed:
        """What is open of each part, as an allocation sees it."""
        return Owed(self.costs_open, self.interest_open, self.principal_open)

    def open_of(self, part: Part) -> Decimal:
        """What is open of one part."""
        return self.owed().of(part)


@dataclass
class _Paid:
    """What one payment paid, per invoice, to give it back when the money goes back."""

    allocation: PaymentAllocation
    principal: list[tuple[str, Decimal]] = field(default_factory=list)
    interest: list[tuple[str, Decimal]] = field(default_factory=list)
    costs: Decimal = ZERO
    reversed: Decimal = ZERO


def case_balance(case: Case, as_of: date, table: RateTable, delivery_days: int) -> Balance:
    """Replay the case's entries up to and including `as_of` and accrue interest up to it."""
    kind = rate_kind(case)
    invoices = sorted(case.invoices, key=lambda i: (i.due_date, i.invoice_id))
    accounts: dict[str, InterestAccount] = {}
    principal_left: dict[str, Decimal] = {i.invoice_id: i.principal for i in invoices}
    problems: dict[str, str] = {}
    for invoice in invoices:
        start = interest_start(case, invoice, delivery_days)
        if start is None:
            problems[invoice.invoice_id] = (
                "no provable 14-day letter: the date of default is not known"
            )
            continue
        accounts[invoice.invoice_id] = InterestAccount(kind, start, invoice.principal, table)

    orders: dict[str, AllocationOrder] = {}
    for entry in case.entries:
        if entry.payment_id is not None and entry.order is not None:
            if entry.kind in (EntryKind.PAYMENT, EntryKind.ALLOCATION_CHANGED):
                orders[entry.payment_id] = entry.order

    costs_charged = costs_vat = costs_remitted = costs_open = ZERO
    interest_remitted = paid = surplus = ZERO
    claimed = False
    payments: dict[str, _Paid] = {}

    pauses = interest_pauses(case)

    def accrue(until: date) -> None:
        # A kept (or running) payment plan's days bear no interest (domain/plans.py).
        for begin, end in pauses:
            if begin >= until:
                break
            accrue_plainly(begin)
            skip_to(min(end or until, until))
        accrue_plainly(until)

    def skip_to(day: date) -> None:
        for account in accounts.values():
            account.accrued_to = max(account.accrued_to, day)

    def accrue_plainly(until: date) -> None:
        for invoice_id, account in accounts.items():
            if account.accrued_to < until:
                try:
                    account.accrue(until)
                except RateUnknown as exc:
                    problems[invoice_id] = str(exc)
                    account.accrued_to = until

    def open_interest() -> Decimal:
        return cents(sum((a.open_interest for a in accounts.values()), Decimal(0)))

    def pay_interest(amount: Decimal) -> list[tuple[str, Decimal]]:
        shares, left = [], amount
        for invoice_id, account in accounts.items():
            share = min(left, account.open_interest)
            if share > 0:
                account.pay_interest(share)
                shares.append((invoice_id, share))
                left -= share
        for account in accounts.values():  # the rounding of the cents
            if account.open_interest < Decimal("0.005"):
                account.pay_interest(account.open_interest)
        return shares

    def pay_principal(amount: Decimal) -> list[tuple[str, Decimal]]:
        shares, left = [], amount
        for invoice in invoices:
            share = min(left, principal_left[invoice.invoice_id])
            if share > 0:
                principal_left[invoice.invoice_id] -= share
                if invoice.invoice_id in accounts:
                    accounts[invoice.invoice_id].reduce_principal(share)
                shares.append((invoice.invoice_id, share))
                left -= share
        return shares

    dated = sorted(
        (entry for entry in case.entries if entry.on <= as_of),
        key=lambda entry: entry.on,
    )
    for entry in dated:
        accrue(entry.on)
        if entry.kind is EntryKind.COSTS_CHARGED:
            charged = (entry.amount or ZERO) + (entry.vat or ZERO)
            costs_charged += charged
            costs_vat += entry.vat or ZERO
            costs_open += charged
        elif entry.kind is EntryKind.INTEREST_CHARGED:
            claimed = True
        elif entry.kind is EntryKind.REMITTED and entry.part is Part.COSTS:
            amount = min(entry.amount or ZERO, costs_open)
            costs_remitted += amount
            costs_open -= amount
        elif entry.kind is EntryKind.REMITTED and entry.part is Part.INTEREST:
            amount = min(entry.amount or ZERO, open_interest())
            pay_interest(amount)
            interest_remitted += amount
            claimed = claimed and not entry.everything
        elif entry.kind is EntryKind.PAYMENT:
            assert entry.payment_id is not None and entry.amount is not None
            order = orders.get(entry.payment_id, AllocationOrder.STATUTORY)
            owed = Owed(costs_open, open_interest() if claimed else ZERO, _sum(principal_left))
            allocation = allocate(entry.amount, owed, order)
            record = _Paid(_allocation(entry.payment_id, entry, order, allocation))
            record.costs = allocation.costs
            costs_open -= allocation.costs
            record.interest = pay_interest(allocation.interest) if allocation.interest else []
            record.principal = pay_principal(allocation.principal)
            paid += entry.amount
            surplus += allocation.surplus
            payments[entry.payment_id] = record
        elif entry.kind is EntryKind.PAYMENT_REVERSED:
            record_or_none = payments.get(entry.payment_id or "")
            if record_or_none is None or entry.amount is None:
                continue
            back = min(entry.amount, record_or_none.allocation.amount - record_or_none.reversed)
            record_or_none.reversed += back
            paid -= back
            surplus_back = min(back, surplus)
            surplus -= surplus_back
            back -= surplus_back
            # What the payment paid is owed again: principal first, then interest, then costs.
            for invoice_id, share in reversed(record_or_none.principal):
                again = min(back, share)
                principal_left[invoice_id] += again
                if invoice_id in accounts:
                    accounts[invoice_id].principal += again
                back -= again
            for invoice_id, share in reversed(record_or_none.interest):
                again = min(back, share)
                accounts[invoice_id].current += again
                back -= again
            again = min(back, record_or_none.costs)
            costs_open += again
    accrue(as_of)

    invoice_balances = tuple(
        InvoiceBalance(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            principal=invoice.principal,
            principal_open=principal_left[invoice.invoice_id],
            interest_from=interest_start(case, invoice, delivery_days),
            interest_accrued=cents(accounts[invoice.invoice_id].accrued)
            if invoice.invoice_id in accounts
            else ZERO,
            interest_open=cents(accounts[invoice.invoice_id].open_interest)
            if invoice.invoice_id in accounts and claimed
            else ZERO,
            periods=tuple(accounts[invoice.invoice_id].periods)
            if invoice.invoice_id in accounts
            else (),
            problem=problems.get(invoice.invoice_id),
        )
        for invoice in invoices
    )
    allocations = tuple(
        _with_reversed(record.allocation, record.reversed) for record in payments.values()
    )
    return Balance(
        as_of=as_of,
        currency=case.currency,
        principal=case.principal,
        principal_open=_sum(principal_left),
        costs_charged=costs_charged,
        costs_vat_charged=costs_vat,
        costs_remitted=costs_remitted,
        costs_open=costs_open,
        interest_claimed=claimed,
        interest_accrued=cents(sum((a.accrued for a in accounts.values()), Decimal(0))),
        interest_remitted=interest_remitted,
        interest_open=open_interest() if claimed else ZERO,
        paid=paid,
        surplus=surplus,
        payments=allocations,
        invoices=invoice_balances,
        rates_confirmed=all(a.confirmed for a in accounts.values()),
    )


def _sum(amounts: dict[str, Decimal]) -> Decimal:
    return sum(amounts.values(), ZERO)


def _allocation(
    payment_id: str, entry: Entry, order: AllocationOrder, allocation: Allocation
) -> PaymentAllocation:
    assert entry.amount is not None and entry.source is not None
    return PaymentAllocation(
        payment_id=payment_id,
        on=entry.on,
        source=entry.source,
        amount=entry.amount,
        order=order,
        costs=allocation.costs,
        interest=allocation.interest,
        principal=allocation.principal,
        surplus=allocation.surplus,
    )


def _with_reversed(allocation: PaymentAllocation, reversed_amount: Decimal) -> PaymentAllocation:
    if not reversed_amount:
        return allocation
    return replace(allocation, reversed=reversed_amount)
