"""What every source of invoices looks like to the importer, and how a whole source can fail.

A connector reads one source (a file, a set of files, an API) and yields, in order, the records it
could read (``SourceRecord``, sometimes a standalone ``ImportedDebtor``) and those it could not
(``RejectedRecord``). It streams: nothing requires the whole source in memory. A new bookkeeping
package is one new module implementing ``Connector``.

A ``SourceError`` means the source as a whole cannot be read (an empty file, an encoding that does
not match, a missing required column); the run fails and nothing from it is applied.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from settle_importer.domain.model import SourceItem


class Connector(Protocol):
    """A source of invoices, credit notes and debtors."""

    @property
    def total(self) -> int | None:
        """How many records the source holds, for progress; ``None`` when not known up front.

        May be an estimate (a CSV file counts physical lines); never used for correctness.
        """
        ...

    def records(self) -> Iterator[SourceItem]:
        """Read the source, yielding each record or rejected record as soon as it is read."""
        ...


class SourceError(Exception):
    """The source as a whole cannot be read; the message says why in the user's terms."""


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


class MissingColumns(SourceError):
    def __init__(self, name: str, missing: Sequence[str], found: Sequence[str]) -> None:
        shown = ", ".join(f"'{column}'" for column in found) or "none"
        super().__init__(
            f"{name} lacks the column(s) {', '.join(repr(m) for m in missing)} required by the "
            f"column mapping; the columns found are: {shown}"
        )
        self.missing = tuple(missing)
        self.found = tuple(found)


class UnreadableSource(SourceError):
    """The file is not of the kind expected (not a spreadsheet, a corrupt archive, ...)."""
