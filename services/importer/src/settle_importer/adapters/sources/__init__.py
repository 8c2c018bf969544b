"""Connectors: where invoices come from. Each yields records and rejected records as it reads."""

from __future__ import annotations

from pathlib import Path

from settle_importer.adapters.sources.archive import ArchiveLimits
from settle_importer.adapters.sources.base import (
    EmptySource,
    MissingColumns,
    NoMappingFits,
    SourceError,
    UndecodableSource,
    UnreadableSource,
)
from settle_importer.adapters.sources.csv_file import CsvSource
from settle_importer.adapters.sources.kinds import (
    FILE_KINDS,
    FileKind,
    file_kind,
    not_read,
)
from settle_importer.adapters.sources.mapping import (
    PRESETS,
    CsvMapping,
    InvalidMapping,
    mapping_from_settings,
)
from settle_importer.adapters.sources.moneybird import MoneybirdSource
from settle_importer.adapters.sources.ubl import UblSource, parse_ubl
from settle_importer.adapters.sources.xlsx_file import XlsxSource
from settle_importer.adapters.sources.zip_file import ZipSource
from settle_importer.application.ports import Connector
from settle_importer.domain.model import LineLimits

__all__ = [
    "FILE_KINDS",
    "PRESETS",
    "ArchiveLimits",
    "Connector",
    "CsvMapping",
    "CsvSource",
    "EmptySource",
    "FileKind",
    "InvalidMapping",
    "LineLimits",
    "MissingColumns",
    "MoneybirdSource",
    "NoMappingFits",
    "SourceError",
    "UblSource",
    "UndecodableSource",
    "UnreadableSource",
    "XlsxSource",
    "ZipSource",
    "file_kind",
    "mapping_from_settings",
    "not_read",
    "parse_ubl",
    "source_for_file",
]


def source_for_file(
    path: Path,
    mapping: CsvMapping | None = None,
    *,
    name: str | None = None,
    limits: LineLimits | None = None,
) -> Connector:
    """Pick the connector for a delivered file by its kind (``FILE_KINDS``); raise
    ``UnreadableSource`` for a file of no kind the importer reads."""
    shown = name or path.name
    kind = file_kind(path)
    if kind is None:
        raise UnreadableSource(not_read(shown, path.suffix))
    return kind.open(path, mapping, shown, limits or LineLimits())
