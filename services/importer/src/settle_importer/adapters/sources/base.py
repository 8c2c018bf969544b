"""What every source of invoices looks like to the importer, and how a whole source can fail.

A connector reads one source (a file, a set of files, an API) and yields, in order, the records it
could read (``SourceRecord``, sometimes a standalone ``ImportedDebtor``) and those it could not
(``RejectedRecord``). It streams: nothing requires the whole source in memory. A new bookkeeping
package is one new module implementing ``Connector`` (application/ports.py).

A ``SourceError`` means the source as a whole cannot be read (an empty file, an encoding that does
not match, a missing required column); the run fails and nothing from it is applied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from settle_importer.domain.errors import SourceError


def files_digest(kind: str, reading: str, files: Iterable[tuple[str, Path]]) -> str | None:
    """``content_digest`` of file sources: the kind of source, how it reads (its mapping and
    what it chose from the file when opened, such as encoding and delimiter), and each file's
    bytes and name (where records are told by file name; else ""). ``None`` when a file cannot
    be read: the run reads the source and rejects what it must."""
    digest = hashlib.sha256()
    for part in (kind, reading):
        digest.update(f"{len(part)}:{part};".encode())
    try:
        for name, path in files:
            digest.update(f"{len(name)}:{name};".encode())
            size = 0
            with path.open("rb") as file:
                while block := file.read(_DIGEST_BLOCK):
                    digest.update(block)
                    size += len(block)
            digest.update(f";{size};".encode())
    except OSError:
        return None
    return digest.hexdigest()


_DIGEST_BLOCK = 1 << 20


class EmptySource(SourceError):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is empty: it holds no header and no records")


class UndecodableSource(SourceError):
    """The bytes do not match the configured text encoding."""

    def __init__(self, name: str, encoding: str, byte_offset: int, line: int) -> None:
        super().__init__(
            f"{name} is not valid {encoding}: the byte at position {byte_offset} (line {line}) "
            f"cannot be read as {encoding}; export the file as {encoding} or configure the "
            "encoding it was saved in (for example cp1252 for older Windows exports)"
        )
        self.encoding = encoding
        self.byte_offset = byte_offset
        self.line = line


_COLUMNS_SHOWN = 30


def shown_columns(found: Sequence[str]) -> str:
    """A header's columns for a message: the first thirty, and how many more."""
    shown = ", ".join(f"'{column}'" for column in found[:_COLUMNS_SHOWN]) or "none"
    if len(found) > _COLUMNS_SHOWN:
        shown += f" and {len(found) - _COLUMNS_SHOWN:,} more"
    return shown


class MissingColumns(SourceError):
    def __init__(
        self, name: str, missing: Sequence[str], found: Sequence[str], hint: str = ""
    ) -> None:
        super().__init__(
            f"{name} lacks the column(s) {', '.join(repr(m) for m in missing)} required by the "
            f"column mapping; the columns found are: {shown_columns(found)}{hint}"
        )
        self.name = name
        self.missing = tuple(missing)
        self.found = tuple(found)


class NoMappingFits(SourceError):
    """A file delivered without a configured column mapping whose header fits no preset."""

    def __init__(self, name: str, needs: Sequence[str], found: Sequence[str], example: str):
        # What each preset needs comes first: a run keeps the first 1,000 characters.
        super().__init__(
            f"{name} lacks the columns of every column mapping preset: {'; '.join(needs)}. "
            f"Its header has {shown_columns(found)}. Name the columns so in the export, or "
            f"configure the column mapping of the administration's connection, such as "
            f"{example}"
        )
        self.found = tuple(found)


class UnreadableSource(SourceError):
    """The file is not of the kind expected (not a spreadsheet, a corrupt archive, ...)."""
