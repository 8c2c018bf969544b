"""The shapes of finished import runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ImportRunOut(BaseModel):
    run_id: str
    source: str
    status: str
    error: str | None
    counts: dict[str, int]
    started_at: datetime
    finished_at: datetime
    duration_ms: int


class ImportRunPage(BaseModel):
    items: list[ImportRunOut]
    next_cursor: str | None = None
