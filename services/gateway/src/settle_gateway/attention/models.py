"""The shapes of attention items: what a person should look at, and why."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AttentionOut(BaseModel):
    subject_type: str
    subject_id: str
    reason: str
    sentence: str
    since: datetime


class AttentionPage(BaseModel):
    items: list[AttentionOut]
    next_cursor: str | None = None
