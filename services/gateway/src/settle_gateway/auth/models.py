"""The shapes of sign-in, tokens and the caller (/api/v1/auth, /me, API tokens)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=500)


class TokensOut(BaseModel):
    access_token: str = Field(description="send as `Authorization: Bearer <token>`")
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = Field(description="seconds the access token stays valid")
    refresh_token: str = Field(description="spend once at /api/v1/auth/refresh for new tokens")


class AdministrationOut(BaseModel):
    id: str
    name: str
    role: str


class MeOut(BaseModel):
    subject: str
    kind: str = Field(description="password, oidc or api_token")
    name: str
    administrations: list[AdministrationOut]


class ApiTokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    role: Literal["administrator", "standard", "communication", "restricted"] = "restricted"


class ApiTokenSummary(BaseModel):
    id: str
    name: str
    role: str
    hint: str | None = Field(description="the token's last four characters, to tell it apart")
    created_at: datetime
    created_by: str | None = Field(description="the name of who made it, if a person did")
    revoked_at: datetime | None = Field(description="when it stopped working, if it did")


class ApiTokenOut(ApiTokenSummary):
    token: str = Field(description="shown once; Settle keeps only its hash")


class InvitationAcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=500)
    password: str = Field(min_length=12, max_length=1000)
