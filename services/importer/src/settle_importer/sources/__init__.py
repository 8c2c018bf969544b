"""Connectors: where invoices come from. Each yields records and rejected records as it reads."""

from __future__ import annotations

from pathlib import Path

from settle_importer.sources.archive import ArchiveLimits
from settle_importer.sources.base import (
    Connector,
    EmptySource,
    MissingColumns,
    SourceError,
    UndecodableSource,
    UnreadableSource,
)
from settle_importer.sources.csv_file import CsvSource
from settle_importer.sources.mapping import CsvMapping
from settle_importer.sources.moneybird import MoneybirdSource
from settle_importer.sources.ubl import UblSource, parse_ubl
from settle_importer.sources.xlsx_file import XlsxSource

# Sources that only read local files: parsing them never waits on a network.
FILE_SOURCES = (CsvSource, XlsxSource, UblSource)

__all__ = [
    "FILE_SOURCES",
    "ArchiveLimits",
    "Connector",
    "CsvMapping",
    "CsvSource",
    "EmptySource",
    "MissingColumns",
    "MoneybirdSource",
    "SourceError",
    "UblSource",
    "UndecodableSource",
    "UnreadableSource",
    "XlsxSource",
    "parse_ubl",
    "source_for_file",
]

_TABULAR = (".csv", ".txt", ".tsv")


def source_for_file(
    path: Path, mapping: CsvMapping | None = None, *, name: str | None = None
) -> Connector:
    """Pick the connector for a delivered file by its extension (``.csv``/``.txt``/``.tsv``,
    ``.xlsx``, ``.xml``/``.zip``); raise ``UnreadableSource`` for anything else."""
    suffix = path.suffix.lower()
    shown = name or path.name
    if suffix in _TABULAR:
        return CsvSource(path, mapping, name=shown)
    if suffix in (".xlsx", ".xlsm"):
        return XlsxSource(path, mapping, name=shown)
    if suffix in (".xml", ".zip"):
        return UblSource([path], names=[shown])
    raise UnreadableSource(
        f"{shown}: files ending in '{suffix or '(nothing)'}' are not imported; "
        "use .csv, .xlsx, .xml (UBL) or .zip"
    )
