"""The shapes of organisations: one listed, one created with its first administration and
administrator, one renamed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from settle_gateway.administrations.models import AdministrationIn
from settle_gateway.members.models import EMAIL_PATTERN, InvitedOut

NAME_MAX = 200


class OrganisationAdministration(BaseModel):
    id: str
    name: str


class OrganisationOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    administrations: list[OrganisationAdministration] = Field(description="by name")
    users: int = Field(description="how many users it has, deactivated ones too")


class FirstAdministratorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(pattern=EMAIL_PATTERN, max_length=320)
    name: str = Field(min_length=1, max_length=200)


class OrganisationIn(BaseModel):
    """A new customer: its name, its first administration and the person who administers it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX)
    administration: AdministrationIn
    administrator: FirstAdministratorIn


class OrganisationNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX)


class OrganisationCreated(BaseModel):
    organisation: OrganisationOut
    administrator: InvitedOut = Field(
        description="the first administrator, with the invitation to pass on to them"
    )
