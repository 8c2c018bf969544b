"""Zip archives from outside: opened only within limits.

Refused, each member on its own so the rest of the archive goes on: names that would point outside
the archive (``../``, absolute paths, drive letters), nested archives, encrypted members, members
larger than a document can be, members whose compression ratio is that of a zip bomb, and members
beyond the archive's total size. An archive with more members than allowed is refused whole.

The sizes checked are those the archive declares; Python's ``zipfile`` never inflates a member
beyond its declared size, and reading is capped as well, so a lying header cannot get past them.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from settle_importer.domain.model import RejectedRecord

_MIB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps on what an archive may unpack to."""

    max_members: int = 10_000
    max_member_bytes: int = 25 * _MIB
    max_total_bytes: int = 512 * _MIB
    max_ratio: int = 100

    @classmethod
    def for_workbooks(cls) -> ArchiveLimits:
        """Limits for XLSX files: one sheet part may be large and compresses well."""
        return cls(
            max_members=2_000,
            max_member_bytes=1024 * _MIB,
            max_total_bytes=2048 * _MIB,
            max_ratio=200,
        )


def unsafe_member_name(name: str) -> bool:
    """Whether a member name could escape the folder it is extracted to."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in PurePosixPath(name.replace("\\", "/")).parts


def _member_problem(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    if unsafe_member_name(info.filename):
        return "refused: the name points outside the archive (path traversal)"
    if info.filename.lower().endswith((".zip", ".jar", ".7z", ".rar", ".gz", ".tar")):
        return "refused: archives inside an archive are not opened"
    if info.flag_bits & 0x1:
        return "refused: the file is encrypted"
    if info.file_size > limits.max_member_bytes:
        return (
            f"refused: it unpacks to {info.file_size:,} bytes, more than the "
            f"{limits.max_member_bytes:,} allowed for one document"
        )
    if info.file_size and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size // max(info.compress_size, 1)
        return (
            f"refused: it is compressed {ratio}:1, more than {limits.max_ratio}:1; "
            "this is how zip bombs look"
        )
    return None


def check_archive(path: Path, limits: ArchiveLimits) -> str | None:
    """Why an archive whose every part is needed (an XLSX workbook) is refused, or ``None``."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return "it is not a zip-based file (an XLSX workbook is one)"
    if len(infos) > limits.max_members:
        return f"it holds {len(infos):,} parts, more than {limits.max_members:,}"
    total = 0
    for info in infos:
        problem = _member_problem(info, limits)
        if problem is not None:
            return f"part {info.filename!r} {problem.removeprefix('refused: ')}"
        total += info.file_size
    if total > limits.max_total_bytes:
        return f"it unpacks to {total:,} bytes, more than {limits.max_total_bytes:,}"
    return None


def archive_problem(path: Path, limits: ArchiveLimits) -> str | None:
    """Why an archive of documents is refused as a whole (it is no zip, or holds more files
    than allowed), or ``None``: its members are then judged one by one (``archive_members``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = len(archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return "it is not a zip archive that can be read"
    if members > limits.max_members:
        return (
            f"the archive holds {members:,} files, more than {limits.max_members:,}; "
            "split it into smaller archives"
        )
    return None


def archive_members(
    path: Path, limits: ArchiveLimits, *, name: str, suffixes: tuple[str, ...]
) -> Iterator[tuple[str, bytes] | RejectedRecord]:
    """Yield ``(position, content)`` of each acceptable member, or a ``RejectedRecord`` for it.

    Only members whose name ends in one of ``suffixes`` are read; others are rejected as not
    being documents. Folders and macOS Finder metadata (``__MACOSX/``, ``._*``) are skipped.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        yield RejectedRecord(name, None, "not a readable zip archive")
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            yield RejectedRecord(
                name,
                None,
                f"refused: the archive holds {len(infos):,} files, more than "
                f"{limits.max_members:,}; split it into smaller archives",
            )
            return
        total = 0
        for info in infos:
            member = info.filename
            if info.is_dir() or member.startswith("__MACOSX/"):
                continue
            if PurePosixPath(member.replace("\\", "/")).name.startswith("._"):
                continue
            position = f"{name}/{member}"
            problem = _member_problem(info, limits)
            if problem is None and not member.lower().endswith(suffixes):
                problem = "skipped: not an XML document (only " + ", ".join(suffixes) + " is read)"
            if problem is None and total + info.file_size > limits.max_total_bytes:
                problem = (
                    f"refused: the archive unpacks to more than {limits.max_total_bytes:,} bytes "
                    "in total"
                )
            if problem is not None:
                yield RejectedRecord(position, None, problem)
                continue
            try:
                with archive.open(info) as stream:
                    content = stream.read(limits.max_member_bytes + 1)
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError) as error:
                yield RejectedRecord(position, None, f"not readable from the archive: {error}")
                continue
            total += len(content)
            if len(content) > limits.max_member_bytes:
                yield RejectedRecord(position, None, "refused: larger than its declared size")
                continue
            if content.startswith(_ZIP_MAGIC):
                yield RejectedRecord(
                    position, None, "refused: archives inside an archive are not opened"
                )
                continue
            yield position, content
