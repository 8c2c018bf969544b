"""An import run as the importer keeps it: its states, what it counted and said, and the rule for
a run over a source read before (docs/domain.md, Import)."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime

from settle_importer.domain.ignore import IgnoreRules
from settle_importer.domain.reconciliation import DEFAULT_PAYMENT_TERM_DAYS, ImportCounts

# Run states. A run is `queued` from the moment it is accepted until a worker takes it.
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
ACTIVE_STATES = (QUEUED, RUNNING)

ABANDONED = "the import stopped without finishing (the service was restarted); import again"
RESTARTED = (
    "the import stopped without finishing: the importer running it was restarted; import again"
)
INTERRUPTED = (
    "the import was interrupted (stopped by hand, or the service shutting down); import again"
)

# The longest error, notice or rejection reason a run keeps: a hostile file's text (a header of
# a million columns named in an error) is cut there, so no page of runs carries megabytes.
STORED_TEXT_LIMIT = 1_000


def bounded_text(text: str, limit: int = STORED_TEXT_LIMIT) -> str:
    """``text`` as a run keeps it: at most ``limit`` characters, an ellipsis where it was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RunEnded(Exception):
    """The run was ended while it went on: failed as abandoned when its heartbeat stopped (a
    replica that stalled), so another run may have started since. Its transaction rolls back;
    nothing more is written for it."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"import run {run_id} was ended meanwhile")


@dataclass(frozen=True)
class RunOwner:
    """Who runs an import: the replica (a name that stays when the service there restarts)
    and the instance of the service on it (new each time it starts). A run whose replica
    started again under a new instance was left behind by the one before."""

    replica: str
    instance: str

    @classmethod
    def starting(cls, replica: str) -> RunOwner:
        """The owner of the runs of a service (or command) starting now on ``replica``."""
        return cls(replica[:100], uuid.uuid4().hex)

    @classmethod
    def alone(cls, label: str) -> RunOwner:
        """The owner of the runs of a command: a replica of its own, which no other instance
        shares, so only the lease (a heartbeat) tells when it is gone."""
        instance = uuid.uuid4().hex
        return cls(f"{label[:60]} {instance}", instance)


@dataclass(frozen=True)
class RunOptions:
    """How one run reads its records."""

    complete: bool = False
    ignore: IgnoreRules = field(default_factory=IgnoreRules)
    # Days after the invoice date an invoice is due when its document gives neither a due
    # date nor payment terms.
    default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS


@dataclass(frozen=True)
class ImportRun:
    """One import run of an administration."""

    administration_id: str
    id: str
    source: str
    trigger: str
    status: str
    created_at: datetime
    connection_id: str | None = None
    source_name: str | None = None
    progress_done: int = 0
    progress_total: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    owner: RunOwner | None = None


@dataclass(frozen=True)
class RunRejection:
    """A record a run rejected, as the run's detail lists it."""

    position: str
    reference: str | None
    reason: str


@dataclass(frozen=True)
class SnapshotSource:
    """The run whose source the snapshot was last read from, and that source's digest."""

    run_id: str
    digest: str


# What a repeated run counts as it did before; every other record of it is unchanged. (A file
# source yields documents only: a standalone debtor record, counted under no heading when its
# debtor is decided, comes from an API, which is always read.)
_KEPT_COUNTS = ("records", "rejected", "ignored", "closed_not_imported")
_REPEATED = "The source is the same as that of run "


@dataclass(frozen=True)
class Repeated:
    """What a run over an unchanged source reports: the earlier run's outcome, unchanged."""

    counts: dict[str, int]
    notices: list[str]


def repeated(earlier: ImportRun) -> Repeated:
    """The outcome of a run over the same source as ``earlier``, with nothing imported since:
    its counts with every record unchanged, its notices and one saying so."""
    before = {name: int(value) for name, value in earlier.counts.items()}
    kept = {name: before.get(name, 0) for name in _KEPT_COUNTS}
    unchanged = kept["records"] - sum(kept[name] for name in _KEPT_COUNTS[1:])
    counts = asdict(ImportCounts(**kept, unchanged=unchanged))
    notice = (
        f"{_REPEATED}{earlier.id}, and nothing was imported since: every record it holds "
        "is as that run left it, so it was not read again."
    )
    # The earlier run's own notices, not the one saying that it was a repeat itself.
    notices = [n for n in earlier.notices if not n.startswith(_REPEATED)]
    return Repeated(counts, [*notices, notice])
