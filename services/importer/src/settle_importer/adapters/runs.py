"""The import runs in the database: their lifecycle (queued, running, finished), progress,
rejected records as listed, and the source the snapshot was last read from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.tables import import_runs, rejected_records, snapshot_source
from settle_importer.domain.errors import RunInProgress
from settle_importer.domain.runs import (
    ACTIVE_STATES,
    QUEUED,
    RUNNING,
    ImportRun,
    RunEnded,
    RunOwner,
    RunRejection,
    SnapshotSource,
    bounded_text,
)
from settle_shared.db import aware


class RunRepository:
    """The import runs of one administration, inside one transaction."""

    def __init__(self, session: AsyncSession, administration_id: str) -> None:
        self.session = session
        self.administration_id = administration_id

    def _run(self, run_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            import_runs.c.administration_id == self.administration_id, import_runs.c.id == run_id
        )

    async def queue(self, run: ImportRun, now: datetime) -> None:
        """Add a queued run; ``RunInProgress`` when the administration has an active one."""
        try:
            await self.session.execute(
                sa.insert(import_runs).values(
                    administration_id=run.administration_id,
                    id=run.id,
                    connection_id=run.connection_id,
                    source=run.source,
                    source_name=run.source_name and run.source_name[:300],
                    trigger=run.trigger,
                    status=QUEUED,
                    progress_done=0,
                    progress_total=None,
                    counts={},
                    notices=[],
                    created_at=now,
                    heartbeat_at=now,
                    owner_replica=run.owner and run.owner.replica,
                    owner_instance=run.owner and run.owner.instance,
                )
            )
        except IntegrityError:
            raise RunInProgress(self.administration_id) from None

    async def stale(self, heartbeat_before: datetime) -> list[ImportRun]:
        """The active runs whose heartbeat stopped before then, locked (others skip them)."""
        rows = await self.session.execute(
            sa.select(import_runs)
            .where(
                import_runs.c.administration_id == self.administration_id,
                import_runs.c.status.in_(ACTIVE_STATES),
                import_runs.c.heartbeat_at < heartbeat_before,
            )
            .with_for_update(skip_locked=True)
        )
        return [_run(row) for row in rows]

    async def left_behind(self, owner: RunOwner) -> list[ImportRun]:
        """The active runs of an earlier instance on ``owner``'s replica, locked."""
        rows = await self.session.execute(
            sa.select(import_runs)
            .where(
                import_runs.c.administration_id == self.administration_id,
                import_runs.c.status.in_(ACTIVE_STATES),
                import_runs.c.owner_replica == owner.replica,
                import_runs.c.owner_instance != owner.instance,
            )
            .with_for_update(skip_locked=True)
        )
        return [_run(row) for row in rows]

    async def beat(self, run_id: str, now: datetime) -> None:
        """The run's owner is alive; ``RunEnded`` when the run is no longer running."""
        updated = await self.session.execute(
            sa.update(import_runs)
            .where(self._run(run_id), import_runs.c.status == RUNNING)
            .values(heartbeat_at=now)
        )
        if not getattr(updated, "rowcount", 0):
            raise RunEnded(run_id)

    async def start(self, run_id: str, now: datetime) -> tuple[str, str | None]:
        """Take a queued run: it is running from now. Returns its source and connection."""
        row = (
            await self.session.execute(
                sa.update(import_runs)
                .where(self._run(run_id), import_runs.c.status == QUEUED)
                .values(status=RUNNING, started_at=now, heartbeat_at=now)
                .returning(import_runs.c.source, import_runs.c.connection_id)
            )
        ).one()
        return str(row.source), row.connection_id

    async def expect(self, run_id: str, total: int | None) -> None:
        """The number of records the run's source holds, when it can tell."""
        await self.session.execute(
            sa.update(import_runs).where(self._run(run_id)).values(progress_total=total)
        )

    async def record_progress(
        self, run_id: str, counts: dict[str, int], notices: list[str], now: datetime
    ) -> None:
        """The run's counts so far, its new notices and its heartbeat; ``RunEnded`` when the
        run is no longer running."""
        values: dict[str, Any] = {
            "progress_done": counts["records"],
            "counts": counts,
            "heartbeat_at": now,
        }
        if notices:
            current = await self.session.scalar(
                sa.select(import_runs.c.notices).where(self._run(run_id))
            )
            values["notices"] = [*(current or []), *map(bounded_text, notices)]
        updated = await self.session.execute(
            sa.update(import_runs)
            .where(self._run(run_id), import_runs.c.status == RUNNING)
            .values(values)
        )
        if not getattr(updated, "rowcount", 0):
            raise RunEnded(run_id)

    async def record_repeat(self, run_id: str, counts: dict[str, int], notices: list[str]) -> None:
        """A run that repeats an earlier one: done at once with that run's outcome."""
        records = counts["records"]
        await self.session.execute(
            sa.update(import_runs)
            .where(self._run(run_id))
            .values(
                progress_done=records,
                progress_total=records,
                counts=counts,
                notices=[bounded_text(notice) for notice in notices],
            )
        )

    async def finish(self, run_id: str, status: str, error: str | None, now: datetime) -> list[str]:
        """End an active run; returns its notices. ``RunEnded`` when it had ended already."""
        row = (
            await self.session.execute(
                sa.update(import_runs)
                .where(self._run(run_id), import_runs.c.status.in_(ACTIVE_STATES))
                .values(
                    status=status,
                    error=None if error is None else bounded_text(error),
                    finished_at=now,
                    heartbeat_at=now,
                )
                .returning(import_runs.c.notices)
            )
        ).first()
        if row is None:
            raise RunEnded(run_id)
        return list(row.notices or [])

    async def get(self, run_id: str) -> ImportRun | None:
        row = (await self.session.execute(sa.select(import_runs).where(self._run(run_id)))).first()
        return None if row is None else _run(row)

    async def newest(self, limit: int, before: tuple[datetime, str] | None) -> list[ImportRun]:
        """Runs newest first, after (older than) the run created at ``before``."""
        query = sa.select(import_runs).where(
            import_runs.c.administration_id == self.administration_id
        )
        if before is not None:
            created, run_id = before
            query = query.where(
                sa.or_(
                    import_runs.c.created_at < created,
                    sa.and_(import_runs.c.created_at == created, import_runs.c.id < run_id),
                )
            )
        query = query.order_by(import_runs.c.created_at.desc(), import_runs.c.id.desc())
        return [_run(row) for row in await self.session.execute(query.limit(limit))]

    async def rejections(self, run_id: str, limit: int) -> list[RunRejection]:
        """The first ``limit`` records the run rejected, in the order it met them."""
        rows = await self.session.execute(
            sa.select(
                rejected_records.c.position, rejected_records.c.reference, rejected_records.c.reason
            )
            .where(
                rejected_records.c.administration_id == self.administration_id,
                rejected_records.c.run_id == run_id,
            )
            .order_by(rejected_records.c.seq)
            .limit(limit)
        )
        return [RunRejection(row.position, row.reference, row.reason) for row in rows]

    async def finished_after(self, when: datetime, *, other_than: list[str]) -> int:
        """How many runs, but those named, finished after ``when``."""
        return int(
            await self.session.scalar(
                sa.select(sa.func.count())
                .select_from(import_runs)
                .where(
                    import_runs.c.administration_id == self.administration_id,
                    import_runs.c.id.not_in(other_than),
                    import_runs.c.finished_at > when,
                )
            )
            or 0
        )

    async def copy_rejections(self, earlier_run_id: str, run_id: str) -> None:
        """Give ``run_id`` the rejected records of the earlier run."""
        await self.session.execute(
            sa.insert(rejected_records).from_select(
                [
                    rejected_records.c.run_id,
                    rejected_records.c.seq,
                    rejected_records.c.administration_id,
                    rejected_records.c.position,
                    rejected_records.c.reference,
                    rejected_records.c.reason,
                ],
                sa.select(
                    sa.literal(run_id, rejected_records.c.run_id.type),
                    rejected_records.c.seq,
                    rejected_records.c.administration_id,
                    rejected_records.c.position,
                    rejected_records.c.reference,
                    rejected_records.c.reason,
                ).where(
                    rejected_records.c.administration_id == self.administration_id,
                    rejected_records.c.run_id == earlier_run_id,
                ),
            )
        )

    async def take_snapshot_source(self) -> SnapshotSource | None:
        """Take the administration's snapshot source away as a run starts, returning it."""
        row = (
            await self.session.execute(
                sa.delete(snapshot_source)
                .where(snapshot_source.c.administration_id == self.administration_id)
                .returning(snapshot_source.c.run_id, snapshot_source.c.source_digest)
            )
        ).first()
        return None if row is None else SnapshotSource(row.run_id, row.source_digest)

    async def put_snapshot_source(self, run_id: str, digest: str) -> None:
        """A run succeeded: the snapshot is now what it read from the source with ``digest``."""
        await self.session.execute(
            sa.delete(snapshot_source).where(
                snapshot_source.c.administration_id == self.administration_id
            )
        )
        await self.session.execute(
            sa.insert(snapshot_source).values(
                administration_id=self.administration_id, run_id=run_id, source_digest=digest
            )
        )


async def administrations_left_behind(session: AsyncSession, owner: RunOwner) -> list[str]:
    """The administrations with an active run of an earlier instance on ``owner``'s replica."""
    rows = await session.execute(
        sa.select(import_runs.c.administration_id)
        .where(
            import_runs.c.owner_replica == owner.replica,
            import_runs.c.status.in_(ACTIVE_STATES),
            import_runs.c.owner_instance != owner.instance,
        )
        .distinct()
    )
    return [row.administration_id for row in rows]


def _run(row: Any) -> ImportRun:
    return ImportRun(
        administration_id=row.administration_id,
        id=row.id,
        source=row.source,
        trigger=row.trigger,
        status=row.status,
        created_at=aware(row.created_at),
        connection_id=row.connection_id,
        source_name=row.source_name,
        progress_done=row.progress_done,
        progress_total=row.progress_total,
        counts=dict(row.counts or {}),
        notices=list(row.notices or []),
        error=row.error,
        started_at=aware(row.started_at),
        finished_at=aware(row.finished_at),
        owner=RunOwner(row.owner_replica, row.owner_instance or "") if row.owner_replica else None,
    )
