"""Delivered files (upload, drop folder, command line): refused at the door when hostile, then
imported with the administration's delivery connection settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from settle_importer.application.connections import Connection, delivery_connection
from settle_importer.application.importing import (
    ImporterContext,
    Progress,
    RunOptions,
    RunOutcome,
    execute_run,
    start_run,
)
from settle_importer.domain.errors import InvalidRequest
from settle_importer.domain.model import LineLimits


def check_file(ctx: ImporterContext, path: Path, name: str) -> None:
    """Refuse a file that must not be opened at all (``UnsupportedFile``, ``FileRefused``): an
    unknown kind, XML with a document type declaration (entity expansion, external entities),
    an archive that is a zip bomb, holds paths escaping it or nested archives. Problems of
    content are the run's business."""
    ctx.sources.check_file(path, name)


def preset_config(ctx: ImporterContext, preset: str) -> dict[str, Any]:
    """The configuration that reads a delivered file with a preset of column mapping;
    ``InvalidRequest`` naming the presets there are when there is no such one."""
    config: dict[str, Any] = {"mapping": {"preset": preset}}
    try:
        ctx.sources.check_mapping(config)
    except ValueError as exc:
        raise InvalidRequest(f"the column mapping cannot be used: {exc}") from None
    return config


async def queue_file_run(
    ctx: ImporterContext, administration_id: str, name: str, trigger: str
) -> tuple[str, Connection | None]:
    """Accept a run for a delivered file (``RunInProgress`` when one is active)."""
    connection = await delivery_connection(ctx, administration_id)
    run_id = await start_run(
        ctx,
        administration_id,
        source=ctx.sources.kind_of(Path(name)),
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
    *,
    config: dict[str, Any] | None = None,
) -> RunOutcome:
    """Import an accepted file run to its end, read with ``config`` (``preset_config``) when
    given, else with the connection's."""
    limits = LineLimits(ctx.settings.csv_max_line_chars, ctx.settings.csv_max_fields)
    if config is None and connection is not None:
        config = connection.config
    open_file = ctx.sources.file_opener(path, config, name=name, limits=limits)
    options = connection.options() if connection else RunOptions()
    return await execute_run(ctx, administration_id, run_id, open_file, options, progress)
