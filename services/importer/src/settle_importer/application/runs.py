"""Reading import runs: the list (newest first, keyset-paginated) and one run in detail."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle_importer.adapters.tables import import_runs, rejected_records
from settle_importer.application.importing import ImporterContext
from settle_importer.domain.errors import InvalidRequest, NotFound
from settle_shared.db import aware, transaction


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


def run_view(row: Any) -> dict[str, Any]:
    """A run as the API shows it."""
    return {
        "id": row.id,
        "administration_id": row.administration_id,
        "connection_id": row.connection_id,
        "source": row.source,
        "source_name": row.source_name,
        "trigger": row.trigger,
        "status": row.status,
        "progress": {"done": row.progress_done, "total": row.progress_total},
        "counts": dict(row.counts or {}),
        "notices": list(row.notices or []),
        "error": row.error,
        "created_at": aware(row.created_at),
        "started_at": aware(row.started_at),
        "finished_at": aware(row.finished_at),
    }


async def list_runs(
    ctx: ImporterContext, administration_id: str, *, limit: int, cursor: str | None
) -> RunPage:
    """The administration's runs, newest first; pass ``next_cursor`` back for the next page."""
    t = import_runs
    query = sa.select(t).where(t.c.administration_id == administration_id)
    if cursor:
        created, run_id = _uncursor(cursor)
        query = query.where(
            sa.or_(t.c.created_at < created, sa.and_(t.c.created_at == created, t.c.id < run_id))
        )
    query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)
    async with transaction(ctx.sessions) as session:
        rows = (await session.execute(query)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows and more else None
    next_cursor = None
    if last is not None:
        created_at = aware(last.created_at)
        assert created_at is not None
        next_cursor = _cursor(created_at, last.id)
    return RunPage([run_view(row) for row in rows], next_cursor)


async def run_detail(
    ctx: ImporterContext, administration_id: str, run_id: str, *, rejected_limit: int = 1000
) -> dict[str, Any]:
    """One run with its rejected records (the first ``rejected_limit``), or ``NotFound``."""
    t, r = import_runs, rejected_records
    async with transaction(ctx.sessions) as session:
        row = (
            await session.execute(
                sa.select(t).where(t.c.administration_id == administration_id, t.c.id == run_id)
            )
        ).first()
        if row is None:
            raise NotFound(f"no import run {run_id!r} in administration {administration_id}")
        rejected = (
            await session.execute(
                sa.select(r.c.position, r.c.reference, r.c.reason)
                .where(r.c.administration_id == administration_id, r.c.run_id == run_id)
                .order_by(r.c.seq)
                .limit(rejected_limit)
            )
        ).all()
    view = run_view(row)
    view["rejected"] = [
        {"position": x.position, "reference": x.reference, "reason": x.reason} for x in rejected
    ]
    return view
