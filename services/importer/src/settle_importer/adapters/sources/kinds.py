"""The kinds of file the importer reads, in one registry: a file's suffix names its kind, and the
kind knows its reader (the ``Connector``), the name runs show for it and how a delivered file of
that kind is checked before anything is read from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from settle_importer.adapters.sources.archive import (
    ArchiveLimits,
    archive_problem,
    check_archive,
)
from settle_importer.adapters.sources.csv_file import CsvSource
from settle_importer.adapters.sources.exports import csv_export, open_export, xlsx_export
from settle_importer.adapters.sources.mapping import CsvMapping
from settle_importer.adapters.sources.ubl import UblSource, parse_ubl
from settle_importer.adapters.sources.xlsx_file import XlsxSource
from settle_importer.adapters.sources.zip_file import ZipSource
from settle_importer.application.ports import Connector
from settle_importer.domain.model import LineLimits

_XML_PEEK = 1 << 16


@dataclass(frozen=True)
class FileKind:
    """A kind of delivered file: ``csv``, ``xlsx``, ``ubl`` or ``zip``."""

    name: str
    reader: type
    # The connector reading a path with a column mapping (none: the first preset that fits,
    # for a CSV or XLSX export), shown under a name, its lines bounded (a CSV file).
    open: Callable[[Path, CsvMapping | None, str, LineLimits], Connector]
    # Why a file of this kind must not be opened at all (after "<name>: "), or None.
    refusal: Callable[[Path, str], str | None]


def _nothing_to_refuse(path: Path, name: str) -> str | None:
    return None


def _xml_refusal(path: Path, name: str) -> str | None:
    # A document type declaration can expand entities without limit or read files.
    with path.open("rb") as stream:
        head = stream.read(_XML_PEEK).upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return (
            "refused: the XML has a document type declaration (DOCTYPE); "
            "declarations and entities are not accepted because they can expand without "
            "limit or read files"
        )
    if path.stat().st_size <= ArchiveLimits().max_member_bytes:
        parsed = parse_ubl(path.read_bytes(), name)
        reason = getattr(parsed, "reason", "")
        if reason.startswith("refused"):
            return str(reason)
    return None


def zip_refusal(limits: ArchiveLimits) -> Callable[[Path, str], str | None]:
    """Refuse a zip of UBL files or exports only as a whole: when it is no zip, or holds more
    files than allowed. A bad member (a zip bomb, a name escaping the archive, a nested
    archive, an export that cannot be read) is the run's business: rejected alone, with its
    name and reason, and the rest imported."""

    def refusal(path: Path, name: str) -> str | None:
        problem = archive_problem(path, limits)
        return None if problem is None else f"refused: {problem}"

    return refusal


def _archive_refusal(limits: ArchiveLimits) -> Callable[[Path, str], str | None]:
    def refusal(path: Path, name: str) -> str | None:
        problem = check_archive(path, limits)
        return None if problem is None else f"refused: {problem}"

    return refusal


def _ubl(path: Path, mapping: CsvMapping | None, name: str, limits: LineLimits) -> Connector:
    return UblSource([path], names=[name])


_CSV = FileKind(
    "csv",
    CsvSource,
    lambda path, mapping, name, limits: open_export(csv_export, path, mapping, name, limits),
    refusal=_nothing_to_refuse,
)
_XLSX = FileKind(
    "xlsx",
    XlsxSource,
    lambda path, mapping, name, limits: open_export(xlsx_export, path, mapping, name, limits),
    refusal=_archive_refusal(ArchiveLimits.for_workbooks()),
)

# By suffix (lower case). A new kind of file is one entry here.
FILE_KINDS: dict[str, FileKind] = {
    ".csv": _CSV,
    ".txt": _CSV,
    ".tsv": _CSV,
    ".xlsx": _XLSX,
    ".xlsm": _XLSX,
    ".xml": FileKind("ubl", UblSource, _ubl, refusal=_xml_refusal),
    ".zip": FileKind(
        "zip",
        ZipSource,
        lambda path, mapping, name, limits: ZipSource(path, mapping, name=name, line_limits=limits),
        refusal=zip_refusal(ArchiveLimits()),
    ),
}


def file_kind(name: str | Path) -> FileKind | None:
    """The kind of a file by its name's suffix; ``None`` for a file the importer does not read."""
    return FILE_KINDS.get(Path(name).suffix.lower())


def not_read(shown: str, suffix: str) -> str:
    """Why a file ``shown`` with an unknown ``suffix`` is not imported."""
    return (
        f"{shown}: files ending in '{suffix.lower() or '(nothing)'}' are not imported; "
        "use .csv, .xlsx, .xml (UBL) or a .zip of them"
    )
