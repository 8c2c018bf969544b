"""The shapes of the commands passed to dunning: pauses and step control."""

from __future__ import annotations

from datetime import date
from typing import Literal

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
