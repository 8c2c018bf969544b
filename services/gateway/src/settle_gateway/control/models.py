"""The shapes of the commands passed to dunning: pauses and step control."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

PauseMode = Literal["active", "reminders_paused", "fully_paused"]


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["reminders_paused", "fully_paused"]


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: date


class AdministrationSettingsOut(BaseModel):
    """The administration as dunning has it: its pause and its last daily run."""

    id: str
    pause: PauseMode
    paused_on: date | None = Field(description="the business date the pause began")
    last_run_date: date | None = Field(description="the business date of the last daily run")


class ProfileIn(BaseModel):
    """How the administration signs its messages, in which languages it writes, and what an
    undeliverable email address does (kept by messaging). Sent whole: a field left out goes
    back to its default."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200, description="the sender's name")
    email: str | None = Field(None, max_length=320)
    phone: str | None = Field(None, max_length=50)
    website: str | None = Field(None, max_length=200)
    street: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=20)
    city: str | None = Field(None, max_length=100)
    country: str = Field("NL", pattern=r"^[A-Z]{2}$")
    iban: str | None = Field(None, max_length=50)
    chamber_of_commerce: str | None = Field(None, max_length=50)
    default_language: str = Field("nl", pattern=r"^[a-z]{2}$")
    fallback_language: str = Field("en", pattern=r"^[a-z]{2}$")
    bounce_policy: Literal["block", "letter", "both"] | None = Field(
        None,
        description="after a hard bounce: block the address, send a letter instead, or both "
        "(none: block)",
    )


class ProfileOut(ProfileIn):
    model_config = ConfigDict(extra="ignore")


# --- flows ---------------------------------------------------------------------------------


class FlowStep(BaseModel):
    """One step of a flow."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    offset_days: int = Field(
        ge=-3650,
        le=3650,
        description="days from the due date (negative: before it) or from the previous step",
    )
    offset_from: Literal["due_date", "previous_step"] = "due_date"
    channels: list[Literal["email", "letter", "sms", "call_task"]] = Field(
        default_factory=list, max_length=4
    )
    template_key: str = Field("", max_length=64, description="the message template it sends")
    target_phase: str = Field(
        min_length=1,
        max_length=50,
        description="the phase it moves the invoice into, e.g. reminder_1, final_reminder",
    )
    minimum_open_amount: Decimal = Field(
        Decimal("0.00"),
        ge=0,
        max_digits=14,
        decimal_places=2,
        description="below this open amount the step is held back with an attention item",
    )
    legally_required: bool = Field(False, description="the consumer's 14-day letter")


class FlowSelection(BaseModel):
    """Which invoices a flow applies to (empty: any)."""

    model_config = ConfigDict(extra="forbid")

    payment_conditions: list[str] = Field(default_factory=list, max_length=200)
    debtor_types: list[Literal["b2b", "b2c"]] = Field(default_factory=list, max_length=2)


class FlowCalendar(BaseModel):
    """On which days a flow's steps go out: a step due on another day moves to the next one."""

    model_config = ConfigDict(extra="forbid")

    sending_days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5],
        max_length=7,
        description="ISO weekdays, 1 = Monday",
    )
    country: str | None = Field(
        "NL", pattern=r"^[A-Z]{2}$", description="whose national holidays are skipped"
    )
    blocked_dates: list[date] = Field(default_factory=list, max_length=1000)


class FlowBundling(BaseModel):
    """Whether one debtor's due reminders go out together, and how often at most."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    min_days_between_reminders: int = Field(7, ge=0, le=365)


class FlowIn(BaseModel):
    """A dunning flow: its steps, the invoices it is for, its sending days and bundling. Left
    out, the selection, calendar and bundling are dunning's defaults."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    steps: list[FlowStep] = Field(max_length=50)
    selection: FlowSelection = Field(default_factory=FlowSelection)
    calendar: FlowCalendar = Field(default_factory=FlowCalendar)
    bundling: FlowBundling = Field(default_factory=FlowBundling)


# What dunning answers: the same shapes, read leniently (a field dunning adds later is left
# out of the answer, not an error).
class FlowStepOut(FlowStep):
    model_config = ConfigDict(extra="ignore")


class FlowSelectionOut(FlowSelection):
    model_config = ConfigDict(extra="ignore")


class FlowCalendarOut(FlowCalendar):
    model_config = ConfigDict(extra="ignore")


class FlowBundlingOut(FlowBundling):
    model_config = ConfigDict(extra="ignore")


class FlowProblem(BaseModel):
    loc: list[str | int] = Field(description='where, as a refusal says it: ["body", "steps", 0]')
    msg: str = Field(description="what is wrong with it now")


class FlowOut(BaseModel):
    id: str
    name: str
    steps: list[FlowStepOut]
    selection: FlowSelectionOut
    calendar: FlowCalendarOut
    bundling: FlowBundlingOut
    problems: list[FlowProblem] = Field(
        default_factory=list,
        description="why the flow would be refused if it were saved today (an SMS step stored "
        "before SMS was refused, for instance); empty for a sound flow",
    )
