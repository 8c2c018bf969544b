"""Imports that start by themselves: daily connections at their local time, and files dropped
in an administration's folder.

Daily: each connection remembers the local date of the last slot claimed. A replica claims a
slot with a conditional update (only one replica's update matches), so several replicas never
run one slot twice; a slot missed while every replica was down is claimed when one comes back
(once, for the latest slot, not once per missed day: bookkeeping's state today is what counts).

Drop folders: `<inbox_dir>/<administration>/<file>`. A file is taken once its size and
modification time stayed the same between two looks (so a file still being copied is left
alone) and this replica's claim on it succeeded (`file_leases`: replicas sharing the folder
import it once), imported, then moved to `processed/` or `rejected/` with `<name>.reason.txt`
beside it. Names starting with `.` or ending in `.part`, `.tmp`, `.crdownload` or `~` are never
taken; a symbolic link is not followed but moved to `rejected/` with its reason. A file in the
folder of an administration the gateway has not announced stays where it is, with
`<name>.reason.txt` beside it saying so, and is imported once the administration exists."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from settle_importer.application.administrations import check_known
from settle_importer.application.connections import connector_of, slot_date, zone_of
from settle_importer.application.context import ImporterContext
from settle_importer.application.file_leases import file_claimed
from settle_importer.application.files import check_file, queue_file_run, run_file
from settle_importer.application.importing import (
    RunOutcome,
    execute_run,
    start_run,
)
from settle_importer.domain.connections import Connection
from settle_importer.domain.errors import (
    FileRefused,
    ImporterError,
    InvalidRequest,
    RunInProgress,
    UnknownAdministration,
    check_administration_id,
)
from settle_importer.domain.runs import FAILED, bounded_text
from settle_shared.db import transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)

PROCESSED, REJECTED = "processed", "rejected"
_PARTIAL_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")


async def run_due_imports(ctx: ImporterContext) -> list[RunOutcome]:
    """Claim and run every daily import whose slot has come (one after another)."""
    now = ctx.clock.now()
    async with transaction(ctx.sessions) as session:
        daily = await ctx.repositories(session).connections().daily()
    outcomes = []
    for connection, last_slot in daily:
        try:
            zone = zone_of(connection.time_zone or ctx.settings.default_time_zone)
        except InvalidRequest:
            log.warning("connection has an unknown time zone", connection_id=connection.id)
            continue
        due = slot_date(now, connection.schedule_time or ctx.settings.default_schedule_time, zone)
        if last_slot is not None and last_slot >= due:
            continue
        run_id = await _claim(ctx, connection, last_slot, due)
        if run_id is None:
            continue
        log.info(
            "daily import started",
            administration_id=connection.administration_id,
            connection_id=connection.id,
            slot=due.isoformat(),
        )
        outcomes.append(
            await execute_run(
                ctx,
                connection.administration_id,
                run_id,
                connector_of(ctx, connection),
                connection.options(),
            )
        )
    return outcomes


async def _claim(
    ctx: ImporterContext, connection: Connection, last_slot: date | None, due: date
) -> str | None:
    async with transaction(ctx.sessions) as session:
        if not await ctx.repositories(session).connections().claim_slot(connection, due):
            return None  # another replica took this slot
    try:
        return await start_run(
            ctx,
            connection.administration_id,
            source=connection.source_kind,
            source_name=connection.name,
            trigger="schedule",
            connection_id=connection.id,
        )
    except (RunInProgress, UnknownAdministration) as exc:
        # Give the slot back: the next tick tries again once the other run is done, or once
        # the gateway's announcement of the administration arrived (just after an upgrade).
        async with transaction(ctx.sessions) as session:
            await ctx.repositories(session).connections().give_slot_back(connection, last_slot)
        if isinstance(exc, UnknownAdministration):
            log.warning(
                "daily import waits for its administration",
                administration_id=connection.administration_id,
                connection_id=connection.id,
            )
        return None


@dataclass
class DropFolderWatcher:
    """Remembers what it saw at the last look, to tell finished files from growing ones."""

    ctx: ImporterContext
    seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    async def scan(self) -> list[RunOutcome]:
        """Look once at every drop folder; import the files that stopped changing."""
        inbox = self.ctx.settings.inbox_dir
        outcomes: list[RunOutcome] = []
        current: dict[Path, tuple[int, int]] = {}
        for path in await asyncio.to_thread(_candidates, inbox):
            if path.is_symlink():
                # A link could point anywhere the service may read; it is not followed.
                log.warning("dropped symbolic link refused", file=str(path))
                with contextlib.suppress(FileNotFoundError):  # another replica moved it
                    _move(path, REJECTED, f"{path.name}: {SYMLINK_REFUSED}")
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            current[path] = signature
            if self.seen.get(path) != signature:
                continue  # new or still changing: look again next time
            outcome = await self._claim_and_import(path, signature)
            if outcome is not None:
                outcomes.append(outcome)
                current.pop(path, None)
        self.seen = current
        return outcomes

    async def _claim_and_import(self, path: Path, signature: tuple[int, int]) -> RunOutcome | None:
        """Import the file when this replica's claim on it succeeds and it is still the file
        seen (another replica may have imported it, and a new one with its name arrived)."""
        administration_id = path.parent.name
        try:
            check_administration_id(administration_id)
        except InvalidRequest as exc:
            _move(path, REJECTED, str(exc))
            return None
        async with file_claimed(self.ctx, administration_id, path.name) as claimed:
            if not claimed:
                return None  # another replica is at it
            try:
                stat = await asyncio.to_thread(path.stat)
            except FileNotFoundError:
                return None  # another replica imported it and moved it away
            if (stat.st_size, stat.st_mtime_ns) != signature:
                return None  # a new file under the name: looked at again next time
            return await self._import(path)

    async def _import(self, path: Path) -> RunOutcome | None:
        administration_id = path.parent.name
        name = path.name
        try:
            await check_known(self.ctx, administration_id)
        except UnknownAdministration as exc:
            # Left where it is, with a note: imported once the gateway announces the
            # administration, so a file dropped a moment too early is not lost.
            _note_waiting(path, str(exc))
            return None
        _forget_note(path)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
            if size > self.ctx.settings.upload_max_bytes:
                raise FileRefused(
                    f"{name} is larger than the {self.ctx.settings.upload_max_bytes:,} bytes "
                    "accepted"
                )
            await asyncio.to_thread(check_file, self.ctx, path, name)
        except FileRefused as exc:
            log.warning("dropped file refused", administration_id=administration_id, error=str(exc))
            _move(path, REJECTED, str(exc))
            return None
        try:
            run_id, connection = await queue_file_run(
                self.ctx, administration_id, name, "drop_folder"
            )
        except RunInProgress:
            return None  # the file stays; the next look tries again
        except ImporterError as exc:
            _move(path, REJECTED, str(exc))
            return None
        outcome = await run_file(self.ctx, administration_id, run_id, path, name, connection)
        if outcome.status == FAILED:
            _move(path, REJECTED, f"import run {run_id} failed: {outcome.error}")
        else:
            _move(path, PROCESSED, None)
        return outcome


WAITING_NOTE = ".reason.txt"


def _note_waiting(path: Path, reason: str) -> None:
    """Say beside a file why it waits (once: the folder is looked at every few seconds)."""
    note = path.with_name(path.name + WAITING_NOTE)
    if note.exists():
        return
    log.warning("dropped file waits for its administration", file=str(path), error=reason)
    note.write_text(
        bounded_text(
            f"{path.name} is not imported: {reason}. It stays here and is imported "
            "once the administration exists."
        )
        + "\n",
        encoding="utf-8",
    )


def _forget_note(path: Path) -> None:
    path.with_name(path.name + WAITING_NOTE).unlink(missing_ok=True)


SYMLINK_REFUSED = (
    "refused: it is a symbolic link, which is not followed; place the file itself in the folder"
)


def _candidates(inbox: Path) -> list[Path]:
    if not inbox.is_dir():
        return []
    found = []
    for folder in sorted(inbox.iterdir()):
        if not folder.is_dir() or folder.name.startswith("."):
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            if (
                (path.is_symlink() or path.is_file())
                and not name.startswith(".")
                and not name.lower().endswith(_PARTIAL_SUFFIXES)
                and not name.endswith(WAITING_NOTE)
            ):
                found.append(path)
    return found


def _move(path: Path, where: str, reason: str | None) -> Path:
    """Move a handled file out of the way; a reason file says why it was rejected."""
    folder = path.parent / where
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    shutil.move(str(path), target)
    if reason is not None:
        reason_file = target.with_name(target.name + ".reason.txt")
        reason_file.write_text(bounded_text(reason) + "\n", encoding="utf-8")
    return target


__all__ = ["DropFolderWatcher", "run_due_imports"]
