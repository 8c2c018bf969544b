"""Payment plans: a schedule of instalments that replaces the reminder flow of the invoices it
covers.

A plan covers one or more open invoices of one debtor, in one currency. Its schedule is built
from its terms (`build_schedule`): one date (delayed payment), a number of weekly or monthly
instalments, a fixed amount weekly or monthly, or instalments given one by one. Amounts are in
cents and the instalments always add up to the covered amount: the last one absorbs what
rounding leaves.

While a plan is active its invoices are held (`PlanHold`): their flow sends nothing, but the
plan's own messages go out whatever pauses the administration or debtor has (a confirmation
with the schedule, a reminder some days before each instalment, a notice when one is missed).
What is paid comes from two sources: online payments of an instalment (counted as soon as
they are paid) and the open amounts of the daily import (bookkeeping's word); for a case,
what collection allocates to it. An online payment
counts until an import lowers the open amounts by as much, so money paid online and booked
later is never counted twice (`PaymentPlan.paid`).

A plan may also cover collection cases of the same debtor (`PlanCase`): their amount is the
case's balance (principal, costs and interest as collection computes it) on the day the plan is
made. Collection owns the cases: it pauses them while the plan runs and allocates the
instalments paid toward them (art. 6:44 BW); what it reports allocated counts toward the plan
(`case_paid`), and a case it closes is settled for the plan (`case_closed`).

A plan ends in one of four ways: completed (every invoice settled), expired (its last date
and the grace days passed and it is not fully paid: attention on the invoices and the debtor,
the invoices stay held until a person ends or edits it), ended by a person (the flows resume
from that day, one step at a time), or, for a debtor's proposal, rejected.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from functools import cached_property

from settle_dunning.domain.attention import (
    AttentionAction,
    AttentionChange,
    AttentionReason,
    AttentionSubject,
    resolve,
)
from settle_dunning.domain.control import resume_planning
from settle_dunning.domain.errors import FieldError, InvalidPlan, PlanRefused
from settle_dunning.domain.flows import Channel, Flow
from settle_dunning.domain.messages import (
    InvoiceLine,
    MessageRequest,
    PlanInstalmentLine,
    PlanMessage,
    Recipient,
)
from settle_dunning.domain.money import to_amount
from settle_dunning.domain.parties import Administration, Debtor, message_language
from settle_dunning.domain.state import DunningState, PlanHold

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Ten years of monthly instalments: more is a typing error, not a plan.
MAX_INSTALMENTS = 120
# A debtor's reason for a proposal is a sentence or two, not a letter.
MAX_REASON_CHARS = 1000

# Message templates of plan messages (messaging knows them).
CONFIRMATION_TEMPLATE = "payment_plan_confirmation"
REMINDER_TEMPLATE = "payment_plan_instalment_reminder"
MISSED_TEMPLATE = "payment_plan_instalment_missed"
REJECTED_TEMPLATE = "payment_plan_rejected"
PLAN_TEMPLATE_KEYS = frozenset(
    {CONFIRMATION_TEMPLATE, REMINDER_TEMPLATE, MISSED_TEMPLATE, REJECTED_TEMPLATE}
)
# What a plan message's invoice lines name as their step (they are no step of a flow).
PLAN_STEP_ID = "payment-plan"

_MESSAGE_NAMESPACE = uuid.UUID("0b7e9f4e-3c55-4a51-8f0e-5d1f2b6a9c70")


class PlanKind(StrEnum):
    """How the schedule is made."""

    DELAYED = "delayed"  # everything on one later date
    WEEKLY = "weekly"  # a number of equal instalments, a week apart
    MONTHLY = "monthly"  # a number of equal instalments, a month apart
    FIXED_AMOUNT_WEEKLY = "fixed_amount_weekly"  # a fixed amount a week until paid
    FIXED_AMOUNT_MONTHLY = "fixed_amount_monthly"  # a fixed amount a month until paid
    CUSTOM = "custom"  # dates and amounts given one by one

    @property
    def monthly(self) -> bool:
        return self in (PlanKind.MONTHLY, PlanKind.FIXED_AMOUNT_MONTHLY)

    @property
    def fixed_amount(self) -> bool:
        return self in (PlanKind.FIXED_AMOUNT_WEEKLY, PlanKind.FIXED_AMOUNT_MONTHLY)


class PlanStatus(StrEnum):
    """Where a plan stands."""

    REQUESTED = "requested"  # a debtor's proposal, waiting for a person
    ACTIVE = "active"
    EXPIRED = "expired"  # last date passed unpaid: a person ends or edits it
    COMPLETED = "completed"  # every invoice settled
    ENDED = "ended"  # a person ended it
    REJECTED = "rejected"  # a person declined the proposal

    @property
    def holds_invoices(self) -> bool:
        """The plan keeps its invoices' flows waiting."""
        return self in (PlanStatus.REQUESTED, PlanStatus.ACTIVE, PlanStatus.EXPIRED)

    @property
    def finished(self) -> bool:
        return not self.holds_invoices


class ProposedBy(StrEnum):
    USER = "user"
    DEBTOR = "debtor"


@dataclass(frozen=True)
class CustomInstalment:
    """One instalment given by hand."""

    due_on: date
    amount: Decimal


@dataclass(frozen=True)
class PlanTerms:
    """What a person (or a debtor) asks for; `build_schedule` turns it into instalments.

    `instalments` is the number of instalments of the weekly and monthly kinds (a proposal of
    a fixed-amount kind may give it instead of the amount: the amount then follows from it);
    `instalment_amount` the amount of the fixed-amount kinds; `payment_day` the day of the
    month of monthly instalments after the first (the first date's day when not given; a day
    past a month's end falls on its last day); `custom` the instalments of the custom kind.
    """

    kind: PlanKind
    first_date: date
    instalments: int | None = None
    instalment_amount: Decimal | None = None
    payment_day: int | None = None
    custom: tuple[CustomInstalment, ...] = ()


@dataclass(frozen=True)
class Instalment:
    """One instalment of a schedule: its number (from 1), date and amount."""

    number: int
    due_on: date
    amount: Decimal


def add_months(day: date, months: int, payment_day: int | None = None) -> date:
    """`day` moved `months` months on, on `payment_day` (default: the same day of the month),
    or the month's last day when it has no such day: 31 January + 1 month = 28 February."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    wanted = payment_day if payment_day is not None else day.day
    return date(year, month, min(wanted, calendar.monthrange(year, month)[1]))


def _due_dates(terms: PlanTerms, count: int) -> list[date]:
    if terms.kind.monthly:
        return [
            terms.first_date if i == 0 else add_months(terms.first_date, i, terms.payment_day)
            for i in range(count)
        ]
    return [terms.first_date + timedelta(weeks=i) for i in range(count)]


def split_evenly(covered: Decimal, count: int) -> list[Decimal]:
    """`covered` in `count` instalments of whole cents: equal ones, rounded down, and the last
    absorbs the difference. 100.00 in 3: 33.33, 33.33, 33.34."""
    base = (covered / count).quantize(CENT, rounding=ROUND_DOWN)
    return [base] * (count - 1) + [covered - base * (count - 1)]


def split_by_amount(covered: Decimal, amount: Decimal) -> list[Decimal]:
    """`covered` in instalments of `amount`, the last one what is left (at most `amount`).
    100.00 by 30.00: 30.00, 30.00, 30.00, 10.00."""
    full, rest = divmod(covered, amount)
    amounts = [amount] * int(full)
    if rest:
        amounts.append(rest)
    return amounts


def build_schedule(terms: PlanTerms, covered: Decimal, today: date) -> tuple[Instalment, ...]:
    """The instalments of `terms` for `covered`, which add up to `covered` to the cent.

    Refused (InvalidPlan, every problem at once) when the first date is before `today`, the
    covered amount is not positive, a number of instalments is not positive, above
    MAX_INSTALMENTS or above the number of cents covered (an instalment of less than a cent),
    an amount is zero or negative or not in whole cents, a payment day is not a day of a
    month, or custom instalments do not add up to `covered` or their dates do not go forward.
    """
    covered = to_amount(covered)
    errors: list[FieldError] = []
    cents = int(covered / CENT)
    if covered <= ZERO:
        raise InvalidPlan([FieldError("invoice_ids", "there is nothing open to plan")])
    if terms.kind is PlanKind.CUSTOM:
        return _custom_schedule(terms, covered, today)
    if terms.first_date < today:
        errors.append(
            FieldError("first_date", f"{terms.first_date} is in the past (today is {today})")
        )
    if terms.payment_day is not None and not 1 <= terms.payment_day <= 31:
        errors.append(FieldError("payment_day", "a day of the month is 1 to 31"))
    amounts: list[Decimal] = []
    if terms.kind is PlanKind.DELAYED:
        amounts = [covered]
    elif terms.kind.fixed_amount and terms.instalment_amount is not None:
        amount = terms.instalment_amount
        if amount <= ZERO:
            errors.append(FieldError("instalment_amount", "must be more than zero"))
        elif amount != amount.quantize(CENT):
            errors.append(FieldError("instalment_amount", "must be in whole cents"))
        else:
            needed = int(-(-covered // amount))
            if needed > MAX_INSTALMENTS:
                errors.append(
                    FieldError(
                        "instalment_amount",
                        f"{amount} would take {needed} instalments to pay {covered}; at most "
                        f"{MAX_INSTALMENTS} are allowed",
                    )
                )
            else:
                amounts = split_by_amount(covered, amount)
    else:
        count_field = "instalments"
        count = terms.instalments
        if count is None:
            wanted = "instalment_amount" if terms.kind.fixed_amount else "instalments"
            errors.append(FieldError(wanted, f"a {terms.kind.value} plan needs {wanted}"))
        elif count < 1:
            errors.append(FieldError(count_field, "at least one instalment"))
        elif count > cents:
            errors.append(
                FieldError(
                    count_field,
                    f"{count} instalments is more than the {cents} cents covered: each "
                    "instalment must be at least one cent",
                )
            )
        elif count > MAX_INSTALMENTS:
            errors.append(FieldError(count_field, f"at most {MAX_INSTALMENTS} instalments"))
        else:
            amounts = split_evenly(covered, count)
    if errors:
        raise InvalidPlan(errors)
    dates = _due_dates(terms, len(amounts))
    return tuple(
        Instalment(i + 1, d, a) for i, (d, a) in enumerate(zip(dates, amounts, strict=True))
    )


def _custom_schedule(terms: PlanTerms, covered: Decimal, today: date) -> tuple[Instalment, ...]:
    errors: list[FieldError] = []
    given = terms.custom
    if not given:
        raise InvalidPlan([FieldError("custom", "give at least one instalment")])
    if len(given) > MAX_INSTALMENTS:
        raise InvalidPlan([FieldError("custom", f"at most {MAX_INSTALMENTS} instalments")])
    previous: date | None = None
    for i, item in enumerate(given):
        if item.amount <= ZERO:
            errors.append(FieldError(f"custom[{i}].amount", "must be more than zero"))
        elif item.amount != item.amount.quantize(CENT):
            errors.append(FieldError(f"custom[{i}].amount", "must be in whole cents"))
        if item.due_on < today:
            errors.append(
                FieldError(
                    f"custom[{i}].due_on", f"{item.due_on} is in the past (today is {today})"
                )
            )
        if previous is not None and item.due_on <= previous:
            errors.append(
                FieldError(f"custom[{i}].due_on", "each instalment comes after the one before")
            )
        previous = item.due_on
    total = sum((item.amount for item in given), ZERO)
    if not errors and total != covered:
        errors.append(
            FieldError(
                "custom",
                f"the instalments add up to {total}, but the plan covers {covered}: they must "
                "add up to it exactly",
            )
        )
    if errors:
        raise InvalidPlan(errors)
    return tuple(
        Instalment(i + 1, item.due_on, to_amount(item.amount)) for i, item in enumerate(given)
    )


@dataclass(frozen=True)
class InstalmentProgress:
    """An instalment with what of it is paid and whether it was missed."""

    instalment: Instalment
    paid_amount: Decimal
    missed: bool

    @property
    def paid(self) -> bool:
        return self.paid_amount >= self.instalment.amount

    @property
    def left(self) -> Decimal:
        return self.instalment.amount - self.paid_amount

    @property
    def status(self) -> str:
        if self.paid:
            return "paid"
        return "missed" if self.missed else "open"


# What collection says a case is, when a person names it in a plan (read when the plan is
# made; see `CaseToCover`).
COVERABLE_CASE_STATUS = "open"
PARTNER_STEPS = frozenset({"pre_court", "with_bailiff"})


@dataclass(frozen=True)
class CaseToCover:
    """A collection case as collection reported it when a person asked for a plan over it:
    its debtor, currency, status, step, invoices and its balance on that day."""

    case_id: str
    debtor_id: str
    currency: str
    status: str
    step: str
    invoice_ids: tuple[str, ...]
    balance: Decimal


@dataclass(frozen=True)
class PlanCase:
    """A collection case the plan covers: its balance when the plan was made (`covered`) and
    what of it is still open (`open`): lowered by what collection allocates to it, zero once
    collection closed it."""

    case_id: str
    invoice_ids: tuple[str, ...]
    covered: Decimal
    open: Decimal
    closed: bool = False


@dataclass(frozen=True)
class PaymentPlan:
    """A payment plan and everything dunning knows of it.

    What is paid is counted from `baseline_open` (the invoices' open total when the plan was
    made) down to the open amounts the import reports (`open_amounts`), plus online payments
    not yet booked (`unbooked_online`). `paid_before_schedule` is what was paid when the
    current schedule was made (an edit), so the schedule counts only what came after it.
    `in_flight` are payments of an instalment the PSP has not decided yet: the schedule cannot
    change under them. `reminded` and `missed_notified` are the instalments whose reminder or
    missed notice went out, so a run on the same day sends nothing twice.
    """

    id: str
    debtor_id: str
    invoice_ids: tuple[str, ...]
    currency: str
    terms: PlanTerms
    instalments: tuple[Instalment, ...]
    status: PlanStatus
    proposed_by: ProposedBy
    created_on: date
    baseline_open: Decimal
    open_amounts: tuple[tuple[str, Decimal], ...]
    reason: str | None = None
    started_on: date | None = None
    ended_on: date | None = None
    unbooked_online: Decimal = ZERO
    paid_before_schedule: Decimal = ZERO
    counted_payments: tuple[str, ...] = ()
    in_flight: tuple[str, ...] = ()
    reminded: tuple[int, ...] = ()
    missed_notified: tuple[int, ...] = ()
    version: int = 1
    cases: tuple[PlanCase, ...] = ()

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(c.case_id for c in self.cases)

    @property
    def all_invoice_ids(self) -> tuple[str, ...]:
        """The plan's own invoices, then its cases' invoices."""
        return (*self.invoice_ids, *(i for c in self.cases for i in c.invoice_ids))

    @cached_property
    def covered(self) -> Decimal:
        """What the current schedule covers."""
        return sum((i.amount for i in self.instalments), ZERO)

    @property
    def open_total(self) -> Decimal:
        """The invoices' open amounts as the import reported them last, and what is open of
        the cases as collection reported it."""
        return sum((amount for _, amount in self.open_amounts), ZERO) + sum(
            (c.open for c in self.cases), ZERO
        )

    @property
    def paid(self) -> Decimal:
        """Everything paid since the plan was made: booked (the open amounts went down) and
        paid online but not booked yet."""
        booked = max(self.baseline_open - self.open_total, ZERO)
        return booked + self.unbooked_online

    @cached_property
    def paid_toward_schedule(self) -> Decimal:
        """What of the current schedule is paid."""
        return min(max(self.paid - self.paid_before_schedule, ZERO), self.covered)

    @property
    def left(self) -> Decimal:
        """What the schedule still asks."""
        return self.covered - self.paid_toward_schedule

    @property
    def settled(self) -> bool:
        """Every invoice of the plan is settled in bookkeeping and every case is paid off or
        closed."""
        return all(amount <= ZERO for _, amount in self.open_amounts) and all(
            c.closed or c.open <= ZERO for c in self.cases
        )

    @property
    def last_date(self) -> date:
        return self.instalments[-1].due_on

    def progress(self) -> tuple[InstalmentProgress, ...]:
        """Each instalment with what of it is paid: payments count in order, the earliest
        instalment first."""
        return self._progress

    # A plan is a value: what follows from its fields is worked out once per value.
    @cached_property
    def _progress(self) -> tuple[InstalmentProgress, ...]:
        remaining = self.paid_toward_schedule
        result = []
        for instalment in self.instalments:
            paid = min(remaining, instalment.amount)
            remaining -= paid
            result.append(
                InstalmentProgress(instalment, paid, instalment.number in self.missed_notified)
            )
        return tuple(result)

    def instalment(self, number: int) -> InstalmentProgress:
        """The progress of instalment `number`."""
        for item in self.progress():
            if item.instalment.number == number:
                return item
        raise PlanRefused(f"payment plan {self.id} has no instalment {number}", "no_instalment")


@dataclass(frozen=True)
class PlanSettings:
    """The plan rules' tuning: how many days before an instalment its reminder goes out, and
    how many days after its date an unpaid instalment counts as missed (time for a bank
    transfer to be booked); the plan expires that many days after its last date."""

    reminder_days: int = 3
    grace_days: int = 2


def next_action_on(plan: PaymentPlan, settings: PlanSettings) -> date | None:
    """The first day the daily run has something to do for the plan (a reminder, a missed
    instalment, the expiry), or None when nothing is left to do. This is the value to index:
    the run selects `next_action_on <= business date`."""
    if plan.status is not PlanStatus.ACTIVE:
        return None
    days: list[date] = []
    grace = timedelta(days=settings.grace_days)
    for item in plan.progress():
        if item.paid:
            continue
        number = item.instalment.number
        if number not in plan.reminded:
            days.append(item.instalment.due_on - timedelta(days=settings.reminder_days))
        if number not in plan.missed_notified:
            days.append(item.instalment.due_on + grace + timedelta(days=1))
    if plan.left > ZERO:
        days.append(plan.last_date + grace + timedelta(days=1))
    return min(days) if days else None


# --- making a plan ------------------------------------------------------------------------


def _check_invoices(
    states: Sequence[DunningState],
    invoice_ids: Sequence[str],
    plan_id: str | None = None,
    *,
    with_cases: bool = False,
) -> None:
    """Refuse invoices that cannot be in one plan together."""
    if not invoice_ids and not with_cases:
        raise InvalidPlan([FieldError("invoice_ids", "choose at least one invoice or case")])
    if len(set(invoice_ids)) != len(invoice_ids):
        raise InvalidPlan([FieldError("invoice_ids", "an invoice is named twice")])
    debtors = {s.invoice.debtor_id for s in states}
    if len(debtors) > 1:
        raise PlanRefused(
            "the invoices belong to more than one debtor; a plan covers one debtor's invoices",
            "several_debtors",
        )
    currencies = {s.invoice.currency for s in states}
    if len(currencies) > 1:
        raise PlanRefused(
            "the invoices are in more than one currency ("
            + ", ".join(sorted(currencies))
            + "); a plan is in one currency",
            "mixed_currencies",
        )
    for state in states:
        number = state.invoice.number
        if state.settled or state.invoice.open_amount <= ZERO:
            raise PlanRefused(f"invoice {number} is settled: nothing of it to plan", "settled")
        if state.phase.belongs_to_collection:
            raise PlanRefused(
                f"invoice {number} is in collection: name its case in the plan instead",
                "in_collection",
            )
        if state.plan_hold is not None and state.plan_hold.plan_id != plan_id:
            raise PlanRefused(
                f"invoice {number} is already in payment plan {state.plan_hold.plan_id}; end "
                "that plan first or edit it",
                "already_in_plan",
            )


def check_cases(
    cases: Sequence[CaseToCover],
    states: Sequence[DunningState],
    in_other_plans: dict[str, str],
) -> None:
    """Refuse cases that cannot be in one plan with each other and with the invoices of
    `states`: a case of another debtor or in another currency, a case that is not open
    (proposed, declined or closed), one the partner has (forwarded: the partner collects
    it), one with nothing open, and one already in a plan (`in_other_plans`: case id to the
    plan holding it). An unknown case is refused before (collection does not know it)."""
    if len({c.case_id for c in cases}) != len(cases):
        raise InvalidPlan([FieldError("case_ids", "a case is named twice")])
    debtors = {s.invoice.debtor_id for s in states} | {c.debtor_id for c in cases}
    if len(debtors) > 1:
        raise PlanRefused(
            "the invoices and cases belong to more than one debtor; a plan covers one debtor's "
            "invoices and cases",
            "several_debtors",
        )
    currencies = {s.invoice.currency for s in states} | {c.currency for c in cases}
    if len(currencies) > 1:
        raise PlanRefused(
            "the invoices and cases are in more than one currency ("
            + ", ".join(sorted(currencies))
            + "); a plan is in one currency",
            "mixed_currencies",
        )
    for case in cases:
        if case.status != COVERABLE_CASE_STATUS:
            raise PlanRefused(
                f"case {case.case_id} is {case.status}: only an open case can be in a plan",
                "case_not_open",
            )
        if case.step in PARTNER_STEPS:
            raise PlanRefused(
                f"case {case.case_id} is with the collection partner ({case.step}); the partner "
                "agrees payment plans for it",
                "case_with_partner",
            )
        if case.balance <= ZERO:
            raise PlanRefused(f"case {case.case_id} has nothing open to plan", "settled")
        if case.case_id in in_other_plans:
            raise PlanRefused(
                f"case {case.case_id} is already in payment plan {in_other_plans[case.case_id]}; "
                "end that plan first or edit it",
                "already_in_plan",
            )


def make_plan(
    plan_id: str,
    states: Sequence[DunningState],
    invoice_ids: Sequence[str],
    terms: PlanTerms,
    business_date: date,
    *,
    proposed_by: ProposedBy = ProposedBy.USER,
    reason: str | None = None,
    within_offer: bool = False,
    cases: Sequence[CaseToCover] = (),
    in_other_plans: dict[str, str] | None = None,
) -> PaymentPlan:
    """A new plan over the invoices of `states` (in the order of `invoice_ids`) and the
    collection `cases` (each for its balance): active when a person makes it or the debtor
    proposes it within the administration's offer (`within_offer`, see
    domain/plan_offers.py), requested when the debtor proposes another.

    Refused (PlanRefused) when the invoices and cases belong to several debtors, are in
    several currencies, are settled, in collection (name the case instead) or in another plan,
    and as `check_cases` says for the cases; the schedule's own rules are `build_schedule`'s
    (InvalidPlan).
    """
    _check_invoices(states, invoice_ids, with_cases=bool(cases))
    if cases:
        if proposed_by is ProposedBy.DEBTOR:
            raise PlanRefused("a debtor's proposal covers invoices only", "cases_by_debtor")
        check_cases(cases, states, in_other_plans or {})
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise InvalidPlan([FieldError("reason", f"at most {MAX_REASON_CHARS} characters")])
    by_id = {s.invoice_id: s for s in states}
    ordered = [by_id[i] for i in invoice_ids]
    open_amounts = tuple((s.invoice_id, s.invoice.open_amount) for s in ordered)
    plan_cases = tuple(
        PlanCase(c.case_id, c.invoice_ids, to_amount(c.balance), to_amount(c.balance))
        for c in cases
    )
    covered = sum((amount for _, amount in open_amounts), ZERO) + sum(
        (c.covered for c in plan_cases), ZERO
    )
    instalments = build_schedule(terms, covered, business_date)
    requested = proposed_by is ProposedBy.DEBTOR and not within_offer
    return PaymentPlan(
        id=plan_id,
        debtor_id=ordered[0].invoice.debtor_id if ordered else cases[0].debtor_id,
        invoice_ids=tuple(invoice_ids),
        cases=plan_cases,
        currency=ordered[0].invoice.currency if ordered else cases[0].currency,
        terms=terms,
        instalments=instalments,
        status=PlanStatus.REQUESTED if requested else PlanStatus.ACTIVE,
        proposed_by=proposed_by,
        created_on=business_date,
        started_on=None if requested else business_date,
        baseline_open=covered,
        open_amounts=open_amounts,
        reason=reason,
    )


def hold_for_plan(state: DunningState, plan: PaymentPlan) -> DunningState:
    """The invoice held by the plan: its flow sends nothing while the plan runs (or while the
    debtor's proposal waits)."""
    return replace(
        state, plan_hold=PlanHold(plan.id, requested=plan.status is PlanStatus.REQUESTED)
    )


def release_from_plan(state: DunningState, flow: Flow, business_date: date) -> DunningState:
    """The plan no longer holds the invoice: its flow resumes from `business_date`. A step
    that fell due meanwhile is planned on that day (the next sending day), the ones after it
    from its execution: one step, never a burst of every step missed."""
    released = replace(state, plan_hold=None)
    if released.settled:
        return released
    return resume_planning(released, flow, business_date)


def _require_unchanged_by_payments(plan: PaymentPlan, action: str) -> None:
    if plan.in_flight:
        raise PlanRefused(
            f"a payment of an instalment of plan {plan.id} is being made right now; {action} "
            "when it is paid or has failed (usually within minutes)",
            "payment_in_flight",
        )


def _bump(plan: PaymentPlan, **changes: object) -> PaymentPlan:
    return replace(plan, version=plan.version + 1, **changes)  # type: ignore[arg-type]


def approve_plan(
    plan: PaymentPlan, business_date: date, terms: PlanTerms | None = None
) -> PaymentPlan:
    """A person approves a debtor's proposal, as proposed or with other terms (a change):
    the plan starts. The schedule is made again when the terms change or its first date has
    passed meanwhile is refused like any schedule in the past."""
    if plan.status is not PlanStatus.REQUESTED:
        raise PlanRefused(f"plan {plan.id} is {plan.status.value}, not a proposal", "not_requested")
    chosen = terms or plan.terms
    instalments = build_schedule(chosen, plan.baseline_open - plan.paid, business_date)
    return _bump(
        plan,
        terms=chosen,
        instalments=instalments,
        status=PlanStatus.ACTIVE,
        started_on=business_date,
        paid_before_schedule=plan.paid,
    )


def reject_plan(plan: PaymentPlan, business_date: date) -> PaymentPlan:
    """A person declines a debtor's proposal."""
    if plan.status is not PlanStatus.REQUESTED:
        raise PlanRefused(f"plan {plan.id} is {plan.status.value}, not a proposal", "not_requested")
    return _bump(plan, status=PlanStatus.REJECTED, ended_on=business_date)


def edit_plan(plan: PaymentPlan, terms: PlanTerms, business_date: date) -> PaymentPlan:
    """A new schedule for what is left of the same invoices, of an active or expired plan.
    What was paid stays paid; reminders and missed notices start afresh. Refused while a
    payment of an instalment is in flight, and for a plan that has finished."""
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.EXPIRED):
        raise PlanRefused(
            f"plan {plan.id} is {plan.status.value}; only an active or expired plan can be edited",
            "not_editable",
        )
    _require_unchanged_by_payments(plan, "edit it")
    left = max(plan.baseline_open - plan.paid, ZERO)
    instalments = build_schedule(terms, left, business_date)
    return _bump(
        plan,
        terms=terms,
        instalments=instalments,
        status=PlanStatus.ACTIVE,
        paid_before_schedule=plan.paid,
        reminded=(),
        missed_notified=(),
        ended_on=None,
    )


def end_plan(plan: PaymentPlan, business_date: date) -> PaymentPlan:
    """A person ends an active or expired plan: the invoices' flows resume."""
    if plan.status not in (PlanStatus.ACTIVE, PlanStatus.EXPIRED):
        raise PlanRefused(
            f"plan {plan.id} is {plan.status.value}; only an active or expired plan can be ended",
            "not_endable",
        )
    _require_unchanged_by_payments(plan, "end it")
    return _bump(plan, status=PlanStatus.ENDED, ended_on=business_date)


# --- payments and imports -----------------------------------------------------------------


def payment_started(plan: PaymentPlan, payment_id: str) -> PaymentPlan:
    """A payment of an instalment was opened at the PSP: the schedule waits for its outcome."""
    if payment_id in plan.in_flight or payment_id in plan.counted_payments:
        return plan
    return replace(plan, in_flight=(*plan.in_flight, payment_id))


def payment_paid(plan: PaymentPlan, payment_id: str, amount: Decimal) -> PaymentPlan:
    """A payment of an instalment was paid: it counts at once (once per payment), until the
    import books it."""
    in_flight = tuple(p for p in plan.in_flight if p != payment_id)
    if payment_id in plan.counted_payments:
        return replace(plan, in_flight=in_flight)
    if to_amount(amount) == ZERO:
        # All of it pays the plan's cases: it counts when collection allocates it, and the
        # plan changes (and is published) only then, so the payments service keeps the
        # instalment's payment in flight until it does.
        return replace(
            plan, in_flight=in_flight, counted_payments=(*plan.counted_payments, payment_id)
        )
    return _bump(
        plan,
        in_flight=in_flight,
        unbooked_online=plan.unbooked_online + to_amount(amount),
        counted_payments=(*plan.counted_payments, payment_id),
    )


def payment_failed(plan: PaymentPlan, payment_id: str) -> PaymentPlan:
    """A payment of an instalment failed, was canceled or expired: nothing counts."""
    return replace(plan, in_flight=tuple(p for p in plan.in_flight if p != payment_id))


def payment_reversed(plan: PaymentPlan, payment_id: str, amount: Decimal) -> PaymentPlan:
    """Money of a counted payment went back (a refund or chargeback): it no longer counts.
    Money the import booked already comes back through the import (the open amount rises)."""
    if payment_id not in plan.counted_payments:
        return plan
    return _bump(plan, unbooked_online=max(plan.unbooked_online - to_amount(amount), ZERO))


def open_amount_imported(plan: PaymentPlan, invoice_id: str, open_amount: Decimal) -> PaymentPlan:
    """The import reported an invoice's open amount (settled: zero). Whatever it went down by
    books online payments first, so they are not counted twice."""
    if invoice_id not in plan.invoice_ids:
        return plan
    amount = max(to_amount(open_amount), ZERO)
    before = dict(plan.open_amounts)
    if before.get(invoice_id) == amount:
        return plan
    booked_before = max(plan.baseline_open - plan.open_total, ZERO)
    after = tuple((i, amount if i == invoice_id else a) for i, a in plan.open_amounts)
    booked_after = max(plan.baseline_open - replace(plan, open_amounts=after).open_total, ZERO)
    newly_booked = max(booked_after - booked_before, ZERO)
    return _bump(
        plan,
        open_amounts=after,
        unbooked_online=max(plan.unbooked_online - newly_booked, ZERO),
    )


def _case_moved(plan: PaymentPlan, case_id: str, open_amount: Decimal, closed: bool) -> PaymentPlan:
    """What is open of a case of the plan, as collection reported it. Online payments count
    only their share of the plan's own invoices (`own_share`), so money collection allocates
    to a case is counted here and nowhere else."""
    amount = max(to_amount(open_amount), ZERO)
    before = next((c for c in plan.cases if c.case_id == case_id), None)
    if before is None or (before.open == amount and before.closed == closed):
        return plan
    cases = tuple(
        replace(c, open=amount, closed=closed) if c.case_id == case_id else c for c in plan.cases
    )
    return _bump(plan, cases=cases)


def case_paid(plan: PaymentPlan, case_id: str, amount: Decimal) -> PaymentPlan:
    """Collection allocated `amount` to a case of the plan (negative: money went back): what
    is open of the case goes down by it (never below zero, never above what the plan
    covered of it)."""
    case = next((c for c in plan.cases if c.case_id == case_id), None)
    if case is None or case.closed:
        return plan
    open_amount = min(max(case.open - to_amount(amount), ZERO), case.covered)
    return _case_moved(plan, case_id, open_amount, closed=False)


def case_closed(plan: PaymentPlan, case_id: str) -> PaymentPlan:
    """Collection closed a case of the plan (paid, the rest remitted, withdrawn or
    uncollectable): nothing of it is open for the plan any more."""
    return _case_moved(plan, case_id, ZERO, closed=True)


def own_share(plan: PaymentPlan, covered: Iterable[tuple[str, Decimal]]) -> Decimal:
    """What of a payment covers the plan's own invoices (`covered`: invoice id and amount, as
    the payment names them). The rest pays its cases' invoices: collection allocates it and
    `case_paid` counts it."""
    own = set(plan.invoice_ids)
    return to_amount(sum((amount for invoice_id, amount in covered if invoice_id in own), ZERO))


# --- the day ------------------------------------------------------------------------------


class PlanNotice(StrEnum):
    """A message the day sends about a plan."""

    REMINDER = "reminder"
    MISSED = "missed"


@dataclass(frozen=True)
class PlanDay:
    """What a day did to a plan: its state after, the messages to send (each about one
    instalment), and whether it expired."""

    plan: PaymentPlan
    notices: tuple[tuple[PlanNotice, int], ...] = ()
    expired: bool = False
    completed: bool = False


def completed_if_settled(plan: PaymentPlan, business_date: date) -> PaymentPlan:
    """A plan whose invoices are all settled is completed (whatever its status, unless it
    finished already)."""
    if plan.status.finished or not plan.settled:
        return plan
    return _bump(plan, status=PlanStatus.COMPLETED, ended_on=business_date)


def plan_day(plan: PaymentPlan, business_date: date, settings: PlanSettings) -> PlanDay:
    """What `business_date` brings an active plan, whatever pauses the administration or the
    debtor has:

    - a reminder of each unpaid instalment from `reminder_days` before its date until its
      date (once; a run missed for days sends it late rather than not at all, but never after
      the date);
    - a missed notice of each instalment still unpaid `grace_days` after its date (once);
    - the expiry, `grace_days` after the last date, when the schedule is not fully paid.
    """
    if plan.status is not PlanStatus.ACTIVE:
        return PlanDay(plan)
    if plan.settled:
        return PlanDay(completed_if_settled(plan, business_date), completed=True)
    notices: list[tuple[PlanNotice, int]] = []
    reminded = list(plan.reminded)
    missed = list(plan.missed_notified)
    grace = timedelta(days=settings.grace_days)
    for item in plan.progress():
        if item.paid:
            continue
        number, due_on = item.instalment.number, item.instalment.due_on
        reminder_on = due_on - timedelta(days=settings.reminder_days)
        if number not in reminded and reminder_on <= business_date <= due_on:
            notices.append((PlanNotice.REMINDER, number))
            reminded.append(number)
        elif number not in reminded and business_date > due_on:
            reminded.append(number)  # too late to remind: the missed notice says it
        if number not in missed and business_date > due_on + grace:
            notices.append((PlanNotice.MISSED, number))
            missed.append(number)
    after = plan
    if notices or reminded != list(plan.reminded) or missed != list(plan.missed_notified):
        after = _bump(plan, reminded=tuple(reminded), missed_notified=tuple(missed))
    expired = plan.left > ZERO and business_date > plan.last_date + grace
    if expired:
        after = _bump(after, status=PlanStatus.EXPIRED, ended_on=business_date)
        # Its last instalment's missed notice would say less than the expiry does.
    return PlanDay(after, tuple(notices), expired=expired)


# --- attention ----------------------------------------------------------------------------


def _raise(
    reason: AttentionReason,
    subject: AttentionSubject,
    subject_id: str,
    sentence: str,
    invoice_ids: tuple[str, ...],
) -> AttentionChange:
    return AttentionChange(
        AttentionAction.RAISE, reason, subject, subject_id, sentence, invoice_ids
    )


def requested_attention(plan: PaymentPlan, numbers: dict[str, str]) -> list[AttentionChange]:
    """'Payment plan requested' on each invoice of a debtor's proposal."""
    count = len(plan.instalments)
    sentence = (
        f"The debtor proposes a payment plan: {plan.currency} {plan.covered} in {count} "
        f"instalment{'s' if count != 1 else ''} from {plan.instalments[0].due_on.isoformat()}"
        + (f' ("{plan.reason}")' if plan.reason else "")
        + ". Approve, change or reject it; reminders wait meanwhile."
    )
    return [
        _raise(
            AttentionReason.PAYMENT_PLAN_REQUESTED,
            AttentionSubject.INVOICE,
            invoice_id,
            f"Invoice {numbers.get(invoice_id, invoice_id)}: {sentence}",
            plan.invoice_ids,
        )
        for invoice_id in plan.invoice_ids
    ]


def decided_attention(plan: PaymentPlan, sentence: str) -> list[AttentionChange]:
    """The proposal's items resolved: a person approved or rejected it."""
    return [
        resolve(AttentionReason.PAYMENT_PLAN_REQUESTED, AttentionSubject.INVOICE, i, sentence)
        for i in plan.invoice_ids
    ]


def expired_attention(plan: PaymentPlan, numbers: dict[str, str]) -> list[AttentionChange]:
    """'Payment plan expired' on each invoice and on the debtor."""
    sentence = (
        f"The payment plan's last instalment was due on {plan.last_date.isoformat()} and "
        f"{plan.currency} {plan.left} of {plan.currency} {plan.covered} is still unpaid. End "
        "the plan (reminders resume from that day) or edit it (a new schedule)."
    )
    changes = [
        _raise(
            AttentionReason.PAYMENT_PLAN_EXPIRED,
            AttentionSubject.INVOICE,
            invoice_id,
            f"Invoice {numbers.get(invoice_id, invoice_id)}: {sentence}",
            plan.invoice_ids,
        )
        for invoice_id in plan.invoice_ids
    ]
    changes.append(
        _raise(
            AttentionReason.PAYMENT_PLAN_EXPIRED,
            AttentionSubject.DEBTOR,
            plan.debtor_id,
            sentence,
            plan.invoice_ids,
        )
    )
    return changes


def expiry_resolved(plan: PaymentPlan, sentence: str) -> list[AttentionChange]:
    """The expiry items resolved: the plan was ended, edited or completed."""
    changes = [
        resolve(AttentionReason.PAYMENT_PLAN_EXPIRED, AttentionSubject.INVOICE, i, sentence)
        for i in plan.invoice_ids
    ]
    changes.append(
        resolve(
            AttentionReason.PAYMENT_PLAN_EXPIRED, AttentionSubject.DEBTOR, plan.debtor_id, sentence
        )
    )
    return changes


# --- messages -----------------------------------------------------------------------------


def plan_message(
    plan: PaymentPlan,
    template_key: str,
    *,
    administration: Administration,
    debtor: Debtor,
    states: Iterable[DunningState],
    business_date: date,
    instalment: int | None = None,
) -> MessageRequest | None:
    """The message about a plan to its debtor: the confirmation with the schedule, an
    instalment's reminder or missed notice, or the answer to a rejected proposal. By email,
    else by letter; None when the debtor can be reached by neither (nothing to send)."""
    if debtor.emails:
        channels: tuple[Channel, ...] = (Channel.EMAIL,)
    elif debtor.address is not None:
        channels = (Channel.LETTER,)
    else:
        return None
    by_id = {s.invoice_id: s for s in states}
    lines = tuple(
        InvoiceLine(
            invoice_id=s.invoice_id,
            number=s.invoice.number,
            invoice_date=s.invoice.invoice_date,
            due_date=s.invoice.due_date,
            amount=s.invoice.amount,
            open_amount=s.invoice.open_amount,
            currency=s.invoice.currency,
            step_id=PLAN_STEP_ID,
            phase=s.phase,
            legally_required=False,
        )
        for s in (by_id[i] for i in plan.all_invoice_ids if i in by_id)
    )
    if not lines:
        return None
    name = "|".join(
        [
            administration.id,
            plan.id,
            str(plan.version),
            template_key,
            str(instalment or 0),
            business_date.isoformat(),
        ]
    )
    return MessageRequest(
        id=str(uuid.uuid5(_MESSAGE_NAMESPACE, name)),
        administration_id=administration.id,
        flow_id=PLAN_STEP_ID,
        business_date=business_date,
        recipient=Recipient(
            debtor_id=debtor.id,
            number=debtor.number,
            name=debtor.name,
            debtor_type=debtor.debtor_type,
            emails=debtor.emails,
            phone=debtor.phone,
            address=debtor.address,
        ),
        invoices=lines,
        currency=plan.currency,
        total_open_amount=to_amount(sum((line.open_amount for line in lines), ZERO)),
        amount_due=to_amount(sum((line.open_amount for line in lines), ZERO)),
        channels=channels,
        template_key=template_key,
        phase=max(line.phase for line in lines),
        legally_required=False,
        language=message_language(debtor, administration),
        fallback_language=administration.fallback_language,
        tone=administration.tone,
        payment_plan=PlanMessage(
            plan_id=plan.id,
            total=plan.covered,
            left=plan.left,
            currency=plan.currency,
            instalments=tuple(
                PlanInstalmentLine(
                    p.instalment.number, p.instalment.due_on, p.instalment.amount, p.paid_amount
                )
                for p in plan.progress()
            ),
            instalment=instalment,
        ),
    )


@dataclass(frozen=True)
class PlanChange:
    """What a use case did to a plan: the plan after, the invoices' states after, attention
    changes and messages; the service stores and publishes them."""

    plan: PaymentPlan
    states: tuple[DunningState, ...] = ()
    attention: tuple[AttentionChange, ...] = ()
    messages: tuple[MessageRequest, ...] = field(default_factory=tuple)
