"""The shapes of the users of an administration, their roles and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RoleName = Literal["administrator", "standard", "communication", "restricted"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    active: bool
    state: Literal["invited", "active", "deactivated"] = Field(
        description="invited: has not chosen a password yet (an invitation is open); "
        "deactivated: can no longer sign in"
    )


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: RoleName


class InviteIn(BaseModel):
    """A person to give a role: a new user of the organisation, or one it has already."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    name: str = Field(min_length=1, max_length=200)
    role: RoleName = "standard"


class InvitationOut(BaseModel):
    token: str = Field(
        description="shown once: the invited person spends it at POST /api/v1/auth/invitation "
        "with the password they choose (pass it on as a link of the web app)"
    )
    expires_at: datetime


class InvitedOut(MemberOut):
    invitation: InvitationOut | None = Field(
        description="for a new user (or one who never chose a password); none for a user who "
        "signs in already"
    )
