"""A source read in full before and unchanged since: its run stands again, without a read.

Bookkeeping packages deliver the same export day after day when nothing was booked (a weekend,
a quiet administration), and a drop folder may get the same file twice. Reading it again could
only find every record unchanged: re-importing the same data yields no facts. So when a run's
source has the digest of the source the snapshot was last read from (``snapshot_source``: the
same bytes read the same way, with the same run options; see ``Connector.content_digest``), the
run repeats that run's outcome
instead: its records count as unchanged, its rejected records are listed again with their
reasons, and it publishes only its own ``ImportRunFinished``.

That holds because only import runs write the snapshot, one at a time per administration, and a
run takes ``snapshot_source`` away as it starts: it is back only when a run succeeded, with that
run's digest, so it is there only while that run's outcome is all the snapshot holds. (A run
failed as abandoned cannot write or succeed any more, and a run that finished after the
remembered one, from a replica on an older release, makes the source read.) A full run stores
the digest only when the source still has it after being read, so a file that changed while it
was read is never taken for the one that was read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.sources import Connector
from settle_importer.adapters.tables import import_runs, rejected_records, snapshot_source
from settle_importer.domain import IgnoreList, IgnoreRules, ImportCounts

# Part of every digest: raise it when a release reads or reconciles the same source into other
# records or facts (a parsing fix, a new rule), so the first run after it reads every source.
READING_RULES = "1"

# What a repeated run counts as it did before; every other record of it is unchanged. (A file
# source yields documents only: a standalone debtor record, counted under no heading when its
# debtor is decided, comes from an API, which is always read.)
_KEPT_COUNTS = ("records", "rejected", "ignored", "closed_not_imported")
_REPEATED = "The source is the same as that of run "


@dataclass(frozen=True)
class SnapshotSource:
    """The run whose source the snapshot was last read from, and that source's digest."""

    run_id: str
    digest: str


def run_digest(connector: Connector, complete: bool, ignore: IgnoreRules) -> str | None:
    """The digest of what a run reads and how: the source's content and the run's options.
    ``None`` for a source that cannot tell (an API). Reads every file once."""
    content = connector.content_digest()
    if content is None:
        return None
    options = {
        "complete": complete,
        "ignore": {
            name: _ignore_list(getattr(ignore, name))
            for name in ("invoice_numbers", "debtor_numbers", "payment_conditions")
        },
    }
    text = json.dumps([READING_RULES, content, options], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _ignore_list(rules: IgnoreList) -> dict[str, Any]:
    return {
        "exact": sorted(rules.exact),
        "ranges": [[r.low, r.high] for r in rules.ranges],
    }


async def take_snapshot_source(session: AsyncSession, adm: str) -> SnapshotSource | None:
    """Take the administration's snapshot source away as a run starts, returning it."""
    t = snapshot_source
    row = (
        await session.execute(
            sa.delete(t)
            .where(t.c.administration_id == adm)
            .returning(t.c.run_id, t.c.source_digest)
        )
    ).first()
    return None if row is None else SnapshotSource(row.run_id, row.source_digest)


async def put_snapshot_source(session: AsyncSession, adm: str, run_id: str, digest: str) -> None:
    """A run succeeded: the snapshot is now what it read from the source with ``digest``."""
    t = snapshot_source
    await session.execute(sa.delete(t).where(t.c.administration_id == adm))
    await session.execute(
        sa.insert(t).values(administration_id=adm, run_id=run_id, source_digest=digest)
    )


@dataclass(frozen=True)
class Repeated:
    """What a run over an unchanged source reports: the earlier run's outcome, unchanged."""

    counts: dict[str, int]
    notices: list[str]


async def repeat_run(
    session: AsyncSession, adm: str, run_id: str, earlier_run_id: str
) -> Repeated | None:
    """Give ``run_id`` the outcome of the earlier run over the same source: its counts with
    every record unchanged, its notices and a copy of its rejected records. ``None`` when that
    run is no longer kept, or when another run finished after it: one that did not take the
    snapshot source away as it started (a replica still on an older release during an
    upgrade) may have changed the snapshot."""
    t = import_runs
    earlier = (
        await session.execute(
            sa.select(t.c.counts, t.c.notices, t.c.finished_at).where(
                t.c.administration_id == adm, t.c.id == earlier_run_id
            )
        )
    ).first()
    if earlier is None or earlier.finished_at is None:
        return None
    finished_later = await session.scalar(
        sa.select(sa.func.count())
        .select_from(t)
        .where(
            t.c.administration_id == adm,
            t.c.id.not_in([run_id, earlier_run_id]),
            t.c.finished_at > earlier.finished_at,
        )
    )
    if finished_later:
        return None
    before = {name: int(value) for name, value in dict(earlier.counts or {}).items()}
    kept = {name: before.get(name, 0) for name in _KEPT_COUNTS}
    unchanged = kept["records"] - sum(kept[name] for name in _KEPT_COUNTS[1:])
    counts = asdict(ImportCounts(**kept, unchanged=unchanged))
    r = rejected_records
    await session.execute(
        sa.insert(r).from_select(
            [r.c.run_id, r.c.seq, r.c.administration_id, r.c.position, r.c.reference, r.c.reason],
            sa.select(
                sa.literal(run_id, r.c.run_id.type),
                r.c.seq,
                r.c.administration_id,
                r.c.position,
                r.c.reference,
                r.c.reason,
            ).where(r.c.administration_id == adm, r.c.run_id == earlier_run_id),
        )
    )
    notice = (
        f"{_REPEATED}{earlier_run_id}, and nothing was imported since: every record it holds "
        "is as that run left it, so it was not read again."
    )
    # The earlier run's own notices, not the one saying that it was a repeat itself.
    notices = [n for n in earlier.notices or [] if not n.startswith(_REPEATED)]
    return Repeated(counts, [*notices, notice])
