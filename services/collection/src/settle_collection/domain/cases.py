"""A collection case: one debtor's invoices in one currency, collected together.

A case is a small immutable value: what it holds (its invoices), where it stands (status,
step, pause, partner) and its `entries`, everything that happened to it in order. The entries
are its timeline and its ledger at once: the balances (domain/balances.py) follow from them,
so a payment allocated otherwise, a late payment date or a remission is simply another entry.

Steps: new → reminder → second reminder → notice of default → ready for bailiff (the case's
own steps, each after `step_days`, each but the first and last with a message to the debtor);
forwarding hands it to the partner (pre-court: the partner collects out of court); a partner
reporting legal proceedings moves it to with bailiff. A case closes paid, remitted (the rest
waived), withdrawn (its invoices go back to dunning) or uncollectable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from settle_collection.domain.errors import InvalidCase, NotAllowed
from settle_law.allocation import AllocationOrder, Part

ZERO = Decimal("0.00")


class Step(StrEnum):
    """Where a case stands, in the order a case passes through them."""

    NEW = "new"
    REMINDER = "reminder"
    SECOND_REMINDER = "second_reminder"
    NOTICE_OF_DEFAULT = "notice_of_default"
    READY_FOR_BAILIFF = "ready_for_bailiff"
    PRE_COURT = "pre_court"
    WITH_BAILIFF = "with_bailiff"

    @property
    def rank(self) -> int:
        """Position in the order of steps."""
        return list(Step).index(self)

    @property
    def own(self) -> bool:
        """A step the case takes by itself or by a user's hand (before the partner)."""
        return self.rank <= Step.READY_FOR_BAILIFF.rank

    @property
    def sends_message(self) -> bool:
        """Entering this step writes to the debtor."""
        return self in (Step.REMINDER, Step.SECOND_REMINDER, Step.NOTICE_OF_DEFAULT)

    @property
    def with_partner(self) -> bool:
        """The partner has the case."""
        return self in (Step.PRE_COURT, Step.WITH_BAILIFF)

    def following(self) -> Step | None:
        """The next own step, None from ready for bailiff on (forwarding goes further)."""
        if self.rank >= Step.READY_FOR_BAILIFF.rank:
            return None
        return list(Step)[self.rank + 1]


class Status(StrEnum):
    PROPOSED = "proposed"  # waiting for a user to approve or decline
    OPEN = "open"
    CLOSED = "closed"
    DECLINED = "declined"


class Outcome(StrEnum):
    PAID = "paid"
    REMITTED = "remitted"  # the principal paid, the rest waived
    WITHDRAWN = "withdrawn"  # the creditor took it back: the invoices go back to dunning
    UNCOLLECTABLE = "uncollectable"


class EntryKind(StrEnum):
    """What can happen to a case (a line on its timeline)."""

    PROPOSED = "proposed"
    OPENED = "opened"
    DECLINED = "declined"
    INVOICES_ADDED = "invoices_added"
    STEP = "step"
    PAUSED = "paused"
    RESUMED = "resumed"
    COSTS_CHARGED = "costs_charged"
    INTEREST_CHARGED = "interest_charged"
    REMITTED = "remitted"
    PAYMENT = "payment"
    PAYMENT_REVERSED = "payment_reversed"
    ALLOCATION_CHANGED = "allocation_changed"
    MESSAGE_REQUESTED = "message_requested"
    FORWARDED = "forwarded"
    PARTNER_UPDATE = "partner_update"
    CLOSED = "closed"
    PLAN_STARTED = "plan_started"  # a payment plan pauses the case (domain/plans.py)
    PLAN_ENDED = "plan_ended"


class PaymentSource(StrEnum):
    BOOKKEEPING = "bookkeeping"  # the open amount fell in an import
    ONLINE = "online"  # paid through the portal (payments service)
    PARTNER = "partner"  # the bailiff received it
    MANUAL = "manual"  # a user registered it


@dataclass(frozen=True)
class Entry:
    """One thing that happened to a case, on a business date. Only the fields its kind
    needs are set."""

    kind: EntryKind
    on: date
    amount: Decimal | None = None
    vat: Decimal | None = None
    part: Part | None = None
    reason: str | None = None
    payment_id: str | None = None
    source: PaymentSource | None = None
    order: AllocationOrder | None = None
    step: Step | None = None
    reference: str | None = None  # a handoff, a message request, a partner update
    detail: str | None = None
    everything: bool = False  # a remission of all that is open (and of what would follow)


@dataclass(frozen=True)
class CaseInvoice:
    """An invoice in a case: its principal is its open amount when it joined."""

    invoice_id: str
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    principal: Decimal
    pdf_url: str | None
    added_on: date
    legal_letter_sent_on: date | None


@dataclass(frozen=True)
class Case:
    """One debtor's invoices in one currency, collected together."""

    case_id: str
    administration_id: str
    debtor_id: str
    currency: str
    consumer: bool
    status: Status
    step: Step
    step_on: date
    invoices: tuple[CaseInvoice, ...]
    entries: tuple[Entry, ...]
    opened_on: date | None = None
    closed_on: date | None = None
    outcome: Outcome | None = None
    paused: bool = False
    # Money reported outside bookkeeping (online, by the partner, by a user) that no import
    # has shown yet: the import that lowers the open amount by it is that money, not more.
    unbooked: Decimal = ZERO
    partner_id: str | None = None
    handoff_id: str | None = None
    partner_sequence: int = 0  # the last partner report applied
    partner_status: str | None = None
    plan_id: str | None = None  # the payment plan pausing it (dunning's)

    @property
    def invoice_ids(self) -> list[str]:
        """The case's invoices, in the order they joined."""
        return [i.invoice_id for i in self.invoices]

    @property
    def principal(self) -> Decimal:
        """The principal claimed: the invoices' open amounts when they joined."""
        return sum((i.principal for i in self.invoices), ZERO)

    @property
    def is_open(self) -> bool:
        return self.status is Status.OPEN

    @property
    def active(self) -> bool:
        """Proposed or open: it holds its invoices."""
        return self.status in (Status.PROPOSED, Status.OPEN)

    @property
    def interest_claimed(self) -> bool:
        """Whether statutory interest is charged now (a full remission ends the claim)."""
        claimed = False
        for entry in self.entries:
            if entry.kind is EntryKind.INTEREST_CHARGED:
                claimed = True
            elif entry.kind is EntryKind.REMITTED and entry.part is Part.INTEREST:
                claimed = claimed and not entry.everything
        return claimed

    @property
    def costs_charged(self) -> Decimal:
        """Costs charged so far, without VAT (before remissions and payments)."""
        return sum(
            (e.amount or ZERO for e in self.entries if e.kind is EntryKind.COSTS_CHARGED), ZERO
        )

    def payment(self, payment_id: str) -> Entry | None:
        """The payment entry with this id, if any."""
        for entry in self.entries:
            if entry.kind is EntryKind.PAYMENT and entry.payment_id == payment_id:
                return entry
        return None

    def with_entry(self, entry: Entry, **changes: object) -> Case:
        """The case with one more entry (and other fields changed)."""
        return replace(self, entries=(*self.entries, entry), **changes)  # type: ignore[arg-type]


def start_case(
    case_id: str,
    administration_id: str,
    debtor_id: str,
    consumer: bool,
    invoices: list[CaseInvoice],
    currency: str,
    today: date,
    *,
    proposed_because: str | None,
    how: str = "automatic",
) -> Case:
    """A new case for a debtor's ready invoices: open at once, or proposed to a user
    (`proposed_because` says why it waits)."""
    if not invoices:
        raise InvalidCase("a case needs at least one invoice")
    if proposed_because is not None:
        entry = Entry(EntryKind.PROPOSED, today, reason=proposed_because)
        status, opened = Status.PROPOSED, None
    else:
        entry = Entry(EntryKind.OPENED, today, detail=how)
        status, opened = Status.OPEN, today
    return Case(
        case_id=case_id,
        administration_id=administration_id,
        debtor_id=debtor_id,
        currency=currency,
        consumer=consumer,
        status=status,
        step=Step.NEW,
        step_on=today,
        invoices=tuple(invoices),
        entries=(entry,),
        opened_on=opened,
    )


def approve(case: Case, today: date) -> Case:
    """A user approves a proposed case: it opens today, at its first step."""
    if case.status is not Status.PROPOSED:
        raise NotAllowed(f"case {case.case_id} is {case.status.value}, not waiting for approval")
    return case.with_entry(
        Entry(EntryKind.OPENED, today, detail="approved"),
        status=Status.OPEN,
        opened_on=today,
        step_on=today,
    )


def decline(case: Case, today: date, reason: str) -> Case:
    """A user declines a proposed case: its invoices stay with dunning."""
    if case.status is not Status.PROPOSED:
        raise NotAllowed(f"case {case.case_id} is {case.status.value}, not waiting for approval")
    return case.with_entry(
        Entry(EntryKind.DECLINED, today, reason=reason), status=Status.DECLINED, closed_on=today
    )


def can_take_invoices(case: Case) -> bool:
    """A case takes more of its debtor's ready invoices until it is forwarded."""
    return case.active and not case.step.with_partner


def add_invoices(case: Case, invoices: list[CaseInvoice], today: date) -> Case:
    """More invoices of the debtor join the case (none twice)."""
    if not can_take_invoices(case):
        raise NotAllowed(f"case {case.case_id} takes no more invoices")
    known = set(case.invoice_ids)
    fresh = [i for i in invoices if i.invoice_id not in known]
    if not fresh:
        return case
    return case.with_entry(
        Entry(
            EntryKind.INVOICES_ADDED,
            today,
            detail=", ".join(i.number for i in fresh),
            reference=",".join(i.invoice_id for i in fresh),
        ),
        invoices=(*case.invoices, *fresh),
    )


def require_open(case: Case, action: str) -> None:
    """Refuse `action` unless the case is open."""
    if case.status is not Status.OPEN:
        raise NotAllowed(f"case {case.case_id} is {case.status.value}: it cannot {action}")


def require_no_plan(case: Case, action: str) -> None:
    """Refuse a person's `action` while a payment plan pauses the case (domain/plans.py)."""
    if case.plan_id is not None:
        raise NotAllowed(
            f"case {case.case_id} is paused by payment plan {case.plan_id} (payment plan "
            f"active): it cannot {action} while the plan runs; end the plan first"
        )


def step_due(case: Case, step_days: int, today: date) -> Step | None:
    """The step the schedule moves an open, unpaused case to today, if any: the next own step
    once `step_days` have passed in the current one."""
    if case.status is not Status.OPEN or case.paused:
        return None
    following = case.step.following()
    if following is None or today < case.step_on + timedelta(days=step_days):
        return None
    return following


def move_to(case: Case, step: Step, today: date, by: str) -> Case:
    """Move the case to `step` (forward only; by hand a user may skip own steps)."""
    require_open(case, "change its step")
    if by == "user":
        require_no_plan(case, "change its step")
    if step.rank <= case.step.rank:
        raise NotAllowed(
            f"case {case.case_id} is at {case.step.value}; steps only go forward "
            f"({step.value} is not after it)"
        )
    if by == "user" and not step.own:
        raise NotAllowed(
            f"{step.value} is the partner's step: forward the case instead of stepping to it"
        )
    return case.with_entry(
        Entry(EntryKind.STEP, today, step=step, detail=by), step=step, step_on=today
    )


def pause(case: Case, today: date, reason: str | None = None) -> Case:
    """Pause an open case: no step is taken until it is resumed."""
    require_open(case, "be paused")
    if case.paused:
        return case
    return case.with_entry(Entry(EntryKind.PAUSED, today, reason=reason), paused=True)


def resume(case: Case, today: date) -> Case:
    """Resume a paused case; its step counts its days again from today (no burst)."""
    require_open(case, "be resumed")
    require_no_plan(case, "be resumed")
    if not case.paused:
        return case
    return case.with_entry(Entry(EntryKind.RESUMED, today), paused=False, step_on=today)


def close(case: Case, outcome: Outcome, today: date, reason: str | None = None) -> Case:
    """Close an open (or withdraw a proposed) case."""
    if not case.active:
        raise NotAllowed(f"case {case.case_id} is {case.status.value} already")
    if case.status is Status.PROPOSED and outcome is not Outcome.WITHDRAWN:
        raise NotAllowed(f"case {case.case_id} waits for approval: approve or decline it")
    return case.with_entry(
        Entry(EntryKind.CLOSED, today, reason=reason, detail=outcome.value),
        status=Status.CLOSED,
        outcome=outcome,
        closed_on=today,
        paused=False,
    )
