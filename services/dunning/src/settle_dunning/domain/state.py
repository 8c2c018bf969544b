"""The dunning state of one invoice: its phase, what was done, what comes next.

The state is a small immutable value. Every rule takes a state and returns a new one, so
the service can store it as one row (with `next_step_date` indexed for the daily run).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import total_ordering

from settle_dunning.domain.flows import Channel
from settle_dunning.domain.money import to_amount
from settle_dunning.domain.phases import SENT, Phase


@total_ordering
@dataclass(frozen=True)
class FactVersion:
    """When a fact happened at its source, and its sequence there: facts are ordered by both.

    An older fact never overwrites a newer one; the same version twice is a duplicate.
    """

    occurred_at: datetime
    sequence: int = 0

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("a fact's source time must be timezone-aware")

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FactVersion):
            return NotImplemented
        return (self.occurred_at, self.sequence) < (other.occurred_at, other.sequence)


# The importer's `version` orders the facts of one invoice; the rules order facts by
# (time, sequence), so every importer fact gets the same time and its version as sequence.
FACT_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def fact_version(version: int) -> FactVersion:
    """The version of an importer fact numbered `version`."""
    return FactVersion(FACT_EPOCH, version)


def is_newer(incoming: FactVersion, last: FactVersion | None) -> bool:
    """True when `incoming` should be applied over `last` (older facts and duplicates are not)."""
    return last is None or incoming > last


@dataclass(frozen=True)
class Invoice:
    """The bookkeeping facts about an invoice that dunning plans and writes with.

    Number, dates, amount and debtor are fixed after the first import; the open amount
    follows every import.
    """

    id: str
    number: str
    debtor_id: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str = "EUR"
    payment_condition: str | None = None

    def __post_init__(self) -> None:
        # Quantise once on the way in so every comparison and message uses cents.
        object.__setattr__(self, "amount", to_amount(self.amount))
        object.__setattr__(self, "open_amount", to_amount(self.open_amount))


class ExecutionReason(StrEnum):
    """Why a step was executed when it was."""

    SCHEDULED = "scheduled"
    CATCH_UP = "catch_up"  # its planned date had passed without a run
    PERFORMED_NOW = "performed_now"  # a user asked for it


class SkipReason(StrEnum):
    """Why a step was passed over."""

    MANUAL = "manual"


class PlanBasis(StrEnum):
    """Where the planned date of the next step comes from."""

    SCHEDULE = "schedule"  # the flow's offsets, from the due date or the last executed step
    RESCHEDULED = "rescheduled"  # a user picked the date
    DEFERRED_FOR_INTERVAL = "deferred_for_interval"  # the debtor was reminded too recently


class BlockReason(StrEnum):
    """Why the next step waits for something other than its date."""

    BELOW_MINIMUM_AMOUNT = "below_minimum_amount"
    EMAIL_MISSING = "email_missing"
    PHONE_MISSING = "phone_missing"
    UNMATCHED_CREDIT_NOTE = "unmatched_credit_note"
    LEGAL_LETTER_MISSING = "legal_letter_missing"
    # The step's message reached the debtor on none of its channels (domain/delivery.py).
    MESSAGE_FAILED = "message_failed"
    # The step goes out only on channels Settle cannot send (SMS: no provider yet).
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    # Paid online: held until bookkeeping books it (domain/online_payments.py).
    ONLINE_PAYMENT = "online_payment_registered"
    # In a collection case: held by its case (domain/collection_cases.py).
    COLLECTION_CASE = "collection_case"


@dataclass(frozen=True)
class StepFailure:
    """Why an executed step's message reached the debtor on none of its channels.

    `reason` is messaging's code of the last channel to fail (`bounced` for a hard bounce),
    `detail` what went wrong in words, `failed_on` the business date dunning learnt of it.
    """

    reason: str
    detail: str
    failed_on: date


@dataclass(frozen=True)
class ExecutedStep:
    """A step that was carried out: when, why, by which channels, into which phase.

    What messaging reported about its message is kept with it: the channels that failed,
    the channels messaging added in place of a failed one (a letter for a bounced email),
    and, once none is left that may still reach the debtor, the `failure`.
    """

    step_id: str
    executed_on: date
    reason: ExecutionReason
    channels: tuple[Channel, ...]
    phase: Phase
    cycle: int
    legally_required: bool = False
    message_request_id: str | None = None
    failed_channels: tuple[Channel, ...] = ()
    added_channels: tuple[Channel, ...] = ()
    failure: StepFailure | None = None

    @property
    def failed(self) -> bool:
        """True when the step's message reached the debtor on none of its channels."""
        return self.failure is not None

    @property
    def undelivered(self) -> bool:
        """True when every channel that was to reach the debtor has failed."""
        tried = {c for c in (*self.channels, *self.added_channels) if c.reaches_debtor}
        return bool(tried) and tried <= set(self.failed_channels)


@dataclass(frozen=True)
class SkippedStep:
    """A step that was passed over on purpose."""

    step_id: str
    skipped_on: date
    reason: SkipReason
    cycle: int


@dataclass(frozen=True)
class PlannedStep:
    """The next step of the flow and the day it is planned for."""

    step_id: str
    planned_on: date
    basis: PlanBasis = PlanBasis.SCHEDULE


@dataclass(frozen=True)
class PlanHold:
    """An invoice held by a payment plan (domain/plans.py): while the plan is active, or
    while a debtor's proposal of one waits for a person (`requested`)."""

    plan_id: str
    requested: bool = False

    @property
    def reason(self) -> str:
        """The hold as a block reason in the events: why no reminder goes out."""
        return "payment_plan_requested" if self.requested else "payment_plan_active"


@dataclass(frozen=True)
class DunningState:
    """Where one invoice stands in its flow.

    `cycle` counts flow resets; only steps of the current cycle count as done.
    `not_before` is a floor for planning set by resume, reopen and reset, so steps that
    fell due meanwhile are planned from that day rather than all at once. `plan_hold` keeps
    the flow waiting while a payment plan covers the invoice.
    """

    invoice: Invoice
    flow_id: str
    phase: Phase = SENT
    executed: tuple[ExecutedStep, ...] = ()
    skipped: tuple[SkippedStep, ...] = ()
    next_step: PlannedStep | None = None
    cycle: int = 1
    not_before: date | None = None
    on_hold: bool = False
    settled: bool = False
    reopened: bool = False
    blocked_by: BlockReason | None = None
    last_fact: FactVersion | None = None
    plan_hold: PlanHold | None = None

    @property
    def invoice_id(self) -> str:
        """The invoice this state belongs to."""
        return self.invoice.id

    @property
    def next_step_date(self) -> date | None:
        """The date the daily run should look at this invoice, or None when it should not.

        This is the value to index: the run selects `next_step_date <= business date`.
        """
        if self.settled or self.on_hold or self.blocked_by is not None:
            return None
        if self.plan_hold is not None:
            return None
        if self.next_step is None or self.phase.belongs_to_collection:
            return None
        return self.next_step.planned_on

    @property
    def waits_for(self) -> str | None:
        """Why the next step waits for more than its date, as the events and the API say it:
        a payment plan's hold first (the flow waits for the plan), else the block."""
        if self.plan_hold is not None:
            return self.plan_hold.reason
        return self.blocked_by.value if self.blocked_by is not None else None

    @property
    def current_executed(self) -> tuple[ExecutedStep, ...]:
        """Executed steps of the current cycle that count, oldest first: a step whose
        message reached the debtor on no channel is not done (it stays on the timeline)."""
        return tuple(e for e in self.executed if e.cycle == self.cycle and e.failure is None)

    @property
    def done_step_ids(self) -> frozenset[str]:
        """Ids of steps executed (and not failed) or skipped in the current cycle."""
        return frozenset(
            [e.step_id for e in self.current_executed]
            + [s.step_id for s in self.skipped if s.cycle == self.cycle]
        )

    @property
    def last_executed(self) -> ExecutedStep | None:
        """The most recent executed step of the current cycle."""
        current = self.current_executed
        return current[-1] if current else None

    @property
    def last_execution_date(self) -> date | None:
        """The last day any step ran for this invoice, whatever the cycle."""
        return self.executed[-1].executed_on if self.executed else None


def new_dunning_state(
    invoice: Invoice, flow_id: str, fact: FactVersion | None = None
) -> DunningState:
    """The state of an invoice that has just entered dunning: phase sent, nothing done yet.

    Plan it with `plan_next_step` before storing it.
    """
    return DunningState(invoice=invoice, flow_id=flow_id, last_fact=fact)
