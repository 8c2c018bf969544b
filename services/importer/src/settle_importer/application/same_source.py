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
from typing import Any

from settle_importer.adapters.runs import RunRepository
from settle_importer.adapters.sources import Connector
from settle_importer.domain import IgnoreList, IgnoreRules
from settle_importer.domain.runs import Repeated, repeated

# Part of every digest: raise it when a release reads or reconciles the same source into other
# records or facts (a parsing fix, a new rule), so the first run after it reads every source.
READING_RULES = "1"


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


async def repeat_run(runs: RunRepository, run_id: str, earlier_run_id: str) -> Repeated | None:
    """Give ``run_id`` the outcome of the earlier run over the same source: its counts with
    every record unchanged, its notices and a copy of its rejected records. ``None`` when that
    run is no longer kept, or when another run finished after it: one that did not take the
    snapshot source away as it started (a replica still on an older release during an
    upgrade) may have changed the snapshot."""
    earlier = await runs.get(earlier_run_id)
    if earlier is None or earlier.finished_at is None:
        return None
    if await runs.finished_after(earlier.finished_at, other_than=[run_id, earlier_run_id]):
        return None
    await runs.copy_rejections(earlier_run_id, run_id)
    return repeated(earlier)
