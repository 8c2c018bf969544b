"""CSV exports, read as a stream with a configurable column mapping.

Before any record is yielded the file is checked once, in constant memory: byte order mark,
encoding (a mismatch fails the whole file, naming the byte position, so nothing is imported from
half a file), emptiness, the delimiter when it is not configured (``;``, ``,``, tab or ``|``,
whichever the header line has most of; ``;`` on a tie, as Dutch exports use it) and the header.
The same pass counts lines for progress.

A line is bounded before it is split (``LineLimits``): a line longer than the limit is skipped
without being held, and one with more fields than allowed is not split; each is rejected with its
reason. A header line over either limit refuses the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from settle_importer.adapters.sources.base import (
    EmptySource,
    SourceError,
    UndecodableSource,
    files_digest,
)
from settle_importer.adapters.sources.mapping import CsvMapping, RowReader
from settle_importer.adapters.sources.values import AmountParser, DateParser
from settle_importer.domain.model import LineLimits, RejectedRecord, SourceItem

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_DELIMITERS = (";", ",", "\t", "|")


@dataclass(slots=True)
class _RecordSize:
    """What the lines of the record being read came to, and the lines skipped meanwhile."""

    chars: int = 0
    fields: int = 0
    lines: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def next_record(self) -> None:
        self.chars = self.fields = self.lines = 0


class CsvSource:
    """A CSV file as a ``Connector``."""

    def __init__(
        self,
        path: Path,
        mapping: CsvMapping | None = None,
        *,
        name: str | None = None,
        limits: LineLimits | None = None,
    ) -> None:
        self.path = path
        self.mapping = mapping or CsvMapping()
        self.name = name or path.name
        self.limits = limits or LineLimits()
        self._bom_length, self.encoding, lines, first_line = self._inspect()
        self.delimiter = self.mapping.delimiter or _detect_delimiter(first_line)
        header = None
        if self.mapping.has_header:
            fields = first_line.count(self.delimiter) + 1
            if fields > self.limits.max_fields:
                raise SourceError(
                    f"{self.name} is refused: its header line has {fields:,} fields, more than "
                    f"the {self.limits.max_fields:,} accepted"
                )
            header = next(csv.reader([first_line], delimiter=self.delimiter))
        self._header = header
        self._total = max(lines - (1 if header is not None else 0), 0)
        self._row_reader()  # refuse a file that lacks a required column now, not mid-run

    @property
    def header(self) -> tuple[str, ...]:
        """The titles of the header's columns (none without a header)."""
        return tuple(title.strip() for title in self._header or ())

    @property
    def total(self) -> int:
        """Data lines in the file; blank lines and quoted line breaks make it an estimate."""
        return self._total

    def content_digest(self) -> str | None:
        # With what was chosen from the file when it was opened: should the file be replaced
        # before it is read, the digest then cannot be that of the new file read afresh.
        # Without the file's name: records are told by line, so a daily export named by its
        # date is the same source when its bytes are.
        chosen = [self._bom_length, self.encoding, self.delimiter, self._header]
        chosen += [self.limits.max_chars, self.limits.max_fields]
        reading = f"{self.mapping.model_dump_json()} {json.dumps(chosen)}"
        return files_digest("csv", reading, [("", self.path)])

    def records(self) -> Iterator[SourceItem]:
        row_reader = self._row_reader()
        width = row_reader.width
        needed = row_reader.needed_width
        i_number = row_reader.number_index
        min_width = needed
        if self._header is not None:
            titled = [i for i, title in enumerate(self._header) if title.strip()]
            min_width = max(needed, titled[-1] + 1 if titled else 0)
        with self.path.open("rb") as raw:
            raw.seek(self._bom_length)
            text = io.TextIOWrapper(raw, encoding=self.encoding, errors="strict", newline="")
            size = _RecordSize()
            rows = csv.reader(self._bounded_lines(text, size), delimiter=self.delimiter)
            header_pending = self._header is not None
            while True:
                # a quoted value may span lines: a record is where it starts
                line = rows.line_num + 1
                size.next_record()
                try:
                    row = next(rows)
                except StopIteration:
                    yield from self._skipped(size)
                    return
                except csv.Error as error:
                    yield from self._skipped(size)
                    yield RejectedRecord(f"line {line}", None, f"not readable as CSV: {error}")
                    continue
                except UnicodeDecodeError as error:
                    raise SourceError(
                        f"{self.name} changed while it was read ({error.reason})"
                    ) from None
                yield from self._skipped(size)
                if not row:
                    continue
                if header_pending:
                    header_pending = not any(cell.strip() for cell in row)
                    continue
                n = len(row)
                if width is not None and n > width and not any(c.strip() for c in row[width:]):
                    # a trailing delimiter the header does not have
                    row, n = row[:width], width
                if n < min_width or (width is not None and n > width):
                    if not any(cell.strip() for cell in row):
                        continue
                    expected = f"{width}" if width is not None else f"at least {min_width}"
                    yield RejectedRecord(
                        f"line {line}",
                        (row[i_number].strip() or None) if i_number < n else None,
                        f"the line has {n} columns where {expected} were expected "
                        f"(delimiter '{_shown_delimiter(self.delimiter)}')",
                    )
                    continue
                if not row[i_number].strip() and not any(cell.strip() for cell in row):
                    continue
                yield row_reader.read(row, line)

    def _bounded_lines(self, text: io.TextIOWrapper, size: _RecordSize) -> Iterator[str]:
        """The file's lines for the CSV reader, each checked before the reader splits it: a
        line over the limits is read past without being kept, and given as a blank line."""
        max_chars, max_fields = self.limits.max_chars, self.limits.max_fields
        number = 0
        while line := text.readline(max_chars + 1):
            number += 1
            if len(line) > max_chars and not line.endswith(("\n", "\r")):
                while (rest := text.readline(max_chars + 1)) and not rest.endswith(("\n", "\r")):
                    pass
                size.skipped.append(
                    (number, f"the line is longer than the {max_chars:,} characters accepted")
                )
                yield "\n"
                continue
            fields = line.count(self.delimiter) + 1
            if fields > max_fields:
                size.skipped.append(
                    (
                        number,
                        f"the line has {fields:,} fields, more than the {max_fields:,} accepted",
                    )
                )
                yield "\n"
                continue
            size.chars += len(line)
            size.fields += fields - 1 if size.lines else fields
            size.lines += 1
            if size.lines > 1 and (size.chars > max_chars or size.fields > max_fields):
                raise SourceError(
                    f"{self.name} cannot be read: the record ending on line {number} spans "
                    f"{size.lines:,} lines and more than {max_chars:,} characters or "
                    f"{max_fields:,} fields (is a quote left open?)"
                )
            yield line

    def _skipped(self, size: _RecordSize) -> Iterator[RejectedRecord]:
        for number, reason in size.skipped:
            yield RejectedRecord(f"line {number}", None, reason)
        size.skipped.clear()

    def _row_reader(self) -> RowReader:
        mapping = self.mapping
        return RowReader(
            mapping,
            self._header,
            source_name=self.name,
            text_of=str.strip,
            amount_of=AmountParser(
                decimal_comma=mapping.decimal_comma,
                thousands_separator=mapping.thousands_separator,
            ),
            date_of=DateParser(mapping.date_format),
        )

    def _inspect(self) -> tuple[int, str, int, str]:
        """Return BOM length, encoding, number of lines and the first non-blank line."""
        try:
            with self.path.open("rb") as raw:
                start = raw.read(4)
        except OSError as error:
            raise SourceError(f"{self.name} cannot be opened: {error.strerror}") from None
        for bom, encoding in _BOMS:
            if start.startswith(bom):
                return (len(bom), encoding, *self._scan(len(bom), encoding))
        try:
            return (0, self.mapping.encoding, *self._scan(0, self.mapping.encoding))
        except UndecodableSource:
            if self.mapping.fallback_encoding is None:
                raise
            fallback = self.mapping.fallback_encoding
            return (0, fallback, *self._scan(0, fallback))

    def _scan(self, start: int, encoding: str) -> tuple[int, str]:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        offset = start
        lines = 0
        has_content = False
        first_line = ""
        first_line_done = False
        ends_with_newline = True
        with self.path.open("rb") as raw:
            raw.seek(start)
            while chunk := raw.read(_CHUNK):
                pending = decoder.getstate()[0]
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    data = pending + chunk
                    before = data[: error.start].decode(encoding, errors="replace")
                    raise UndecodableSource(
                        self.name,
                        encoding,
                        offset - len(pending) + error.start,
                        lines + before.count("\n") + 1,
                    ) from None
                offset += len(chunk)
                if not text:
                    continue
                lines += text.count("\n")
                ends_with_newline = text.endswith("\n")
                if not has_content and not text.isspace():
                    has_content = True
                if not first_line_done:
                    first_line, first_line_done = _first_line(first_line + text)
                    if len(first_line) > self.limits.max_chars:
                        raise SourceError(
                            f"{self.name} is refused: its first line is longer than the "
                            f"{self.limits.max_chars:,} characters accepted"
                        )
            try:
                tail = decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise UndecodableSource(self.name, encoding, offset - 1, lines + 1) from None
            if tail and not tail.isspace():
                has_content = True
        if not has_content:
            raise EmptySource(self.name)
        if not ends_with_newline:
            lines += 1
        return lines, first_line.rstrip("\r\n")


def _first_line(text: str) -> tuple[str, bool]:
    """The first non-blank line of ``text`` and whether it is complete."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            rest = text[start:]
            return ("", False) if rest.isspace() else (rest, False)
        if not text[start:end].isspace() and end > start:
            return text[start:end], True
        start = end + 1


def _detect_delimiter(line: str) -> str:
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])  # first wins a tie: ';'
    return best if counts[best] else ","


def _shown_delimiter(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else delimiter
