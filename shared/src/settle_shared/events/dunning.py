"""What the dunning service publishes: steps executed and planned, phase changes, message
requests for messaging, invoices ready for collection, attention items, and pauses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_shared.events.base import Event, Topic, event, topic

STEPS = topic(
    "dunning.steps.v1",
    producer="dunning",
    key="invoice_id: one invoice's steps and phases stay in order",
    description="Each invoice's dunning: steps executed, failed and planned, phase changes, "
    "and the end of the flow (ready for collection).",
)
MESSAGES = topic(
    "dunning.messages.v1",
    producer="dunning",
    key="debtor_id: one debtor's reminders stay in order",
    description="Requests to send a reminder (one or more invoices of one debtor) with "
    "everything a template needs.",
)
ATTENTION = topic(
    "dunning.attention.v1",
    producer="dunning",
    key="subject_id (the invoice or debtor the item is about)",
    description="Attention items dunning raises and resolves: something a person should look at.",
)
DEBTORS = topic(
    "dunning.debtors.v1",
    producer="dunning",
    key="debtor_id",
    description="What a user chose about a debtor that bookkeeping does not hold (the "
    "language to write to them in).",
)
PAUSES = topic(
    "dunning.pauses.v1",
    producer="dunning",
    key="administration_id: an administration's pauses and its debtors' stay in order",
    description="Whole administrations and single debtors paused and resumed (an invoice's "
    "own hold travels with its plan, as StepPlanned.on_hold).",
)

Money = Decimal
PauseMode = Literal["active", "reminders_paused", "fully_paused"]


class InvoiceStepEvent(Event):
    topic: ClassVar[Topic] = STEPS

    administration_id: str
    invoice_id: str
    debtor_id: str

    def key(self) -> str:
        return self.invoice_id


@event
class StepExecuted(InvoiceStepEvent):
    """A step of an invoice's flow was carried out (a line on the invoice's timeline). It
    carries the step planned next, so a daily run publishes one step event per invoice."""

    event_type: ClassVar[str] = "settle.dunning.step.executed"

    flow_id: str
    step_id: str
    executed_on: date = Field(description="the business date the step ran")
    reason: Literal["scheduled", "catch_up", "performed_now"] = Field(
        description="scheduled: on its planned date; catch_up: its date had passed without a "
        "run; performed_now: a user asked for it"
    )
    channels: list[Literal["email", "letter", "sms", "call_task"]] = Field(
        description="how the step went out (empty for the move to ready for collection)"
    )
    phase: str = Field(description="the phase the step moves the invoice into, e.g. reminder_1")
    cycle: int = Field(description="counts flow resets; 1 for the first run through the flow")
    legally_required: bool = Field(description="the consumer's 14-day letter (art. 6:96 BW)")
    message_request_id: str | None = Field(
        None, description="the MessageRequested that carries it, when it reaches the debtor"
    )
    next_step_id: str | None = Field(None, description="the step planned next, if any")
    next_step_on: date | None = Field(None, description="the date the next step is planned for")


@event
class StepFailed(InvoiceStepEvent):
    """An executed step's message reached the debtor on none of its channels (messaging
    reported each failed, or bounced for good). The step stays on the timeline as failed and
    counts as not done: when it was the invoice's latest step, the phase goes back
    (PhaseChanged) and the step is planned again (StepPlanned, usually blocked until a person
    or a change of the debtor's details clears the cause)."""

    event_type: ClassVar[str] = "settle.dunning.step.failed"

    flow_id: str
    step_id: str
    executed_on: date = Field(description="the business date the step ran (its StepExecuted)")
    cycle: int = Field(description="the cycle of the step (StepExecuted.cycle)")
    message_request_id: str = Field(description="the MessageRequested that carried it")
    failed_on: date = Field(description="the business date dunning learnt of the failure")
    channels: list[Literal["email", "letter", "sms"]] = Field(
        description="the channels that failed"
    )
    reason: str = Field(
        description="messaging's reason code of the last failure (MessageFailed.reason), or "
        "bounced for a hard bounce"
    )
    detail: str = Field(description="what went wrong, for a person to read")
    phase: str = Field(description="the invoice's phase now")


@event
class StepPlanned(InvoiceStepEvent):
    """The next step of an invoice was (re)planned: after an import fact, a pause or resume,
    a user's step control or a flow edit. No step id: nothing is planned any more."""

    event_type: ClassVar[str] = "settle.dunning.step.planned"

    flow_id: str
    step_id: str | None = Field(None, description="the next step; None when nothing is planned")
    planned_on: date | None = Field(None, description="the business date it is planned for")
    basis: Literal["schedule", "rescheduled", "deferred_for_interval"] | None = Field(
        None,
        description="schedule: the flow's offsets; rescheduled: a user picked the date; "
        "deferred_for_interval: the debtor was reminded too recently",
    )
    phase: str = Field(description="the invoice's current phase")
    on_hold: bool = Field(False, description="the invoice itself is paused")
    blocked_by: str | None = Field(
        None, description="why the step waits for more than its date (e.g. email_missing)"
    )
    settled: bool = Field(False, description="the invoice is settled: dunning stopped")


@event
class PhaseChanged(InvoiceStepEvent):
    """An invoice moved into a later phase (phases only move forward, except on a reset and
    when the step that moved it failed: see StepFailed)."""

    event_type: ClassVar[str] = "settle.dunning.phase.changed"

    previous_phase: str
    phase: str = Field(description="e.g. sent, reminder_1, final_reminder, ready_for_collection")
    on: date = Field(description="the business date of the change")
    open_amount: Money
    currency: str = Field(description="ISO 4217 code")


@event
class InvoiceReadyForCollection(InvoiceStepEvent):
    """An invoice finished its reminder flow: the collection service may open a case."""

    event_type: ClassVar[str] = "settle.dunning.invoice.ready_for_collection"

    flow_id: str
    open_amount: Money
    currency: str = Field(description="ISO 4217 code")
    on: date = Field(description="the business date the flow ended")
    legal_letter_sent_on: date | None = Field(
        None, description="when the consumer's 14-day letter went out (None for businesses)"
    )


class MessageAddress(BaseModel):
    """Where a letter goes."""

    model_config = ConfigDict(frozen=True)

    street: str
    postal_code: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class MessageDebtor(BaseModel):
    """The debtor as a template addresses them."""

    model_config = ConfigDict(frozen=True)

    debtor_id: str
    number: str
    name: str
    kind: Literal["business", "consumer"]
    emails: list[str] = Field(default_factory=list)
    phone: str | None = None
    address: MessageAddress | None = None
    language: str | None = Field(
        None,
        description="ISO 639-1: the debtor's own (chosen by a user, else bookkeeping's); None "
        "when they have none, so the request's `language` is the administration's",
    )
    country: str | None = Field(None, description="ISO 3166-1 alpha-2, as bookkeeping has it")


class MessageInvoice(BaseModel):
    """One invoice in a reminder, with the step that reminds of it."""

    model_config = ConfigDict(frozen=True)

    invoice_id: str
    number: str
    invoice_date: date
    due_date: date
    amount: Money
    open_amount: Money
    currency: str
    step_id: str
    phase: str
    legally_required: bool


class MessagePlanInstalment(BaseModel):
    """One instalment of a payment plan in a message."""

    model_config = ConfigDict(frozen=True)

    number: int
    due_on: date
    amount: Money
    paid_amount: Money = Field(description="what of it is paid")


class MessagePaymentPlan(BaseModel):
    """The payment plan a message is about: its schedule and the instalment concerned."""

    model_config = ConfigDict(frozen=True)

    plan_id: str
    total: Money = Field(description="what the schedule covers")
    left: Money = Field(description="what is left to pay")
    currency: str
    instalments: list[MessagePlanInstalment]
    instalment: int | None = Field(
        None, description="the instalment a reminder or missed-instalment notice is about"
    )


class MessageCreditNote(BaseModel):
    """An open credit note of the debtor, stated in a reminder in its currency."""

    model_config = ConfigDict(frozen=True)

    credit_note_id: str
    number: str
    invoice_date: date | None = None
    amount: Money = Field(description="negative")
    open_amount: Money = Field(description="negative: what is not matched yet")
    currency: str
    corrects_invoice_number: str | None = Field(
        None, description="the invoice it corrects, when the document says"
    )


@event
class MessageRequested(Event):
    """Send one reminder to one debtor about one or more invoices (a bundle).

    `message_request_id` is the idempotency key: the same request delivered twice is sent
    once. It depends only on the administration, debtor, flow, business date and invoices.
    """

    event_type: ClassVar[str] = "settle.dunning.message.requested"
    topic: ClassVar[Topic] = MESSAGES

    message_request_id: str = Field(description="idempotency key of the message")
    administration_id: str
    flow_id: str
    business_date: date
    debtor: MessageDebtor
    invoices: list[MessageInvoice] = Field(description="the bundle, by due date")
    total_open_amount: Money
    currency: str = Field(description="ISO 4217 code")
    channels: list[Literal["email", "letter", "sms"]] = Field(
        description="channels that reach the debtor"
    )
    template_key: str = Field(description="template of the most advanced step in the bundle")
    tone: Literal["formal", "informal"]
    language: str = Field(description="ISO 639-1: the debtor's, else the administration's")
    fallback_language: str = Field(description="used when the template lacks `language`")
    phase: str = Field(description="the most advanced phase in the bundle")
    legally_required: bool = Field(
        description="the bundle holds a consumer's 14-day letter: its sending must be provable"
    )
    collection_costs: Money | None = Field(
        None,
        description="for the 14-day letter: the WIK collection costs it must state, on the "
        "amount the letter asks for (`amount_due`)",
    )
    credit_notes: list[MessageCreditNote] = Field(
        default_factory=list,
        description="the debtor's open credit notes in `currency` (reminders only; amounts of "
        "another currency are never added)",
    )
    amount_due: Money | None = Field(
        None,
        description="what remains of `total_open_amount` after the credit notes: the amount "
        "the message asks for (None in a request from before credit notes were stated)",
    )
    payment_plan: MessagePaymentPlan | None = Field(
        None,
        description="for a payment plan's confirmation, instalment reminder or missed-"
        "instalment notice: the plan's schedule and the instalment concerned",
    )

    def key(self) -> str:
        return self.debtor.debtor_id


class _AttentionEvent(Event):
    topic: ClassVar[Topic] = ATTENTION

    administration_id: str
    subject_type: Literal["invoice", "debtor"] = Field(description="what the item is about")
    subject_id: str
    reason: Literal[
        "email_missing",
        "phone_missing",
        "below_minimum_amount",
        "possible_bookkeeping_error",
        "email_undeliverable",
        "unread_messages",
        "needs_call",
        "ready_for_collection",
        "unmatched_credit_note",
        "legal_letter_missing",
        "letter_to_post",
        "message_failed",
        "online_payment_registered",
        "online_payment_reversed",
        "online_payment_not_booked",
        "due_date_assumed",
        "payment_plan_requested",
        "payment_plan_expired",
    ] = Field(description="reason code; one open item per subject and reason")
    sentence: str = Field(description="what happened and what to do, for a person to read")

    def key(self) -> str:
        return self.subject_id


@event
class AttentionRaised(_AttentionEvent):
    """Something a person should look at (an item already open is not raised again)."""

    event_type: ClassVar[str] = "settle.dunning.attention.raised"

    invoice_ids: list[str] = Field(default_factory=list, description="invoices concerned")


@event
class AttentionUpdated(_AttentionEvent):
    """An open attention item raised again: its sentence (an unread count, say) and its
    invoices as they are now."""

    event_type: ClassVar[str] = "settle.dunning.attention.updated"

    invoice_ids: list[str] = Field(default_factory=list, description="invoices concerned")


@event
class AttentionResolved(_AttentionEvent):
    """The cause of an open attention item went away; `sentence` says how."""

    event_type: ClassVar[str] = "settle.dunning.attention.resolved"


class _PauseEvent(Event):
    topic: ClassVar[Topic] = PAUSES

    administration_id: str
    mode: PauseMode = Field(
        description="active; reminders_paused: new invoices still get their first step, no "
        "reminders go out; fully_paused: nothing goes out"
    )

    def key(self) -> str:
        return self.administration_id


@event
class AdministrationPauseChanged(_PauseEvent):
    """A user paused or resumed the whole administration."""

    event_type: ClassVar[str] = "settle.dunning.administration.pause_changed"

    paused_on: date | None = Field(None, description="business date of the pause; None if active")


@event
class DebtorPauseChanged(_PauseEvent):
    """A user paused or resumed one debtor (all of their invoices)."""

    event_type: ClassVar[str] = "settle.dunning.debtor.pause_changed"

    debtor_id: str


@event
class DebtorLanguageChosen(Event):
    """A user chose the language to write to a debtor in; no import changes it. None: the
    debtor's language is bookkeeping's again."""

    event_type: ClassVar[str] = "settle.dunning.debtor.language_chosen"
    topic: ClassVar[Topic] = DEBTORS

    administration_id: str
    debtor_id: str
    language: str | None = Field(description="ISO 639-1, or None")

    key_field: ClassVar[str | None] = "debtor_id"
