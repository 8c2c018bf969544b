"""Zip archives from outside: opened only within limits.

Refused, each member on its own so the rest of the archive goes on: names that would point outside
the archive (``../``, absolute paths, drive letters), nested archives, encrypted members, members
larger than a document (or an export) can be, members whose compression ratio is that of a zip
bomb, and members beyond the archive's total size. An archive with more members than allowed is
refused whole. Documents are read into memory (``archive_members``); exports, which may be
larger, are streamed to a file each (``extracted_members``).

The sizes checked are those the archive declares; Python's ``zipfile`` never inflates a member
beyond its declared size, and reading is capped as well, so a lying header cannot get past them.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from settle_importer.domain.model import RejectedRecord

_MIB = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_ZIP_MAGIC = b"PK\x03\x04"
_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Caps on what an archive may unpack to."""

    max_members: int = 10_000
    max_member_bytes: int = 25 * _MIB
    max_total_bytes: int = 512 * _MIB
    max_ratio: int = 100
    # A CSV or XLSX export in an archive holds many documents, so it may unpack to more than
    # one document; it is streamed to a file, never held in memory whole.
    max_export_bytes: int = 256 * _MIB

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
            f"{limits.max_member_bytes:,} allowed for one file in an archive"
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

    def most_bytes(member: str) -> int | None:
        return limits.max_member_bytes if member.endswith(suffixes) else None

    not_read = "skipped: not an XML document (only " + ", ".join(suffixes) + " is read)"
    for entry in _entries(path, limits, name=name, most_bytes=most_bytes, not_read=not_read):
        if isinstance(entry, RejectedRecord):
            yield entry
            continue
        archive, info, position = entry
        content = _read(archive, info, position, limits.max_member_bytes)
        if isinstance(content, RejectedRecord):
            yield content
        elif content.startswith(_ZIP_MAGIC):
            yield RejectedRecord(
                position, None, "refused: archives inside an archive are not opened"
            )
        else:
            yield position, content


@dataclass(frozen=True, slots=True)
class ExtractedMember:
    """A member of an archive written to a file of its own, to be read by its kind's reader."""

    position: str
    suffix: str
    path: Path


def extracted_members(
    path: Path,
    limits: ArchiveLimits,
    *,
    name: str,
    read: Mapping[str, int],
    not_read: str,
    workbooks: tuple[str, ...],
    folder: Path,
) -> Iterator[ExtractedMember | RejectedRecord]:
    """Yield each acceptable member written to a file in ``folder``, or a ``RejectedRecord``.

    ``read`` gives, by suffix, the members read and the most bytes one may unpack to (an
    export holds many documents, so it may be larger than one); any other member is rejected
    with ``not_read``. A member is streamed to its file, never held in memory whole, and the
    file is removed when the next member is asked for. Members of a zip-based kind
    (``workbooks``: XLSX) are archives themselves, left to their reader's own limits; any other
    member that is an archive is refused.
    """

    def most_bytes(member: str) -> int | None:
        return next((most for suffix, most in read.items() if member.endswith(suffix)), None)

    for entry in _entries(path, limits, name=name, most_bytes=most_bytes, not_read=not_read):
        if isinstance(entry, RejectedRecord):
            yield entry
            continue
        archive, info, position = entry
        suffix = next(suffix for suffix in read if info.filename.lower().endswith(suffix))
        target = folder / f"member{suffix}"
        problem = _extract(archive, info, target, read[suffix])
        if problem is None and suffix not in workbooks:
            with target.open("rb") as written:
                if written.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC:
                    problem = "refused: archives inside an archive are not opened"
        try:
            if problem is not None:
                yield RejectedRecord(position, None, problem)
            else:
                yield ExtractedMember(position, suffix, target)
        finally:
            target.unlink(missing_ok=True)


def _entries(
    path: Path,
    limits: ArchiveLimits,
    *,
    name: str,
    most_bytes: Callable[[str], int | None],
    not_read: str,
) -> Iterator[tuple[zipfile.ZipFile, zipfile.ZipInfo, str] | RejectedRecord]:
    """The members of an archive that pass its limits, with their positions; a
    ``RejectedRecord`` for each that does not. ``most_bytes`` says, by lower-case member name,
    how large a member may unpack to, or ``None`` for a member not read (``not_read`` says
    why)."""
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
            most = most_bytes(member.lower())
            own = limits if most is None else replace(limits, max_member_bytes=most)
            problem = _member_problem(info, own)
            if problem is None and most is None:
                problem = not_read
            if problem is None and total + info.file_size > limits.max_total_bytes:
                problem = (
                    f"refused: the archive unpacks to more than {limits.max_total_bytes:,} bytes "
                    "in total"
                )
            if problem is not None:
                yield RejectedRecord(position, None, problem)
                continue
            total += info.file_size
            yield archive, info, position


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, position: str, most: int
) -> bytes | RejectedRecord:
    try:
        with archive.open(info) as stream:
            content = stream.read(most + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError) as error:
        return RejectedRecord(position, None, f"not readable from the archive: {error}")
    if len(content) > most:
        return RejectedRecord(position, None, "refused: larger than its declared size")
    return content


def _extract(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, most: int
) -> str | None:
    """Stream a member to ``target``; why it could not be, or ``None``."""
    written = 0
    try:
        with archive.open(info) as stream, target.open("wb") as out:
            while block := stream.read(_BLOCK):
                written += len(block)
                if written > most:
                    return "refused: larger than its declared size"
                out.write(block)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError) as error:
        return f"not readable from the archive: {error}"
    return None
