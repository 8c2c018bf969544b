from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl import Workbook

from settle_importer.adapters.sources import (
    CsvMapping,
    EmptySource,
    MissingColumns,
    UnreadableSource,
    XlsxSource,
    source_for_file,
)
from settle_importer.domain import RejectedRecord, SourceRecord

pytestmark = pytest.mark.unit

HEADER = [
    "invoice_number",
    "debtor_number",
    "debtor_name",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
]


def workbook(path: Path, *rows: list[Any], header: list[str] | None = None) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Openstaande posten"
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_typed_cells_are_read_as_they_are(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "open.xlsx",
        [1001, "D1", "Jansen", datetime(2024, 3, 1), date(2024, 3, 31), 1234.56, 0.1 + 0.2],
        [1002, "D1", "Jansen", datetime(2024, 3, 1), datetime(2024, 3, 31), 10, 10],
    )

    source = XlsxSource(path)
    first, second = source.records()

    assert isinstance(first, SourceRecord) and isinstance(second, SourceRecord)
    assert first.position == "row 2"
    assert first.invoice.number == "1001"
    assert first.invoice.invoice_date == date(2024, 3, 1)
    assert (first.invoice.amount, first.invoice.open_amount) == (
        Decimal("1234.56"),
        Decimal("0.30"),
    )
    assert second.invoice.amount == Decimal("10.00")
    assert source.total == 2


def test_text_cells_follow_the_mapping_formats(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "open.xlsx",
        ["2024-001", "D1", "Jansen", "01-03-2024", "31-03-2024", "1.234,56", "1.234,56"],
        ["2024-002", "D1", "Jansen", "01-03-2024", "31-03-2024", "12.5", "12.5"],
    )
    mapping = CsvMapping(date_format="%d-%m-%Y", decimal_comma=True, thousands_separator=".")

    good, bad = XlsxSource(path, mapping).records()

    assert isinstance(good, SourceRecord) and good.invoice.amount == Decimal("1234.56")
    assert isinstance(bad, RejectedRecord)
    assert (bad.position, bad.reference) == ("row 3", "2024-002")
    assert "'12.5' is not an amount like 1.234,56" in bad.reason


def test_a_float_with_more_than_cents_is_rejected(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "open.xlsx", ["A", "D1", "Jansen", date(2024, 3, 1), date(2024, 3, 1), 1.005, 1]
    )

    [bad] = XlsxSource(path).records()

    assert isinstance(bad, RejectedRecord) and "more than two decimals" in bad.reason


def test_missing_column_and_empty_sheet_fail_the_file(tmp_path: Path) -> None:
    with pytest.raises(MissingColumns):
        XlsxSource(workbook(tmp_path / "a.xlsx", header=HEADER[:-2]))

    empty = Workbook()
    empty.save(tmp_path / "empty.xlsx")
    with pytest.raises(EmptySource):
        XlsxSource(tmp_path / "empty.xlsx")


def test_a_named_sheet_that_does_not_exist(tmp_path: Path) -> None:
    path = workbook(tmp_path / "open.xlsx")

    with pytest.raises(UnreadableSource, match=r"has no sheet 'Blad1'.*'Openstaande posten'"):
        XlsxSource(path, CsvMapping(sheet="Blad1"))


def test_a_file_that_is_not_a_workbook(tmp_path: Path) -> None:
    fake = tmp_path / "export.xlsx"
    fake.write_text("invoice_number;amount\n1;2\n")

    with pytest.raises(UnreadableSource, match="not a zip-based file"):
        XlsxSource(fake)


def test_a_zip_bomb_posing_as_a_workbook_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            for _ in range(20):
                member.write(b"\0" * (1024 * 1024))

    with pytest.raises(UnreadableSource, match=r"compressed .*:1, more than 200:1"):
        source_for_file(bomb)


def test_a_workbook_with_entities_in_its_sheet_is_refused(tmp_path: Path) -> None:
    plain = workbook(
        tmp_path / "plain.xlsx", ["A", "D1", "J", date(2024, 3, 1), date(2024, 3, 1), 1, 1]
    )
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + content
            target.writestr(item, content)

    assert openpyxl.DEFUSEDXML  # openpyxl parses every part with defusedxml
    with pytest.raises(UnreadableSource, match=r"hostile\.xlsx"):
        list(XlsxSource(hostile).records())
