from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from settle_importer.adapters.sources import (
    CsvMapping,
    CsvSource,
    EmptySource,
    MissingColumns,
    UndecodableSource,
    UnreadableSource,
    source_for_file,
)
from settle_importer.domain import RejectedRecord, SourceItem, SourceRecord

pytestmark = pytest.mark.unit

WriteCsv = Callable[..., Path]

DUTCH_HEADER = "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand;E-mail"
DUTCH_ROW = "2024-001;D100;Bakkerij Jansen;01-03-2024;31-03-2024;1.234,56;1.000,00;info@jansen.nl"
DEFAULT_HEADER = "invoice_number,debtor_number,debtor_name,invoice_date,due_date,amount,open_amount"


def dutch(*rows: str, header: str = DUTCH_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def read(path: Path, mapping: CsvMapping | None = None) -> list[SourceItem]:
    return list(CsvSource(path, mapping).records())


def rejected(items: list[SourceItem]) -> list[RejectedRecord]:
    return [item for item in items if isinstance(item, RejectedRecord)]


def test_a_dutch_export(write_csv: WriteCsv) -> None:
    [record] = read(write_csv(dutch(DUTCH_ROW)), CsvMapping.dutch())

    assert isinstance(record, SourceRecord)
    assert record.position == "line 2"
    invoice = record.invoice
    assert (invoice.number, invoice.debtor_number) == ("2024-001", "D100")
    assert (invoice.invoice_date, invoice.due_date) == (date(2024, 3, 1), date(2024, 3, 31))
    assert (invoice.amount, invoice.open_amount) == (Decimal("1234.56"), Decimal("1000.00"))
    assert invoice.currency == "EUR"
    assert record.debtor is not None
    assert record.debtor.name == "Bakkerij Jansen"
    assert record.debtor.emails == ("info@jansen.nl",)


def test_the_default_mapping(write_csv: WriteCsv) -> None:
    content = (
        DEFAULT_HEADER + ",currency,kind,debtor_email,debtor_country\n"
        "A1,D1,Jansen,2024-03-01,2024-03-31,100.00,40.00,EUR,invoice,a@j.nl;b@j.nl,NL\n"
        'A2,D1,Jansen,2024-03-02,2024-03-02,"50.00","50.00",EUR,creditnota,a@j.nl;b@j.nl,NL\n'
    )

    items = read(write_csv(content))

    assert all(isinstance(item, SourceRecord) for item in items)
    first, credit = (item.invoice for item in items if isinstance(item, SourceRecord))
    assert first.open_amount == Decimal("40.00")
    assert (credit.kind, credit.amount) == ("credit_note", Decimal("-50.00"))
    assert items[0].debtor is not None and items[0].debtor.emails == ("a@j.nl", "b@j.nl")


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_detected(write_csv: WriteCsv, delimiter: str) -> None:
    header = DEFAULT_HEADER.replace(",", delimiter)
    row = delimiter.join(["A1", "D1", "Jansen", "2024-03-01", "2024-03-31", "100", "100"])
    source = CsvSource(write_csv(f"{header}\n{row}\n"))

    assert source.delimiter == delimiter
    assert [type(item) for item in source.records()] == [SourceRecord]


def test_a_byte_order_mark_is_not_part_of_the_first_column(write_csv: WriteCsv) -> None:
    path = write_csv(dutch(DUTCH_ROW), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    [record] = read(path, CsvMapping.dutch())

    assert isinstance(record, SourceRecord)
    assert record.invoice.number == "2024-001"


def test_utf16_with_byte_order_mark(write_csv: WriteCsv) -> None:
    [record] = read(write_csv(dutch(DUTCH_ROW), encoding="utf-16"), CsvMapping.dutch())

    assert isinstance(record, SourceRecord)


def test_wrong_encoding_names_the_encoding_and_byte_position(write_csv: WriteCsv) -> None:
    content = dutch(DUTCH_ROW.replace("Bakkerij Jansen", "Café Flörin"))
    path = write_csv(content, encoding="cp1252")
    position = content.encode("cp1252").index("é".encode("cp1252"))

    with pytest.raises(UndecodableSource) as caught:
        CsvSource(path, CsvMapping.dutch())

    assert caught.value.byte_offset == position
    assert caught.value.line == 2
    assert f"is not valid utf-8: the byte at position {position} (line 2)" in str(caught.value)


def test_a_configured_fallback_encoding_is_used(write_csv: WriteCsv) -> None:
    content = dutch(DUTCH_ROW.replace("Bakkerij Jansen", "Café Flörin"))
    mapping = CsvMapping.dutch(fallback_encoding="cp1252")

    source = CsvSource(write_csv(content, encoding="cp1252"), mapping)
    [record] = list(source.records())

    assert source.encoding == "cp1252"
    assert isinstance(record, SourceRecord)
    assert record.debtor is not None and record.debtor.name == "Café Flörin"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\n  \r\n"])
def test_an_empty_file_is_refused(write_csv: WriteCsv, content: bytes) -> None:
    with pytest.raises(EmptySource, match=r"export\.csv is empty"):
        CsvSource(write_csv(content))


def test_a_header_without_rows_has_no_records(write_csv: WriteCsv) -> None:
    assert read(write_csv(dutch()), CsvMapping.dutch()) == []


def test_a_missing_required_column_fails_the_file_before_reading(write_csv: WriteCsv) -> None:
    with pytest.raises(MissingColumns) as caught:
        CsvSource(write_csv(dutch(DUTCH_ROW).replace("Vervaldatum", "Due")), CsvMapping.dutch())

    assert caught.value.missing == ("Vervaldatum",)
    assert "'Due'" in str(caught.value)


def test_wrong_column_count_rejects_that_row_with_its_line(write_csv: WriteCsv) -> None:
    short = "2024-002;D100;Bakkerij Jansen;01-03-2024"
    long = DUTCH_ROW.replace("2024-001", "2024-003") + ";extra"
    path = write_csv(dutch(DUTCH_ROW, short, long, DUTCH_ROW.replace("2024-001", "2024-004")))

    items = read(path, CsvMapping.dutch())

    assert [type(item).__name__ for item in items] == [
        "SourceRecord",
        "RejectedRecord",
        "RejectedRecord",
        "SourceRecord",
    ]
    first, second = rejected(items)
    assert (first.position, first.reference) == ("line 3", "2024-002")
    assert first.reason == "the line has 4 columns where 8 were expected (delimiter ';')"
    assert (second.position, second.reference) == ("line 4", "2024-003")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (DUTCH_ROW.replace("1.234,56", "1.234,5x"), "amount '1.234,5x' is not an amount"),
        (DUTCH_ROW.replace("1.000,00", "1000.00"), "open amount '1000.00' is not an amount"),
        (DUTCH_ROW.replace("01-03-2024", "2024-03-01"), "invoice date '2024-03-01' is not a valid"),
        (DUTCH_ROW.replace("31-03-2024", "31-02-2024"), "due date '31-02-2024' is not a valid"),
        (DUTCH_ROW.replace("31-03-2024", "01-02-2024"), "due date 2024-02-01 is before"),
        (DUTCH_ROW.replace("1.000,00", "-5,00").replace("1.234,56", "-5,00"), None),
    ],
)
def test_an_unreadable_value_rejects_only_its_row(
    write_csv: WriteCsv, row: str, reason: str | None
) -> None:
    items = read(write_csv(dutch(row, DUTCH_ROW.replace("2024-001", "X"))), CsvMapping.dutch())

    if reason is None:  # a negative amount without a kind column: a credit note
        assert all(isinstance(item, SourceRecord) for item in items)
        return
    [bad] = rejected(items)
    assert bad.position == "line 2"
    assert bad.reference == "2024-001"
    assert bad.reason.startswith(reason)
    assert isinstance(items[1], SourceRecord)


def test_negative_invoice_with_a_kind_column_is_rejected(write_csv: WriteCsv) -> None:
    header = DUTCH_HEADER + ";Soort"
    row = DUTCH_ROW.replace("1.234,56", "-50,00").replace("1.000,00", "-50,00") + ";factuur"

    [bad] = read(write_csv(dutch(row, header=header)), CsvMapping.dutch())

    assert isinstance(bad, RejectedRecord)
    assert "negative" in bad.reason


def test_absurd_amount_is_rejected(write_csv: WriteCsv) -> None:
    row = DUTCH_ROW.replace("1.234,56", "12.000.000.000,00")

    [bad] = read(write_csv(dutch(row)), CsvMapping.dutch())

    assert isinstance(bad, RejectedRecord)
    assert "implausibly large" in bad.reason


def test_quoted_values_blank_lines_and_trailing_delimiters(write_csv: WriteCsv) -> None:
    content = (
        DUTCH_HEADER + ";\n"
        '"2024-001";"D100";"Jansen; Zonen";01-03-2024;31-03-2024;"1.234,56";0;;\n'
        "\n"
        ";;;;;;;;\n"
        "2024-002;D100;Jansen;01-03-2024;31-03-2024;10;10;\n"
    )

    items = read(write_csv(content), CsvMapping.dutch())

    assert [item.position for item in items if isinstance(item, SourceRecord)] == [
        "line 2",
        "line 5",
    ]
    first = items[0]
    assert isinstance(first, SourceRecord) and first.debtor is not None
    assert first.debtor.name == "Jansen; Zonen"


def test_without_a_header_columns_are_positions(write_csv: WriteCsv) -> None:
    mapping = CsvMapping(
        invoice_number=0,
        debtor_number=1,
        invoice_date=2,
        due_date=3,
        amount=4,
        open_amount=None,
        currency=None,
        payment_condition=None,
        kind=None,
        pdf_url=None,
        debtor_name=None,
        debtor_type=None,
        debtor_emails=None,
        debtor_phone=None,
        debtor_address_lines=(),
        debtor_postal_code=None,
        debtor_city=None,
        debtor_country=None,
        debtor_language=None,
        has_header=False,
    )

    [record] = read(write_csv("A1,D1,2024-03-01,2024-03-31,99.95\n"), mapping)

    assert isinstance(record, SourceRecord)
    assert (record.position, record.invoice.open_amount) == ("line 1", Decimal("99.95"))
    assert record.debtor is None


def test_a_mapping_without_header_must_use_positions() -> None:
    with pytest.raises(ValidationError, match="0-based positions"):
        CsvMapping(has_header=False)


def test_an_unclosed_quote_is_a_rejected_row_not_a_failed_file(write_csv: WriteCsv) -> None:
    broken = '2024-002;D100;"Jansen;01-03-2024;31-03-2024;10;10;x@y.nl'

    items = read(write_csv(dutch(DUTCH_ROW, broken, DUTCH_ROW)), CsvMapping.dutch())

    assert isinstance(items[0], SourceRecord)
    assert [(r.position, r.reference) for r in rejected(items)] == [("line 3", "2024-002")]


def test_total_counts_data_lines_for_progress(write_csv: WriteCsv) -> None:
    path = write_csv(dutch(DUTCH_ROW, DUTCH_ROW.replace("2024-001", "2024-002")))

    assert CsvSource(path, CsvMapping.dutch()).total == 2


def test_source_for_file_picks_the_connector(write_csv: WriteCsv, tmp_path: Path) -> None:
    assert isinstance(source_for_file(write_csv(dutch(DUTCH_ROW)), CsvMapping.dutch()), CsvSource)
    with pytest.raises(UnreadableSource, match=r"'\.pdf' are not imported"):
        source_for_file(tmp_path / "invoice.pdf")
