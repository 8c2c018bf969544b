"""XLSX exports, read row by row (openpyxl's read-only mode) with the same mapping as CSV.

Cells typed in the sheet are taken as they are (numbers as amounts, dates as dates); cells holding
text are parsed with the mapping's formats, as in a CSV file. An XLSX file is a zip archive, so it
passes the archive limits before openpyxl opens it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel

from settle_importer.adapters.sources.archive import ArchiveLimits, check_archive
from settle_importer.adapters.sources.base import EmptySource, UnreadableSource, files_digest
from settle_importer.adapters.sources.mapping import CsvMapping, RowReader
from settle_importer.adapters.sources.values import AmountParser, DateParser
from settle_importer.domain.model import SourceItem
from settle_importer.domain.validation import CENT, RecordRejected

# Spreadsheet arithmetic leaves binary noise (0.1 + 0.2); closer to a cent than this is that cent.
_FLOAT_TOLERANCE = Decimal("0.000001")


class XlsxSource:
    """An XLSX workbook as a ``Connector``: the mapping's sheet, or the first."""

    def __init__(
        self,
        path: Path,
        mapping: CsvMapping | None = None,
        *,
        name: str | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.path = path
        self.mapping = mapping or CsvMapping()
        self.name = name or path.name
        self.limits = limits or ArchiveLimits.for_workbooks()
        problem = check_archive(path, self.limits)
        if problem is not None:
            raise UnreadableSource(f"{self.name} is refused: {problem}")
        header, self._total = self._header_and_total()
        self._header = header
        self._row_reader()  # refuse a sheet that lacks a required column now, not mid-run

    @property
    def header(self) -> tuple[str, ...]:
        """The titles of the header's columns (none without a header)."""
        return tuple(_text(title) for title in self._header or ())

    @property
    def total(self) -> int | None:
        """Data rows according to the sheet's recorded dimensions, when it has them."""
        return self._total

    def content_digest(self) -> str | None:
        # With the header read when the file was opened (see CsvSource.content_digest).
        reading = f"{self.mapping.model_dump_json()} {self.limits!r} {self._header!r}"
        return files_digest("xlsx", reading, [("", self.path)])  # records are told by row

    def records(self) -> Iterator[SourceItem]:
        row_reader = self._row_reader()
        workbook = self._open()
        try:
            header_pending = self._header is not None
            for number, row in enumerate(self._rows(workbook), start=1):
                if not any(_filled(cell) for cell in row):
                    continue
                if header_pending:
                    header_pending = False
                    continue
                yield row_reader.read(row, number)
        finally:
            workbook.close()

    def _row_reader(self) -> RowReader:
        mapping = self.mapping
        text_amount = AmountParser(
            decimal_comma=mapping.decimal_comma, thousands_separator=mapping.thousands_separator
        )
        text_date = DateParser(mapping.date_format)

        def amount_of(cell: Any, what: str) -> Decimal:
            if isinstance(cell, bool):
                raise RecordRejected(f"{what} '{cell}' is not an amount")
            if isinstance(cell, int):
                return Decimal(cell)
            if isinstance(cell, float):
                value = Decimal(repr(cell))
                cents = value.quantize(CENT)
                return cents if abs(value - cents) < _FLOAT_TOLERANCE else value
            if isinstance(cell, datetime | date):
                raise RecordRejected(f"{what} is a date, not an amount")
            return text_amount(_text(cell), what)

        def date_of(cell: Any, what: str) -> date:
            if isinstance(cell, datetime):
                return cell.date()
            if isinstance(cell, date):
                return cell
            if isinstance(cell, int | float) and not isinstance(cell, bool):
                try:
                    return from_excel(cell).date()
                except (ValueError, OverflowError, AttributeError):
                    raise RecordRejected(f"{what} '{cell}' is not a date") from None
            return text_date(_text(cell), what)

        return RowReader(
            mapping,
            self._header,
            source_name=self.name,
            text_of=_text,
            amount_of=amount_of,
            date_of=date_of,
            position="row",
        )

    def _open(self) -> Any:
        try:
            return load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for malformed parts
            raise UnreadableSource(
                f"{self.name} is not a readable XLSX workbook ({error})"
            ) from None

    def _rows(self, workbook: Any) -> Iterator[tuple[Any, ...]]:
        rows = self._sheet(workbook).iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as error:  # hostile or corrupt sheet XML, refused by defusedxml
                raise UnreadableSource(
                    f"{self.name} has a sheet that cannot be read safely ({error!r})"
                ) from None
            yield row

    def _sheet(self, workbook: Any) -> Any:
        if self.mapping.sheet is None:
            return workbook.worksheets[0]
        if self.mapping.sheet not in workbook.sheetnames:
            raise UnreadableSource(
                f"{self.name} has no sheet '{self.mapping.sheet}'; it has "
                + ", ".join(repr(n) for n in workbook.sheetnames)
            )
        return workbook[self.mapping.sheet]

    def _header_and_total(self) -> tuple[list[str] | None, int | None]:
        workbook = self._open()
        try:
            sheet = self._sheet(workbook)
            first = None
            for row in self._rows(workbook):
                if any(_filled(cell) for cell in row):
                    first = row
                    break
            if first is None:
                raise EmptySource(self.name)
            max_row = sheet.max_row
        finally:
            workbook.close()
        if not self.mapping.has_header:
            return None, max_row
        header = [_text(cell) for cell in first]
        return header, None if max_row is None else max(max_row - 1, 0)


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)
