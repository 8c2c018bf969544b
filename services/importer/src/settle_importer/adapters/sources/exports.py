"""Opening a CSV or XLSX export: with the column mapping configured for it or, when none is,
with the first preset (``PRESETS``: English, then Dutch) whose required columns its header has.
A header that fits no preset is refused with what each preset needs, and a configured mapping
that does not fit says which preset would."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from settle_importer.adapters.sources.base import MissingColumns, NoMappingFits, SourceError
from settle_importer.adapters.sources.csv_file import CsvSource
from settle_importer.adapters.sources.mapping import (
    PRESETS,
    CsvMapping,
    lacking_columns,
    preset_title,
    required_columns,
)
from settle_importer.adapters.sources.xlsx_file import XlsxSource
from settle_importer.application.ports import Connector
from settle_importer.domain.model import LineLimits

# A reader of one kind of export, opened with a mapping.
ExportOpener = Callable[[Path, CsvMapping, str, LineLimits], Connector]


def csv_export(path: Path, mapping: CsvMapping, name: str, limits: LineLimits) -> Connector:
    """A CSV export read with ``mapping``, its lines bounded by ``limits``."""
    return CsvSource(path, mapping, name=name, limits=limits)


def xlsx_export(path: Path, mapping: CsvMapping, name: str, limits: LineLimits) -> Connector:
    """An XLSX export read with ``mapping`` (a sheet has no lines to bound)."""
    return XlsxSource(path, mapping, name=name)


def open_export(
    open_with: ExportOpener,
    path: Path,
    mapping: CsvMapping | None,
    name: str,
    limits: LineLimits,
) -> Connector:
    """Open an export with ``mapping``, or without one with the first preset that fits."""
    if mapping is not None:
        try:
            return open_with(path, mapping, name, limits)
        except MissingColumns as missing:
            for preset in PRESETS:
                try:
                    open_with(path, CsvMapping.preset(preset), name, limits)
                except SourceError:
                    continue
                hint = (
                    f"; the file fits {preset_title(preset)}: configure "
                    f"{json.dumps({'preset': preset})}"
                )
                raise MissingColumns(name, missing.missing, missing.found, hint) from None
            raise
    # The header as the preset that split it into the most columns read it: one whose
    # delimiter is not the file's sees a single column.
    found: Sequence[str] = ()
    for preset in PRESETS:
        try:
            return open_with(path, CsvMapping.preset(preset), name, limits)
        except MissingColumns as missing:
            found = max(found, missing.found, key=len)
    raise no_preset_fits(name, found)


def no_preset_fits(name: str, found: Sequence[str]) -> NoMappingFits:
    """The refusal of a header that fits no preset: what each needs, what this one lacks, and
    an example mapping built on the preset it comes closest to."""
    needs = []
    closest: tuple[str, dict[str, object]] | None = None
    for preset in PRESETS:
        mapping = CsvMapping.preset(preset)
        lacking = lacking_columns(mapping, found)
        need = f"{preset_title(preset)} needs {_and(required_columns(mapping).values())}"
        if len(lacking) < len(required_columns(mapping)):
            need += f" (this file lacks {_and(lacking.values())})"
        needs.append(need)
        if closest is None or len(lacking) < len(closest[1]):
            closest = (preset, dict(lacking))
    assert closest is not None
    example = {"preset": closest[0], **dict.fromkeys(closest[1], "<your column>")}
    return NoMappingFits(name, needs, found, json.dumps(example))


def _and(items: Iterable[object]) -> str:
    words = [str(item) for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
