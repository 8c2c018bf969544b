"""A preview of a column mapping: a person sees how the first rows of an export would be read
(the header, the preset that fits it, each column's field, each row's refusal) before the
mapping is saved and before anything is imported."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from settle_importer.application.administrations import check_known
from settle_importer.application.connections import get_connection
from settle_importer.application.context import ImporterContext
from settle_importer.domain.errors import FileRefused
from settle_importer.domain.model import LineLimits
from settle_importer.domain.preview import MappingPreview


async def preview_mapping(
    ctx: ImporterContext,
    administration_id: str,
    path: Path,
    name: str,
    *,
    mapping: dict[str, Any] | None,
    connection_id: str | None,
    rows: int,
    partial: bool,
) -> MappingPreview:
    """The preview of the file at `path` read with `mapping`, else with the mapping of the
    connection `connection_id`, else with the first preset its header fits. Refuses an
    administration the gateway never announced, an unknown connection and a file that must
    not be opened, as an upload is refused."""
    await check_known(ctx, administration_id)
    if partial and ctx.sources.kind_of(Path(name)) != "csv":
        raise FileRefused(
            f"{name}: a workbook is read whole; send all of it for a preview, not its start"
        )
    ctx.sources.check_file(path, name)
    if mapping is None and connection_id is not None:
        connection = await get_connection(ctx, administration_id, connection_id)
        mapping = connection.config.get("mapping") or None
    limits = LineLimits(ctx.settings.csv_max_line_chars, ctx.settings.csv_max_fields)
    return await asyncio.to_thread(
        ctx.sources.preview, path, name, mapping, rows=rows, limits=limits, partial=partial
    )


def mapping_catalogue(ctx: ImporterContext) -> dict[str, Any]:
    """The fields a column mapping names and the presets by name."""
    return ctx.sources.mapping_catalogue()
