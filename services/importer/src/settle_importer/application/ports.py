"""What the importer's use cases need from the edge, as protocols: the repositories of one
transaction (``Repositories``, one per aggregate), the sources records are read from
(``Connector``) and how a connection or a delivered file becomes one (``Sources``). The SQL
repositories and the source readers in adapters/ implement them; app.py wires them in."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.domain import DocumentKey, Lookups, RejectedRecord, RunSoFar, SourceItem
from settle_importer.domain.connections import Connection
from settle_importer.domain.model import LineLimits
from settle_importer.domain.preview import MappingPreview
from settle_importer.domain.run_memory import MemoryBatch
from settle_importer.domain.runs import ImportRun, RunOwner, RunRejection, SnapshotSource
from settle_importer.domain.snapshot import WorkingDebtor, WorkingDocument


class Connector(Protocol):
    """A source of invoices, credit notes and debtors."""

    @property
    def total(self) -> int | None:
        """How many records the source holds, for progress; ``None`` when not known up front.

        May be an estimate (a CSV file counts physical lines); never used for correctness.
        """
        ...

    def records(self) -> Iterator[SourceItem]:
        """Read the source, yielding each record or rejected record as soon as it is read."""
        ...

    def content_digest(self) -> str | None:
        """A digest of everything ``records`` would yield: the bytes read, how they are read,
        and the file names where a record's position names its file. Equal digests mean equal
        records. ``None`` when the source cannot tell without reading all of it (an API)."""
        ...


class Sources(Protocol):
    """How a connection or a delivered file becomes a ``Connector``, and which files are
    refused before anything is read from them."""

    def for_connection(
        self, source_kind: str, config: dict[str, Any], changed_since: datetime | None = None
    ) -> Connector:
        """The connector of a connection; ``SourceError`` when it cannot be built. A source
        that can read incrementally reads only what changed after ``changed_since``."""
        ...

    def file_opener(
        self, path: Path, config: dict[str, Any] | None, *, name: str, limits: LineLimits
    ) -> Callable[[], Connector]:
        """How a delivered file is opened, read with the column mapping of ``config`` (a
        connection's configuration; ``None``: the first preset its header fits). The file is
        opened when called; a mapping that cannot be used then fails the run
        (``SourceError``)."""
        ...

    def check_mapping(self, config: dict[str, Any]) -> None:
        """Raise ``ValueError`` when a connection's column mapping is not a valid one; its
        message is a plain sentence (an unknown preset names those there are)."""
        ...

    def kind_of(self, path: Path) -> str:
        """The name runs show for a file's source (csv, xlsx, ubl)."""
        ...

    def preview(
        self,
        path: Path,
        name: str,
        mapping: dict[str, Any] | None,
        *,
        rows: int,
        limits: LineLimits,
        partial: bool,
    ) -> MappingPreview:
        """The first ``rows`` records of a CSV or XLSX export read with ``mapping`` (a
        connection's ``config["mapping"]``; ``None``: the first preset its header fits), the
        header and which presets fit it (``partial``: the file is the start of a longer one).
        ``UnsupportedFile`` for a file without columns to map."""
        ...

    def mapping_catalogue(self) -> dict[str, Any]:
        """The fields a column mapping names and the presets, as the columns they read."""
        ...

    def check_file(self, path: Path, name: str) -> None:
        """Raise ``UnsupportedFile`` for a kind of file not read, ``FileRefused`` for one that
        must not be opened at all."""
        ...


class Snapshot(Protocol):
    """The stored documents and debtors of one administration."""

    # Snapshot rows inserted by ``save`` so far.
    inserted: int

    async def is_empty(self) -> bool: ...
    async def documents(
        self, keys: Collection[DocumentKey]
    ) -> dict[DocumentKey, WorkingDocument]: ...
    async def debtors(self, numbers: Collection[str]) -> dict[str, WorkingDebtor]: ...
    async def refresh_statistics(self) -> None: ...
    async def save(
        self, docs: Iterable[WorkingDocument], debtor_rows: Iterable[WorkingDebtor]
    ) -> None: ...
    async def add_rejected(
        self, run_id: str, first_seq: int, rejected: Sequence[RejectedRecord]
    ) -> None: ...


class RunMemory(Protocol):
    """The memory of one run of one administration: the numbers and debtors it met."""

    async def so_far(self, needed: Lookups) -> RunSoFar: ...
    async def remember(self, batch: MemoryBatch) -> int: ...
    async def absent_page(
        self, after: DocumentKey | None, limit: int
    ) -> list[tuple[DocumentKey, Decimal]]: ...
    async def refresh_statistics(self) -> None: ...
    async def forget(self) -> None: ...


class Runs(Protocol):
    """The import runs of one administration."""

    async def queue(self, run: ImportRun, now: datetime) -> None: ...
    async def stale(self, heartbeat_before: datetime) -> list[ImportRun]: ...
    async def left_behind(self, owner: RunOwner) -> list[ImportRun]: ...
    async def beat(self, run_id: str, now: datetime) -> None: ...
    async def start(self, run_id: str, now: datetime) -> tuple[str, str | None]: ...
    async def expect(self, run_id: str, total: int | None) -> None: ...
    async def record_progress(
        self, run_id: str, counts: dict[str, int], notices: list[str], now: datetime
    ) -> None: ...
    async def record_repeat(
        self, run_id: str, counts: dict[str, int], notices: list[str]
    ) -> None: ...
    async def finish(
        self, run_id: str, status: str, error: str | None, now: datetime
    ) -> list[str]: ...
    async def get(self, run_id: str) -> ImportRun | None: ...
    async def newest(self, limit: int, before: tuple[datetime, str] | None) -> list[ImportRun]: ...
    async def rejections(self, run_id: str, limit: int) -> list[RunRejection]: ...
    async def finished_after(self, when: datetime, *, other_than: list[str]) -> int: ...
    async def copy_rejections(self, earlier_run_id: str, run_id: str) -> None: ...
    async def take_snapshot_source(self) -> SnapshotSource | None: ...
    async def put_snapshot_source(self, run_id: str, digest: str) -> None: ...


class Connections(Protocol):
    """The connections of every administration."""

    async def save(self, connection: Connection, now: datetime, first_slot: date) -> None: ...
    async def get(self, administration_id: str, connection_id: str) -> Connection | None: ...
    async def of_administration(self, administration_id: str) -> list[Connection]: ...
    async def for_delivery(self, administration_id: str) -> Connection | None: ...
    async def daily(self) -> list[tuple[Connection, date | None]]: ...
    async def claim_slot(self, connection: Connection, due: date) -> bool: ...
    async def give_slot_back(self, connection: Connection, last: date | None) -> None: ...
    async def record_success(
        self, administration_id: str, connection_id: str, started: datetime
    ) -> None: ...


class Administrations(Protocol):
    """The administrations the gateway announced."""

    async def known(self, administration_id: str) -> bool: ...
    async def learn(self, administration_id: str, name: str, at: datetime) -> bool:
        """Record the administration, or its new name; True when it was not known before."""
        ...


class FileLeases(Protocol):
    """Replicas' claims on an administration's drop-folder files."""

    async def claim(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Claim the file until ``until`` when no one holds it (or the claim expired)."""
        ...

    async def renew(self, name: str, holder: str, until: datetime) -> bool: ...
    async def release(self, name: str, holder: str) -> None: ...


class Repositories(Protocol):
    """The repositories of one transaction."""

    def administrations(self) -> Administrations: ...

    def runs(self, administration_id: str) -> Runs: ...
    def snapshot(self, administration_id: str) -> Snapshot: ...
    def run_memory(self, administration_id: str, run_id: str) -> RunMemory: ...
    def connections(self) -> Connections: ...
    def file_leases(self, administration_id: str) -> FileLeases: ...

    async def administrations_left_behind(self, owner: RunOwner) -> list[str]:
        """The administrations with an active run of an earlier instance on ``owner``'s
        replica."""
        ...

    async def forget_earlier_runs(self, administration_id: str) -> None:
        """Delete what ended runs of the administration left in the run memory."""
        ...


# The repositories of a session's transaction.
RepositoryFactory = Callable[[AsyncSession], Repositories]
