"""A preview of a column mapping on the first rows of a CSV or XLSX export: the header, which
presets fit it, which field each column feeds and the first rows read as a run would read them,
each with its own refusal. Nothing is imported."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from settle_importer.adapters.sources.base import MissingColumns, SourceError
from settle_importer.adapters.sources.exports import (
    ExportOpener,
    csv_export,
    no_preset_fits,
    xlsx_export,
)
from settle_importer.adapters.sources.kinds import file_kind, not_read
from settle_importer.adapters.sources.mapping import (
    PRESETS,
    CsvMapping,
    InvalidMapping,
    mapping_from_settings,
)
from settle_importer.domain.errors import FileRefused, UnsupportedFile
from settle_importer.domain.model import ImportedDebtor, LineLimits, RejectedRecord, SourceRecord
from settle_importer.domain.preview import (
    MappingPreview,
    PresetFit,
    PreviewColumn,
    PreviewRow,
    record_fields,
)

_OPENERS: dict[str, ExportOpener] = {"csv": csv_export, "xlsx": xlsx_export}


def cut_to_whole_lines(path: Path) -> None:
    """The first part of a longer file ends in the middle of a line: drop that line."""
    data = path.read_bytes()
    end = data.rfind(b"\n")
    if end >= 0:
        path.write_bytes(data[: end + 1])


def preview_export(
    path: Path,
    name: str,
    mapping_settings: Mapping[str, Any] | None,
    *,
    rows: int,
    limits: LineLimits,
    partial: bool,
) -> MappingPreview:
    """Read the first `rows` records of an export with `mapping_settings` (a connection's
    ``config["mapping"]``), or without one with the first preset its header fits.
    ``UnsupportedFile`` for a kind of file that has no column mapping."""
    kind = file_kind(name)
    if kind is None:
        raise UnsupportedFile(not_read(name, Path(name).suffix))
    open_with = _OPENERS.get(kind.name)
    if open_with is None:
        raise UnsupportedFile(
            f"{name}: a {kind.name} file has no columns to map; upload it to import it"
        )
    if partial:
        if kind.name != "csv":
            raise FileRefused(
                f"{name}: a workbook is read whole; send all of it for a preview, not its start"
            )
        cut_to_whole_lines(path)
    fits: list[PresetFit] = []
    header: tuple[str, ...] = ()
    for preset in PRESETS:
        try:
            opened = open_with(path, CsvMapping.preset(preset), name, limits)
        except MissingColumns as missing:
            fits.append(PresetFit(preset, False, tuple(str(ref) for ref in missing.missing)))
            header = max(header, tuple(missing.found), key=len)
        except SourceError as error:  # empty, not of its encoding: no header to show
            return MappingPreview(
                kind=kind.name,
                header=(),
                presets=(),
                preset=None,
                mapping={},
                columns=(),
                rows=(),
                problem=str(error),
            )
        else:
            fits.append(PresetFit(preset, True))
            header = max(header, getattr(opened, "header", ()), key=len)
    fitting = next((fit.name for fit in fits if fit.fits), None)
    settings: dict[str, Any] = dict(mapping_settings or {})
    if not settings and fitting is not None:
        settings = {"preset": fitting}
    mapping: CsvMapping | None = None
    problem: str | None = None
    if settings:
        try:
            mapping = mapping_from_settings(settings)
        except InvalidMapping as error:
            problem = f"the column mapping cannot be used: {error}"
    else:
        problem = str(no_preset_fits(name, header))
    read: list[PreviewRow] = []
    source: Any = None
    if mapping is not None:
        try:
            source = open_with(path, mapping, name, limits)
        except SourceError as error:
            problem = str(error)
    if source is not None:
        header = getattr(source, "header", header) or header
        for item in source.records():
            if isinstance(item, ImportedDebtor):
                continue
            if isinstance(item, RejectedRecord):
                read.append(PreviewRow(item.position, item.reference, error=item.reason))
            elif isinstance(item, SourceRecord):
                read.append(
                    PreviewRow(
                        item.position,
                        item.invoice.number,
                        fields=record_fields(item.invoice, item.debtor),
                    )
                )
            if len(read) >= rows:
                break
    return MappingPreview(
        kind=kind.name,
        header=header,
        presets=tuple(fits),
        preset=str(settings.get("preset", "english")) if settings else None,
        mapping=json.loads(json.dumps(settings, default=list)),
        columns=_columns(header, mapping),
        rows=tuple(read),
        problem=problem,
        delimiter=getattr(source, "delimiter", None),
        encoding=getattr(source, "encoding", None),
    )


def _columns(header: tuple[str, ...], mapping: CsvMapping | None) -> tuple[PreviewColumn, ...]:
    """Each column of the header with the field it feeds under `mapping`."""
    fed: dict[str | int, str] = {}
    if mapping is not None:
        for field, ref in mapping.columns().items():
            # debtor_address_lines[0] and [1] both feed the address lines
            name = field.split("[", 1)[0]
            fed.setdefault(ref.strip().lower() if isinstance(ref, str) else ref, name)
    return tuple(
        PreviewColumn(title, fed.get(title.strip().lower()) or fed.get(position))
        for position, title in enumerate(header)
    )
