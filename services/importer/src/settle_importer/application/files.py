"""Delivered files (upload, drop folder, command line): refused at the door when hostile, then
imported with the administration's delivery connection settings."""

from __future__ import annotations

from pathlib import Path

from settle_importer.adapters.connectors import (
    file_connector,
    mapping_from_config,
    source_kind_of,
)
from settle_importer.adapters.sources import LineLimits, file_kind, not_read
from settle_importer.application.connections import Connection, delivery_connection
from settle_importer.application.importing import (
    ImporterContext,
    Progress,
    RunOptions,
    RunOutcome,
    execute_run,
    start_run,
)
from settle_importer.domain.errors import FileRefused, UnsupportedFile
from settle_shared.db import transaction


def check_file(path: Path, name: str) -> None:
    """Refuse a file that must not be opened at all: an unknown kind, XML with a document type
    declaration (entity expansion, external entities), an archive that is a zip bomb, holds
    paths escaping it or nested archives. Problems of content are the run's business."""
    kind = file_kind(name)
    if kind is None:
        raise UnsupportedFile(not_read(name, Path(name).suffix))
    problem = kind.refusal(path, name)
    if problem is not None:
        raise FileRefused(f"{name}: {problem}")


async def queue_file_run(
    ctx: ImporterContext, administration_id: str, name: str, trigger: str
) -> tuple[str, Connection | None]:
    """Accept a run for a delivered file (``RunInProgress`` when one is active)."""
    async with transaction(ctx.sessions) as session:
        connection = await delivery_connection(session, administration_id)
    run_id = await start_run(
        ctx,
        administration_id,
        source=source_kind_of(Path(name)),
        source_name=name,
        trigger=trigger,
        connection_id=connection.id if connection else None,
    )
    return run_id, connection


async def run_file(
    ctx: ImporterContext,
    administration_id: str,
    run_id: str,
    path: Path,
    name: str,
    connection: Connection | None,
    progress: Progress | None = None,
) -> RunOutcome:
    """Import an accepted file run to its end."""
    mapping = mapping_from_config(connection.config) if connection else None
    options = connection.options() if connection else RunOptions()
    limits = LineLimits(ctx.settings.csv_max_line_chars, ctx.settings.csv_max_fields)
    return await execute_run(
        ctx,
        administration_id,
        run_id,
        lambda: file_connector(path, mapping, name=name, limits=limits),
        options,
        progress,
    )
