"""What the collection service publishes, and what bailiffs report back.

- `collection.cases.v1`: a case's life (proposed, opened, steps, charges, payments, forwarded,
  closed). Dunning holds the invoices of an open case; the gateway keeps its read model.
- `collection.messages.v1`: the messages of a case's steps, for messaging to send.
- `collection.handoffs.v1`: **the external contract with bailiffs**. A case forwarded to a
  partner with a direct integration, with everything a bailiff needs. Documented for partners
  in docs/asyncapi/bailiffs.json with a JSON Schema of each payload (docs/schemas/).
- `collection.partner-updates.v1`: what a partner reports about a case it received (accepted,
  rejected, payment received, proceedings started, closed). Written by partners, read by
  collection; part of the same external contract.

Money is a decimal string in JSON, dates ISO 8601, times with their zone. Inside a version
changes are additive only: a partner ignores fields it does not know.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from settle_shared.events.base import Event, Topic, contract, event, topic

BAILIFFS = contract(
    "bailiffs",
    title="Settle: cases for judicial collection partners",
    description="How a judicial collection partner (a bailiff) with a direct integration works "
    "with Settle. Settle publishes a case it forwards to the partner on "
    "collection.handoffs.v1 (CaseHandedOff: everything the partner needs, as one document); "
    "the partner reports what becomes of it on collection.partner-updates.v1 (PartnerUpdate: "
    "accepted, rejected with a reason, a payment received, legal proceedings started, closed). "
    "Every record is a CloudEvents 1.0 event in Kafka binary mode: the attributes are headers "
    "(ce_id, ce_type, ce_source, ce_time, ce_specversion, ce_subject, content-type), Settle's "
    "administration_id is a header too, and the value is the JSON payload. Money is a decimal "
    "string, dates are ISO 8601, times carry their zone. The record key is the case id. Read "
    "the handoffs meant for your partner_id; inside version 1 changes are additive only, so "
    "ignore fields you do not know. Report with the case's administration_id, case_id and "
    "handoff_id from the handoff, your own update_id (a repeat is harmless) and a sequence "
    "that grows per case. A report Settle cannot apply (an unknown case, another partner's, "
    "an invalid payload) goes to collection.partner-updates.v1.dlt with the reason in the "
    "dlt_error header.",
)

CASES = topic(
    "collection.cases.v1",
    producer="collection",
    key="case_id: one case's events stay in order",
    description="Collection cases: proposed, opened or declined, their steps, costs and "
    "interest charged or remitted, payments allocated, forwarded to a bailiff, what the "
    "partner reported, closed.",
)
MESSAGES = topic(
    "collection.messages.v1",
    producer="collection",
    key="debtor_id: one debtor's messages stay in order",
    description="Requests to send the message of a case's step to the debtor, written by "
    "collection, sent by messaging.",
)
HANDOFFS = topic(
    "collection.handoffs.v1",
    producer="collection",
    key="case_id",
    description="Cases forwarded to a judicial collection partner (a bailiff) with a direct "
    "integration: everything the partner needs, as one document. An external contract: see "
    "docs/asyncapi/bailiffs.json.",
    contract=BAILIFFS,
)
PARTNER_UPDATES = topic(
    "collection.partner-updates.v1",
    producer="partners",
    key="case_id",
    description="What a judicial collection partner reports about a case it received: "
    "accepted, rejected with a reason, a payment received, legal proceedings started, closed. "
    "Written by partners outside Settle: see docs/asyncapi/bailiffs.json.",
    contract=BAILIFFS,
)

CaseStep = Literal[
    "new",
    "reminder",
    "second_reminder",
    "notice_of_default",
    "ready_for_bailiff",
    "pre_court",
    "with_bailiff",
]
CaseStatus = Literal["proposed", "open", "closed", "declined"]
CaseOutcome = Literal["paid", "remitted", "withdrawn", "uncollectable"]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time carries its zone")
    return moment


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class CaseBalance(BaseModel):
    """What is open of a case on a date: principal, costs (with their VAT) and interest."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    principal: Decimal
    costs: Decimal = Field(description="costs charged and not paid or remitted, VAT included")
    interest: Decimal = Field(description="interest charged and not paid or remitted")
    total: Decimal
    currency: str = Field(description="ISO 4217 code")
    as_of: date = Field(description="the business date the interest was computed for")


class CaseEvent(Event):
    """Every case event says where the case stands after it, so a read model can follow
    the case from any one of them."""

    topic: ClassVar[Topic] = CASES

    administration_id: str
    case_id: str
    debtor_id: str
    invoice_ids: list[str] = Field(description="the case's invoices")
    status: CaseStatus
    step: CaseStep
    paused: bool = False
    payment_plan_id: str | None = Field(
        None, description="the payment plan pausing the case (payment plan active), if any"
    )
    balance: CaseBalance
    on: date = Field(description="the business date it happened")

    def key(self) -> str:
        return self.case_id


@event
class CaseProposed(CaseEvent):
    """A debtor's invoices are ready for collection and the administration opens cases only
    after a user approves (or the debtor has an unmatched credit note): a case waits."""

    event_type: ClassVar[str] = "settle.collection.case.proposed"

    why: str = Field(description="why it waits for approval, for a person to read")


@event
class CaseOpened(CaseEvent):
    """A case opened: its invoices are now held by their case (dunning stops its own flow)."""

    event_type: ClassVar[str] = "settle.collection.case.opened"

    how: Literal["automatic", "approved", "by_hand"]


@event
class CaseDeclined(CaseEvent):
    """A user declined to open the proposed case; its invoices stay with dunning."""

    event_type: ClassVar[str] = "settle.collection.case.declined"

    reason: str


@event
class CaseInvoicesAdded(CaseEvent):
    """More invoices of the debtor became ready and joined the case."""

    event_type: ClassVar[str] = "settle.collection.case.invoices_added"

    added_invoice_ids: list[str]


@event
class CaseStepChanged(CaseEvent):
    """The case moved to another step."""

    event_type: ClassVar[str] = "settle.collection.case.step_changed"

    previous_step: CaseStep
    by: Literal["schedule", "user", "partner"]


@event
class CasePauseChanged(CaseEvent):
    """A user paused or resumed the case, or a payment plan covering it started or ended
    (`paused` and `payment_plan_id` say which)."""

    event_type: ClassVar[str] = "settle.collection.case.pause_changed"


@event
class CaseCharged(CaseEvent):
    """Costs or interest were charged to the debtor."""

    event_type: ClassVar[str] = "settle.collection.case.charged"

    part: Literal["costs", "interest"]
    amount: Decimal | None = Field(
        None, description="costs: the amount without VAT; interest: None (it runs from its start)"
    )
    vat: Decimal | None = Field(None, description="the VAT on the costs, when charged")
    reason: str | None = None


@event
class CaseRemitted(CaseEvent):
    """Costs or interest were remitted (waived), wholly or in part, with a reason."""

    event_type: ClassVar[str] = "settle.collection.case.remitted"

    part: Literal["costs", "interest"]
    amount: Decimal
    reason: str


@event
class CasePaymentAllocated(CaseEvent):
    """Money came in for the case and was allocated to costs, interest and principal."""

    event_type: ClassVar[str] = "settle.collection.case.payment_allocated"

    payment_id: str
    source: Literal["bookkeeping", "online", "partner", "manual"]
    amount: Decimal = Field(description="negative when money went back (refund, chargeback)")
    costs: Decimal
    interest: Decimal
    principal: Decimal
    surplus: Decimal


@event
class CaseForwarded(CaseEvent):
    """The case was forwarded to its judicial collection partner."""

    event_type: ClassVar[str] = "settle.collection.case.forwarded"

    handoff_id: str
    partner_id: str = Field(description="the registry's id of the partner, or own_partner")


@event
class CasePartnerReported(CaseEvent):
    """A partner's report was applied to the case."""

    event_type: ClassVar[str] = "settle.collection.case.partner_reported"

    partner_id: str
    kind: Literal["accepted", "rejected", "payment_received", "proceedings_started", "closed"]
    detail: str | None = None


@event
class CaseClosed(CaseEvent):
    """The case ended: paid, the rest remitted, withdrawn (its invoices go back to dunning)
    or written off as uncollectable."""

    event_type: ClassVar[str] = "settle.collection.case.closed"

    outcome: CaseOutcome
    reason: str | None = None


# --- messages -------------------------------------------------------------------------------


class CaseMessageAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    street: str
    postal_code: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class CaseMessageDebtor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    debtor_id: str
    number: str
    name: str
    kind: Literal["business", "consumer"]
    emails: list[str] = Field(default_factory=list)
    address: CaseMessageAddress | None = None


@event
class CaseMessageRequested(Event):
    """Send the message of a case's step to the debtor. Collection writes the text (it states
    the amounts as the case has them); messaging sends it in the administration's layout,
    on the case's timeline. `message_request_id` is the idempotency key."""

    event_type: ClassVar[str] = "settle.collection.message.requested"
    topic: ClassVar[Topic] = MESSAGES

    message_request_id: str
    administration_id: str
    case_id: str
    step: CaseStep
    business_date: date
    debtor: CaseMessageDebtor
    invoice_ids: list[str]
    channels: list[Literal["email", "letter"]]
    language: str = Field(description="ISO 639-1 of the text")
    subject_line: str = Field(description="the subject, in the debtor's language")
    body: str = Field(description="plain text; messaging adds the greeting's layout and footer")
    sender_name: str

    def key(self) -> str:
        return self.debtor.debtor_id


# --- the external contract with bailiffs ----------------------------------------------------


class HandoffAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    lines: list[str] = Field(description="street and house number, …")
    postal_code: str | None = None
    city: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2")


class HandoffCreditor(BaseModel):
    """The creditor: the administration the case belongs to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    administration_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    address: HandoffAddress | None = None
    iban: str | None = None
    chamber_of_commerce: str | None = Field(None, description="KvK number")


class HandoffDebtor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    debtor_id: str
    number: str = Field(description="the debtor's number in the creditor's bookkeeping")
    name: str
    kind: Literal["business", "consumer"]
    emails: list[str] = Field(default_factory=list)
    phone: str | None = None
    addresses: list[HandoffAddress] = Field(default_factory=list)
    language: str | None = Field(None, description="ISO 639-1")


class HandoffInvoice(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    invoice_id: str
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal = Field(description="the invoice's amount")
    principal: Decimal = Field(description="what is claimed of it in the case")
    currency: str
    pdf_url: str | None = Field(None, description="where the invoice's PDF can be fetched")
    interest_from: date | None = Field(
        None, description="the first day statutory interest runs on it"
    )


class HandoffAmounts(BaseModel):
    """What the debtor owes, computed on `computed_on`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    currency: str
    principal: Decimal = Field(description="principal still open")
    costs: Decimal = Field(description="collection costs charged and open, without VAT")
    costs_vat: Decimal = Field(description="VAT on the costs (0 when the creditor deducts it)")
    interest: Decimal = Field(description="statutory interest charged and open")
    paid: Decimal = Field(description="everything paid in the case so far")
    total: Decimal = Field(description="principal + costs + costs_vat + interest")
    computed_on: date
    interest_kind: Literal["consumer", "commercial"] | None = Field(
        None, description="consumer: art. 6:119 BW; commercial: art. 6:119a BW"
    )
    interest_rates_confirmed: bool = Field(
        True,
        description="false when a period of the interest used a rate that could not be "
        "confirmed from an official publication",
    )


class HandoffTimelineEntry(BaseModel):
    """One thing that happened: a message to or from the debtor, or a step of the case."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    at: date
    kind: Literal["message", "case"]
    channel: str | None = Field(None, description="email or letter, for a message")
    direction: Literal["outbound", "inbound"] | None = None
    subject: str | None = None
    state: str | None = Field(None, description="sent, failed, bounced, awaiting posting, …")
    legally_required: bool = False
    detail: str | None = None
    message_id: str | None = Field(None, description="Settle's id of the message")


class HandoffLetter(BaseModel):
    """Proof of the consumer's 14-day letter (art. 6:96 lid 6 BW)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sent_on: date
    received_on: date = Field(description="the day it counts as received")
    term_ends_on: date = Field(description="the last of the 14 days")
    channels: list[str] = Field(description="how it went out (email, letter)")
    message_ids: list[str] = Field(description="Settle's ids of the messages that carried it")
    costs_stated: Decimal | None = Field(None, description="the costs the letter announced")


@event
class CaseHandedOff(Event):
    """A case forwarded to a judicial collection partner, with everything the partner needs:
    the creditor, the debtor with addresses, the invoices (PDFs by link), the amounts and the
    date they were computed, the whole communication timeline and the proof of the 14-day
    letter. `handoff_id` is the idempotency key: the same handoff delivered twice is one."""

    event_type: ClassVar[str] = "settle.collection.case.handed_off"
    topic: ClassVar[Topic] = HANDOFFS

    handoff_id: str
    document_version: Literal["1"] = "1"
    administration_id: str
    case_id: str
    partner_id: str
    handed_off_at: AwareDatetime
    creditor: HandoffCreditor
    debtor: HandoffDebtor
    invoices: list[HandoffInvoice]
    amounts: HandoffAmounts
    timeline: list[HandoffTimelineEntry]
    fourteen_day_letter: HandoffLetter | None = Field(
        None, description="the consumer's 14-day letter; None for a business"
    )

    def key(self) -> str:
        return self.case_id


@event
class PartnerUpdate(Event):
    """What a partner reports about a case it received. Send it with the CloudEvents headers
    of docs/asyncapi/bailiffs.json (`administration_id` among them). `update_id` makes a
    repeated report harmless; `sequence` orders a partner's reports on one case (a report
    older than one already applied changes nothing)."""

    event_type: ClassVar[str] = "settle.collection.partner.update"
    topic: ClassVar[Topic] = PARTNER_UPDATES

    update_id: str = Field(min_length=1, max_length=100)
    administration_id: str
    case_id: str
    handoff_id: str
    partner_id: str
    sequence: int = Field(ge=1, description="1, 2, 3, … per case, in the order of reporting")
    kind: Literal["accepted", "rejected", "payment_received", "proceedings_started", "closed"]
    reported_at: AwareDatetime
    reason: str | None = Field(
        None, max_length=2000, description="rejected or closed: why, for a person to read"
    )
    amount: Decimal | None = Field(
        None, gt=0, description="payment_received: what the partner received"
    )
    currency: str | None = Field(None, description="payment_received: ISO 4217")
    outcome: Literal["paid", "uncollectable", "withdrawn"] | None = Field(
        None, description="closed: how the partner ended the case"
    )

    def key(self) -> str:
        return self.case_id
