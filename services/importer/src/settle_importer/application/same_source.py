"""A source read in full before and unchanged since: its run stands again, without a read.

When a run's source has the digest of the source the snapshot was last read from (the same bytes
read the same way, with the same run options), the run repeats that run's outcome instead of
reading it (docs/importing.md, "The same file again is not read again"). A run takes the
snapshot's source away as it starts, and only a run that succeeded puts it back."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from settle_importer.application.ports import Connector, Runs
from settle_importer.domain import IgnoreList, IgnoreRules
from settle_importer.domain.reconciliation import DEFAULT_PAYMENT_TERM_DAYS
from settle_importer.domain.runs import Repeated, repeated

# Part of every digest: raise it when a release reads or reconciles the same source into other
# records or facts (a parsing fix, a new rule), so the first run after it reads every source.
READING_RULES = "2"


def run_digest(
    connector: Connector,
    complete: bool,
    ignore: IgnoreRules,
    default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS,
) -> str | None:
    """The digest of what a run reads and how: the source's content and the run's options.
    ``None`` for a source that cannot tell (an API). Reads every file once."""
    content = connector.content_digest()
    if content is None:
        return None
    options = {
        "complete": complete,
        "default_payment_term_days": default_payment_term_days,
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


async def repeat_run(runs: Runs, run_id: str, earlier_run_id: str) -> Repeated | None:
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
