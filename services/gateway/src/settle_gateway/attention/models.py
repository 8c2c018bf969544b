"""The shapes of attention items: what a person should look at, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class AttentionOut(BaseModel):
    subject_type: str
    subject_id: str
    reason: str
    sentence: str
    since: datetime


class AttentionPage(BaseModel):
    items: list[AttentionOut]
    next_cursor: str | None = None


class ResolveIn(BaseModel):
    """The open item to resolve: what it is about and why it was raised."""

    subject_type: Literal["invoice", "debtor"]
    subject_id: str = Field(max_length=100)
    reason: str = Field(max_length=50, description="e.g. due_date_assumed")
    note: str | None = Field(None, max_length=1000, description="why, for the item's history")
