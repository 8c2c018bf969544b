"""Zip archives of delivered files: UBL documents and CSV or XLSX exports, in any mix.

Each member is read by its kind: an XML member as one UBL document, a CSV or XLSX member with
the connection's column mapping (without one, with the first preset its header fits, member by
member). The records of all members form the run, each at its member's position
(``facturen.zip/noord.csv line 3``). The archive's limits (``archive.py``) hold for every
member, and a member that cannot be read (refused by them, not a kind the importer reads, or
an export that cannot be read as a whole: a missing column, a wrong encoding) is rejected
alone, its name in the position and the reason, while the other members are imported.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from settle_importer.adapters.sources.archive import (
    ArchiveLimits,
    ExtractedMember,
    extracted_members,
)
from settle_importer.adapters.sources.base import SourceError, files_digest
from settle_importer.adapters.sources.exports import (
    ExportOpener,
    csv_export,
    open_export,
    xlsx_export,
)
from settle_importer.adapters.sources.mapping import PRESETS, CsvMapping
from settle_importer.adapters.sources.ubl import parse_ubl
from settle_importer.domain.model import LineLimits, RejectedRecord, SourceItem, SourceRecord

_DOCUMENTS = (".xml",)
_WORKBOOKS = (".xlsx", ".xlsm")


# By suffix: the exports read from an archive. A .txt member is not among them: in an archive
# it is far more often a read-me than an export.
_EXPORTS: dict[str, ExportOpener] = {
    ".csv": csv_export,
    ".tsv": csv_export,
    **dict.fromkeys(_WORKBOOKS, xlsx_export),
}
_NOT_READ = (
    "skipped: not an XML document or a CSV or XLSX export (an archive's "
    + ", ".join((*_DOCUMENTS, *_EXPORTS))
    + " files are read)"
)


class ZipSource:
    """A zip archive of UBL documents and CSV or XLSX exports as a ``Connector``."""

    def __init__(
        self,
        path: Path,
        mapping: CsvMapping | None = None,
        *,
        name: str | None = None,
        line_limits: LineLimits | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.path = path
        self.mapping = mapping
        self.name = name or path.name
        self.line_limits = line_limits or LineLimits()
        self.limits = limits or ArchiveLimits()

    @property
    def total(self) -> int | None:
        """Documents to read when the archive holds documents only (one per member); unknown
        up front when it holds an export."""
        try:
            with zipfile.ZipFile(self.path) as archive:
                names = [info.filename.lower() for info in archive.infolist() if not info.is_dir()]
        except (zipfile.BadZipFile, OSError):
            return 1
        if any(name.endswith(tuple(_EXPORTS)) for name in names):
            return None
        return len(names)

    def content_digest(self) -> str | None:
        # Records are told by the archive's name and its members' (in its bytes).
        mapping = self.mapping.model_dump_json() if self.mapping else json.dumps(PRESETS)
        reading = f"{mapping} {self.limits!r} {self.line_limits!r}"
        return files_digest("zip", reading, [(self.name, self.path)])

    def records(self) -> Iterator[SourceItem]:
        read = {
            **dict.fromkeys(_DOCUMENTS, self.limits.max_member_bytes),
            **dict.fromkeys(_EXPORTS, self.limits.max_export_bytes),
        }
        with _unpacking_folder(self.path) as folder:
            for member in extracted_members(
                self.path,
                self.limits,
                name=self.name,
                read=read,
                not_read=_NOT_READ,
                workbooks=_WORKBOOKS,
                folder=Path(folder),
            ):
                if isinstance(member, RejectedRecord):
                    yield member
                elif member.suffix in _DOCUMENTS:
                    yield parse_ubl(member.path.read_bytes(), member.position)
                else:
                    yield from self._export(member)

    def _export(self, member: ExtractedMember) -> Iterator[SourceItem]:
        """The records of one export, at positions within the archive; the export rejected
        alone when it cannot be read as a whole (what it yielded before that stays)."""
        opener = _EXPORTS[member.suffix]
        try:
            source = open_export(
                opener, member.path, self.mapping, member.position, self.line_limits
            )
            for item in source.records():
                if isinstance(item, SourceRecord | RejectedRecord):
                    item = replace(item, position=f"{member.position} {item.position}")
                yield item
        except SourceError as error:
            yield RejectedRecord(member.position, None, str(error))


def _unpacking_folder(archive: Path) -> tempfile.TemporaryDirectory[str]:
    """Where an archive's members are unpacked, one at a time (an export may be hundreds of
    MiB): a hidden folder beside the archive, on the same volume (in a cluster the shared
    files volume, not the small /tmp); the temporary directory only when the archive's folder
    is not writable (a file connection's read-only export folder). Drop folders skip hidden
    names."""
    try:
        return tempfile.TemporaryDirectory(prefix=".settle-zip-", dir=archive.parent)
    except OSError:
        return tempfile.TemporaryDirectory(prefix="settle-zip-")
