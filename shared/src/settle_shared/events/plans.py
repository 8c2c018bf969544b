"""What dunning publishes about payment plans: a schedule of instalments that replaces the
reminder flow of the invoices it covers.

Every event carries the whole plan as it stands after the change (its schedule, what is paid
and what is left, per instalment), with a `version` that grows by one per change: a consumer
keeps the plan of the highest version and never has to replay a history. The payments
service learns from them what an instalment's payment is for and how much it is; the
gateway shows plans on timelines and lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from settle_shared.events.base import Event, Topic, event, topic

PLANS = topic(
    "dunning.plans.v1",
    producer="dunning",
    key="plan_id: one plan's changes stay in order (each event carries the whole plan)",
    description="Payment plans: proposed by a debtor, started, edited, paid in part, expired, "
    "completed, ended or rejected; every event carries the plan as it stands after it.",
)

PlanStatus = Literal["requested", "active", "expired", "completed", "ended", "rejected"]
PlanKind = Literal[
    "delayed",
    "weekly",
    "monthly",
    "fixed_amount_weekly",
    "fixed_amount_monthly",
    "custom",
]
InstalmentStatus = Literal["open", "paid", "missed"]


class PlanInstalment(BaseModel):
    """One instalment of the schedule and how much of it is paid."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    number: int = Field(description="1 for the first instalment")
    due_on: date = Field(description="the business date it is due")
    amount: Decimal = Field(description="what it asks; the last absorbs the rounding")
    paid_amount: Decimal = Field(description="what of it is paid (payments count in order)")
    status: InstalmentStatus = Field(
        description="open; paid: fully paid; missed: its day (and the grace days) passed unpaid"
    )


class PlanCase(BaseModel):
    """A collection case the plan covers: collection pauses it while the plan runs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    invoice_ids: list[str] = Field(description="the case's invoices when the plan was made")
    covered_amount: Decimal = Field(
        description="the case's balance (principal, costs and interest) when the plan was made"
    )
    open_amount: Decimal = Field(
        description="what of it is still open as collection reported it (0: the case closed)"
    )


class PaymentPlanEvent(Event):
    """The plan after the change the event type names."""

    topic: ClassVar[Topic] = PLANS
    key_field: ClassVar[str | None] = "plan_id"

    administration_id: str
    plan_id: str
    version: int = Field(description="grows by one per change of the plan; keep the highest")
    debtor_id: str
    invoice_ids: list[str] = Field(
        description="the invoices the plan covers itself (not those of its cases)"
    )
    cases: list[PlanCase] = Field(
        default_factory=list, description="the collection cases the plan covers"
    )
    status: PlanStatus = Field(
        description="requested: proposed by the debtor, waiting for a person; active: the "
        "invoices' reminders wait while instalments are due; expired: the last date passed "
        "unpaid; completed: the invoices are settled; ended: a person ended it; rejected: a "
        "person declined the proposal"
    )
    kind: PlanKind
    proposed_by: Literal["user", "debtor"]
    reason: str | None = Field(None, description="the debtor's reason, for a proposal")
    currency: str = Field(description="ISO 4217 code")
    covered_amount: Decimal = Field(description="what the schedule covers")
    paid_amount: Decimal = Field(description="what is paid toward the schedule so far")
    left_amount: Decimal = Field(description="covered minus paid, never below zero")
    instalments: list[PlanInstalment]
    created_on: date = Field(description="the business date the plan was proposed or created")
    started_on: date | None = Field(None, description="when it started (approved or created)")
    ended_on: date | None = Field(None, description="when it stopped being active, if it has")


@event
class PaymentPlanRequested(PaymentPlanEvent):
    """A debtor proposed a plan in the portal; its invoices wait for a person's decision."""

    event_type: ClassVar[str] = "settle.dunning.plan.requested"


@event
class PaymentPlanStarted(PaymentPlanEvent):
    """A plan started: created by a user, or a debtor's proposal approved. Its invoices'
    reminders wait; the debtor is sent the schedule."""

    event_type: ClassVar[str] = "settle.dunning.plan.started"


@event
class PaymentPlanEdited(PaymentPlanEvent):
    """A person gave the plan a new schedule for what is left of the same invoices."""

    event_type: ClassVar[str] = "settle.dunning.plan.edited"


@event
class PaymentPlanProgressed(PaymentPlanEvent):
    """What is paid or what is due changed: a payment counted, an import lowered the open
    amounts, or an instalment was missed."""

    event_type: ClassVar[str] = "settle.dunning.plan.progressed"


@event
class PaymentPlanExpired(PaymentPlanEvent):
    """The plan's last date passed and it is not fully paid: a person should end or edit it."""

    event_type: ClassVar[str] = "settle.dunning.plan.expired"


@event
class PaymentPlanCompleted(PaymentPlanEvent):
    """Every invoice of the plan is settled."""

    event_type: ClassVar[str] = "settle.dunning.plan.completed"


@event
class PaymentPlanEnded(PaymentPlanEvent):
    """A person ended the plan: the invoices' flows resume from that day."""

    event_type: ClassVar[str] = "settle.dunning.plan.ended"


@event
class PaymentPlanRejected(PaymentPlanEvent):
    """A person declined the debtor's proposal: the flows resume and the debtor is told."""

    event_type: ClassVar[str] = "settle.dunning.plan.rejected"
