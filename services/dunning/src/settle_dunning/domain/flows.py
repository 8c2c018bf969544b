"""Dunning flows: ordered steps, their sending calendar, bundling, selection and validation."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cached_property

from settle_dunning.domain.calendar import (
    WORKDAYS,
    SendingCalendar,
    Weekday,
    is_supported_country,
)
from settle_dunning.domain.errors import FieldError, InvalidFlow, NoMatchingFlow
from settle_dunning.domain.money import to_amount
from settle_dunning.domain.parties import DebtorType
from settle_dunning.domain.phases import (
    FINAL_REMINDER,
    READY_FOR_COLLECTION,
    Phase,
    reminder,
)

# The consumer's 14-day letter gives 14 days counted from the day after it is received
# (art. 6:96 lid 6 BW). A step after that letter must therefore be at least 15 days later;
# the default consumer flow adds two days on top for postal delivery.
LEGAL_TERM_DAYS = 15
DEFAULT_MIN_DAYS_BETWEEN_REMINDERS = 7


class Channel(StrEnum):
    """How a step reaches the debtor (or, for a call task, a person at the creditor)."""

    EMAIL = "email"
    LETTER = "letter"
    SMS = "sms"
    CALL_TASK = "call_task"

    @property
    def reaches_debtor(self) -> bool:
        """True when the channel sends something to the debtor (a call task does not)."""
        return self is not Channel.CALL_TASK

    @property
    def available(self) -> bool:
        """True when Settle can carry the channel out. SMS cannot until an SMS provider
        adapter exists: a flow with an SMS step is refused, and a step of a stored flow that
        only SMS would carry is held back with an attention item."""
        return self not in UNAVAILABLE_CHANNELS


CHANNEL_ORDER: tuple[Channel, ...] = tuple(Channel)
# Channels nothing can send yet, with the reason a person reads.
UNAVAILABLE_CHANNELS: dict[Channel, str] = {Channel.SMS: "no SMS provider is configured"}


class OffsetBasis(StrEnum):
    """What a step's offset in days counts from."""

    DUE_DATE = "due_date"
    PREVIOUS_STEP = "previous_step"


@dataclass(frozen=True)
class Step:
    """One step of a flow.

    `offset_days` counts from the due date (negative = before it) or from the previous step.
    `target_phase` is the phase the invoice moves into when the step is executed.
    `legally_required` marks the consumer's 14-day letter: it is never skipped, and nothing
    after it happens before its 14-day period has run.
    """

    id: str
    offset_days: int
    channels: tuple[Channel, ...]
    template_key: str
    target_phase: Phase
    offset_from: OffsetBasis = OffsetBasis.DUE_DATE
    minimum_open_amount: Decimal = Decimal("0.00")
    legally_required: bool = False

    @property
    def reaches_debtor(self) -> bool:
        """True when executing the step sends a message to the debtor."""
        return any(c.reaches_debtor for c in self.channels)

    @property
    def is_reminder(self) -> bool:
        """True for reminder steps (not the step that sends the invoice itself)."""
        return self.target_phase.is_reminder


@dataclass(frozen=True)
class FlowSelection:
    """Which invoices a flow applies to; an empty set means "any"."""

    payment_conditions: frozenset[str] = frozenset()
    debtor_types: frozenset[DebtorType] = frozenset()

    def matches(self, payment_condition: str | None, debtor_type: DebtorType) -> bool:
        """True when an invoice with these properties falls under the selection."""
        if self.payment_conditions and payment_condition not in self.payment_conditions:
            return False
        return not self.debtor_types or debtor_type in self.debtor_types

    @property
    def specificity(self) -> int:
        """How narrowly the selection is drawn: a payment condition beats a debtor type."""
        return (2 if self.payment_conditions else 0) + (1 if self.debtor_types else 0)

    @property
    def includes_consumers(self) -> bool:
        """True when consumers (B2C) can end up in the flow."""
        return not self.debtor_types or DebtorType.B2C in self.debtor_types


@dataclass(frozen=True)
class Bundling:
    """Whether one debtor's due invoices go into one reminder, and the minimum interval."""

    enabled: bool = True
    min_days_between_reminders: int = DEFAULT_MIN_DAYS_BETWEEN_REMINDERS


@dataclass(frozen=True)
class Flow:
    """An ordered list of steps with the calendar and bundling rules they are sent under."""

    id: str
    name: str
    steps: tuple[Step, ...]
    selection: FlowSelection = field(default_factory=FlowSelection)
    calendar: SendingCalendar = field(default_factory=SendingCalendar)
    bundling: Bundling = field(default_factory=Bundling)

    @cached_property
    def _index(self) -> dict[str, int]:
        return {step.id: i for i, step in enumerate(self.steps)}

    @cached_property
    def nominal_offsets(self) -> tuple[int, ...]:
        """Each step's offset from the due date as designed (previous-step offsets summed)."""
        offsets: list[int] = []
        for step in self.steps:
            if step.offset_from is OffsetBasis.PREVIOUS_STEP and offsets:
                offsets.append(offsets[-1] + step.offset_days)
            else:
                offsets.append(step.offset_days)
        return tuple(offsets)

    def index_of(self, step_id: str) -> int | None:
        """Position of the step with `step_id`, or None when the flow has no such step."""
        return self._index.get(step_id)

    def step(self, step_id: str) -> Step:
        """The step with `step_id`; KeyError when the flow has none."""
        return self.steps[self._index[step_id]]


# --- validation -------------------------------------------------------------------------


def validate_flow(flow: Flow, template_keys: Collection[str]) -> list[FieldError]:
    """Every rule a flow breaks, as field-addressed errors (empty when the flow is valid).

    `template_keys` is the set of templates the administration has; a step may only use those.
    """
    errors: list[FieldError] = []
    if not flow.id.strip():
        errors.append(FieldError("id", "a flow needs an id"))
    if not flow.name.strip():
        errors.append(FieldError("name", "a flow needs a name"))
    if not flow.steps:
        errors.append(FieldError("steps", "a flow needs at least one step"))
    errors.extend(_validate_steps(flow, template_keys))
    errors.extend(_validate_calendar(flow.calendar))
    if flow.bundling.min_days_between_reminders < 0:
        errors.append(FieldError("bundling.min_days_between_reminders", "must be 0 or more days"))
    return errors


def ensure_valid_flow(flow: Flow, template_keys: Collection[str]) -> Flow:
    """Return `flow` unchanged when valid; raise InvalidFlow listing every problem otherwise."""
    errors = validate_flow(flow, template_keys)
    if errors:
        raise InvalidFlow(errors)
    return flow


def _validate_steps(flow: Flow, template_keys: Collection[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen_ids: set[str] = set()
    nominal = flow.nominal_offsets
    last_index = len(flow.steps) - 1
    legal_letter_seen = False
    for i, step in enumerate(flow.steps):
        at = f"steps[{i}]"
        if not step.id.strip():
            errors.append(FieldError(f"{at}.id", "a step needs an id"))
        elif step.id in seen_ids:
            errors.append(FieldError(f"{at}.id", f"step id {step.id!r} is used twice"))
        seen_ids.add(step.id)

        if step.offset_from is OffsetBasis.PREVIOUS_STEP:
            if i == 0:
                errors.append(
                    FieldError(
                        f"{at}.offset_from",
                        "the first step has no previous step; count from the due date",
                    )
                )
            elif step.offset_days < 1:
                errors.append(
                    FieldError(
                        f"{at}.offset_days",
                        f"must be at least 1 day after the previous step (got {step.offset_days})",
                    )
                )
        elif i > 0 and nominal[i] <= nominal[i - 1]:
            errors.append(
                FieldError(
                    f"{at}.offset_days",
                    f"offset goes backwards: {nominal[i]} days from the due date is not after "
                    f"the previous step ({nominal[i - 1]} days)",
                )
            )

        if not step.channels and step.target_phase != READY_FOR_COLLECTION:
            errors.append(FieldError(f"{at}.channels", "a step needs at least one channel"))
        if len(set(step.channels)) != len(step.channels):
            errors.append(FieldError(f"{at}.channels", "a channel is listed twice"))
        for channel in dict.fromkeys(step.channels):
            if not channel.available:
                errors.append(
                    FieldError(
                        f"{at}.channels",
                        f"{channel} cannot be sent: {UNAVAILABLE_CHANNELS[channel]}; "
                        "use email or letter",
                    )
                )
        if step.channels or step.template_key:
            if step.template_key not in template_keys:
                errors.append(
                    FieldError(f"{at}.template_key", f"unknown template {step.template_key!r}")
                )

        if step.target_phase.belongs_to_collection:
            errors.append(
                FieldError(
                    f"{at}.target_phase",
                    f"phase {step.target_phase} belongs to a collection case, not to a flow",
                )
            )
        if i > 0 and step.target_phase < flow.steps[i - 1].target_phase:
            errors.append(
                FieldError(
                    f"{at}.target_phase",
                    f"phase {step.target_phase} comes before the previous step's phase "
                    f"{flow.steps[i - 1].target_phase}; phases only move forward",
                )
            )
        if step.target_phase == READY_FOR_COLLECTION and i != last_index:
            errors.append(
                FieldError(
                    f"{at}.target_phase", "ready for collection must be the last step of a flow"
                )
            )
        if (
            step.target_phase == READY_FOR_COLLECTION
            and flow.selection.includes_consumers
            and not legal_letter_seen
        ):
            errors.append(
                FieldError(
                    f"{at}.target_phase",
                    "consumers must first get the 14-day letter: add a legally required step "
                    "before ready for collection, or restrict the flow to business debtors",
                )
            )

        if step.minimum_open_amount < 0:
            errors.append(FieldError(f"{at}.minimum_open_amount", "must be 0 or more"))

        if step.legally_required:
            if not ({Channel.EMAIL, Channel.LETTER} & set(step.channels)):
                errors.append(
                    FieldError(
                        f"{at}.channels",
                        "a legally required step must be sent in writing (email or letter)",
                    )
                )
            legal_letter_seen = True
        if i > 0 and flow.steps[i - 1].legally_required:
            gap = nominal[i] - nominal[i - 1]
            if gap < LEGAL_TERM_DAYS:
                errors.append(
                    FieldError(
                        f"{at}.offset_days",
                        f"must be at least {LEGAL_TERM_DAYS} days after the legally required "
                        f"step before it (got {gap}): the debtor has 14 days from the day "
                        "after receipt",
                    )
                )
    return errors


def _validate_calendar(calendar: SendingCalendar) -> list[FieldError]:
    errors: list[FieldError] = []
    if not calendar.sending_days:
        errors.append(FieldError("calendar.sending_days", "at least one sending day is needed"))
    if calendar.country is not None and not is_supported_country(calendar.country):
        errors.append(
            FieldError("calendar.country", f"no national holidays known for {calendar.country!r}")
        )
    return errors


# --- building a flow from untyped input ----------------------------------------------------


@dataclass(frozen=True)
class StepDraft:
    """A step as submitted (e.g. by the HTTP API), before its values are checked."""

    id: str
    offset_days: int
    channels: Sequence[str]
    template_key: str
    target_phase: str
    offset_from: str = OffsetBasis.DUE_DATE.value
    minimum_open_amount: Decimal | int | str = "0"
    legally_required: bool = False


@dataclass(frozen=True)
class FlowDraft:
    """A flow as submitted, before its values are checked."""

    id: str
    name: str
    steps: Sequence[StepDraft]
    payment_conditions: Sequence[str] = ()
    debtor_types: Sequence[str] = ()
    sending_days: Sequence[int] = tuple(int(d) for d in sorted(WORKDAYS))
    country: str | None = "NL"
    blocked_dates: Sequence[date] = ()
    bundling_enabled: bool = True
    min_days_between_reminders: int = DEFAULT_MIN_DAYS_BETWEEN_REMINDERS


def build_flow(draft: FlowDraft, template_keys: Collection[str]) -> Flow:
    """Turn a submitted flow into a valid `Flow`, or raise InvalidFlow with every problem."""
    errors: list[FieldError] = []
    steps = [_build_step(i, s, errors) for i, s in enumerate(draft.steps)]
    debtor_types = set()
    for i, raw in enumerate(draft.debtor_types):
        try:
            debtor_types.add(DebtorType(raw))
        except ValueError:
            errors.append(
                FieldError(
                    f"selection.debtor_types[{i}]",
                    f"unknown debtor type {raw!r}; expected {_choices(DebtorType)}",
                )
            )
    sending_days = set()
    for i, raw_day in enumerate(draft.sending_days):
        try:
            sending_days.add(Weekday(raw_day))
        except ValueError:
            errors.append(
                FieldError(
                    f"calendar.sending_days[{i}]",
                    f"{raw_day!r} is not a weekday number (1 = Monday ... 7 = Sunday)",
                )
            )
    if errors:
        raise InvalidFlow(errors)
    flow = Flow(
        id=draft.id,
        name=draft.name,
        steps=tuple(s for s in steps if s is not None),
        selection=FlowSelection(
            payment_conditions=frozenset(draft.payment_conditions),
            debtor_types=frozenset(debtor_types),
        ),
        calendar=SendingCalendar(
            sending_days=frozenset(sending_days),
            country=draft.country,
            blocked_dates=frozenset(draft.blocked_dates),
        ),
        bundling=Bundling(
            enabled=draft.bundling_enabled,
            min_days_between_reminders=draft.min_days_between_reminders,
        ),
    )
    return ensure_valid_flow(flow, template_keys)


def _build_step(i: int, draft: StepDraft, errors: list[FieldError]) -> Step | None:
    at = f"steps[{i}]"
    before = len(errors)
    channels: list[Channel] = []
    for j, raw in enumerate(draft.channels):
        try:
            channels.append(Channel(raw))
        except ValueError:
            errors.append(
                FieldError(
                    f"{at}.channels[{j}]",
                    f"unknown channel {raw!r}; expected {_choices(Channel)}",
                )
            )
    try:
        offset_from = OffsetBasis(draft.offset_from)
    except ValueError:
        errors.append(
            FieldError(
                f"{at}.offset_from",
                f"unknown offset basis {draft.offset_from!r}; expected {_choices(OffsetBasis)}",
            )
        )
    try:
        phase = Phase.parse(draft.target_phase)
    except ValueError as exc:
        errors.append(FieldError(f"{at}.target_phase", str(exc)))
    try:
        minimum = to_amount(draft.minimum_open_amount)
    except (InvalidOperation, ValueError, TypeError):
        errors.append(
            FieldError(
                f"{at}.minimum_open_amount",
                f"{draft.minimum_open_amount!r} is not an amount",
            )
        )
    if len(errors) > before:
        return None
    return Step(
        id=draft.id,
        offset_days=draft.offset_days,
        offset_from=offset_from,
        channels=tuple(channels),
        template_key=draft.template_key,
        target_phase=phase,
        minimum_open_amount=minimum,
        legally_required=draft.legally_required,
    )


def _choices(enum: Iterable[StrEnum]) -> str:
    return ", ".join(e.value for e in enum)


# --- selection ------------------------------------------------------------------------------


def select_flow(
    flows: Iterable[Flow], payment_condition: str | None, debtor_type: DebtorType
) -> Flow:
    """The flow an invoice runs on: the most specific matching selection wins.

    A selection on payment condition is more specific than one on debtor type; a flow without
    any selection is the fallback. Ties go to the flow listed first.
    """
    best: Flow | None = None
    for flow in flows:
        if not flow.selection.matches(payment_condition, debtor_type):
            continue
        if best is None or flow.selection.specificity > best.selection.specificity:
            best = flow
    if best is None:
        raise NoMatchingFlow(payment_condition, debtor_type.value)
    return best


# --- the flows a new administration starts with ----------------------------------------------

FRIENDLY_REMINDER = "friendly_reminder"
SECOND_REMINDER = "second_reminder"
FINAL_REMINDER_TEMPLATE = "final_reminder"
FOURTEEN_DAY_LETTER = "fourteen_day_letter"
DEFAULT_TEMPLATE_KEYS: frozenset[str] = frozenset(
    {FRIENDLY_REMINDER, SECOND_REMINDER, FINAL_REMINDER_TEMPLATE, FOURTEEN_DAY_LETTER}
)
DEFAULT_BUSINESS_FLOW_ID = "default-business"
DEFAULT_CONSUMER_FLOW_ID = "default-consumer"


def default_flows(country: str | None = "NL") -> tuple[Flow, Flow]:
    """The two flows a new administration gets: one for businesses, one for consumers.

    Both: a friendly reminder 7 days after the due date, a second reminder 14 days later and a
    final reminder 14 days after that, by email. For consumers the final reminder is the
    14-day letter (email and letter, legally required) and ready-for-collection follows 17
    days later (15 days of legal term plus two for postal delivery); for businesses 15 days.
    """
    calendar = SendingCalendar(country=country)
    first_two = (
        Step(
            id="reminder-1",
            offset_days=7,
            channels=(Channel.EMAIL,),
            template_key=FRIENDLY_REMINDER,
            target_phase=reminder(1),
        ),
        Step(
            id="reminder-2",
            offset_days=14,
            offset_from=OffsetBasis.PREVIOUS_STEP,
            channels=(Channel.EMAIL,),
            template_key=SECOND_REMINDER,
            target_phase=reminder(2),
        ),
    )
    business = Flow(
        id=DEFAULT_BUSINESS_FLOW_ID,
        name="Standard (business)",
        selection=FlowSelection(debtor_types=frozenset({DebtorType.B2B})),
        calendar=calendar,
        steps=(
            *first_two,
            Step(
                id="final-reminder",
                offset_days=14,
                offset_from=OffsetBasis.PREVIOUS_STEP,
                channels=(Channel.EMAIL,),
                template_key=FINAL_REMINDER_TEMPLATE,
                target_phase=FINAL_REMINDER,
            ),
            Step(
                id="ready-for-collection",
                offset_days=LEGAL_TERM_DAYS,
                offset_from=OffsetBasis.PREVIOUS_STEP,
                channels=(),
                template_key="",
                target_phase=READY_FOR_COLLECTION,
            ),
        ),
    )
    consumer = Flow(
        id=DEFAULT_CONSUMER_FLOW_ID,
        name="Standard (consumer)",
        selection=FlowSelection(debtor_types=frozenset({DebtorType.B2C})),
        calendar=calendar,
        steps=(
            *first_two,
            Step(
                id="fourteen-day-letter",
                offset_days=14,
                offset_from=OffsetBasis.PREVIOUS_STEP,
                channels=(Channel.EMAIL, Channel.LETTER),
                template_key=FOURTEEN_DAY_LETTER,
                target_phase=FINAL_REMINDER,
                legally_required=True,
            ),
            Step(
                id="ready-for-collection",
                offset_days=LEGAL_TERM_DAYS + 2,
                offset_from=OffsetBasis.PREVIOUS_STEP,
                channels=(),
                template_key="",
                target_phase=READY_FOR_COLLECTION,
            ),
        ),
    )
    return business, consumer


__all__ = [
    "DEFAULT_BUSINESS_FLOW_ID",
    "DEFAULT_CONSUMER_FLOW_ID",
    "DEFAULT_MIN_DAYS_BETWEEN_REMINDERS",
    "DEFAULT_TEMPLATE_KEYS",
    "LEGAL_TERM_DAYS",
    "UNAVAILABLE_CHANNELS",
    "Bundling",
    "Channel",
    "Flow",
    "FlowDraft",
    "FlowSelection",
    "OffsetBasis",
    "Step",
    "StepDraft",
    "build_flow",
    "default_flows",
    "ensure_valid_flow",
    "select_flow",
    "validate_flow",
]
