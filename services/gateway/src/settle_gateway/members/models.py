"""The shapes of the users of an administration and their roles."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    active: bool


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["administrator", "standard", "communication", "restricted"]
