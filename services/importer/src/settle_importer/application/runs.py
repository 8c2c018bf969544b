"""Reading import runs: the list (newest first, keyset-paginated) and one run in detail."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from settle_importer.application.context import ImporterContext
from settle_importer.domain.errors import InvalidRequest, NotFound
from settle_importer.domain.runs import ImportRun
from settle_shared.db import transaction


@dataclass(frozen=True)
class RunPage:
    runs: list[dict[str, Any]]
    next_cursor: str | None


def _cursor(created_at: datetime, run_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), run_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _uncursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, run_id = json.loads(raw)
        return datetime.fromisoformat(created), str(run_id)
    except (ValueError, TypeError):
        raise InvalidRequest("the cursor is not one this API gave out") from None


def run_view(run: ImportRun) -> dict[str, Any]:
    """A run as the API shows it."""
    return {
        "id": run.id,
        "administration_id": run.administration_id,
        "connection_id": run.connection_id,
        "source": run.source,
        "source_name": run.source_name,
        "trigger": run.trigger,
        "status": run.status,
        "progress": {"done": run.progress_done, "total": run.progress_total},
        "counts": dict(run.counts),
        "notices": list(run.notices),
        "error": run.error,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }


async def list_runs(
    ctx: ImporterContext, administration_id: str, *, limit: int, cursor: str | None
) -> RunPage:
    """The administration's runs, newest first; pass ``next_cursor`` back for the next page."""
    before = _uncursor(cursor) if cursor else None
    async with transaction(ctx.sessions) as session:
        runs = await ctx.repositories(session).runs(administration_id).newest(limit + 1, before)
    more = len(runs) > limit
    runs = runs[:limit]
    last = runs[-1] if runs and more else None
    next_cursor = None if last is None else _cursor(last.created_at, last.id)
    return RunPage([run_view(run) for run in runs], next_cursor)


async def run_detail(
    ctx: ImporterContext, administration_id: str, run_id: str, *, rejected_limit: int = 1000
) -> dict[str, Any]:
    """One run with its rejected records (the first ``rejected_limit``), or ``NotFound``."""
    async with transaction(ctx.sessions) as session:
        runs = ctx.repositories(session).runs(administration_id)
        run = await runs.get(run_id)
        if run is None:
            raise NotFound(f"no import run {run_id!r} in administration {administration_id}")
        rejected = await runs.rejections(run_id, rejected_limit)
    view = run_view(run)
    view["rejected"] = [
        {"position": x.position, "reference": x.reference, "reason": x.reason} for x in rejected
    ]
    return view
