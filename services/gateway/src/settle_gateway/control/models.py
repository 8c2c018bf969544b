"""The shapes of the commands passed to dunning: pauses and step control."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

PauseMode = Literal["active", "reminders_paused", "fully_paused"]


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["reminders_paused", "fully_paused"]


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: date
