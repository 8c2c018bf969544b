"""The shapes of creating and renaming an administration."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from settle_gateway.domain.administrations import ADMINISTRATION_ID, NAME_MAX


class AdministrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=ADMINISTRATION_ID.pattern,
        description="the id every service knows it by, and the name of its drop folder: "
        "letters, digits, '_', '.', ':' and '-', at most 64",
    )
    name: str = Field(min_length=1, max_length=NAME_MAX)


class AdministrationNameIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX)
