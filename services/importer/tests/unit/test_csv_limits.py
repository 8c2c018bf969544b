"""A hostile CSV line (tens of megabytes, or a million fields) is rejected before it is split:
the importer's memory stays bounded and the lines around it are read."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from settle_importer.adapters.sources import CsvMapping, CsvSource, LineLimits, SourceError
from settle_importer.domain import RejectedRecord, SourceRecord

pytestmark = pytest.mark.unit

HEADER = "Factuurnummer;Debiteurnummer;Naam;Factuurdatum;Vervaldatum;Bedrag;Openstaand\n"
ROW = "2024-{n:03d};D100;Bakkerij Jansen;01-03-2024;31-03-2024;1.234,56;1.000,00\n"
_MIB = 1 << 20


def _write(path: Path, middle: bytes) -> Path:
    with path.open("wb") as file:
        file.write((HEADER + ROW.format(n=1)).encode())
        file.write(middle)
        file.write(ROW.format(n=2).encode())
    return path


def test_a_twenty_mib_line_of_delimiters_is_rejected_in_bounded_memory(tmp_path: Path):
    path = _write(tmp_path / "lang.csv", b";" * (20 * _MIB) + b"\n")
    tracemalloc.start()
    try:
        items = list(CsvSource(path, CsvMapping.dutch()).records())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * _MIB, f"{peak / _MIB:.1f} MiB"
    rejected = [item for item in items if isinstance(item, RejectedRecord)]
    assert [(r.position, r.reason) for r in rejected] == [
        ("line 3", "the line is longer than the 1,048,576 characters accepted")
    ]
    numbers = [item.invoice.number for item in items if isinstance(item, SourceRecord)]
    assert numbers == ["2024-001", "2024-002"]


def test_a_line_of_too_many_fields_is_rejected_before_it_is_split(tmp_path: Path):
    path = _write(tmp_path / "breed.csv", b"x;" * 5_000 + b"\n")
    items = list(CsvSource(path, CsvMapping.dutch(), limits=LineLimits(max_fields=100)).records())
    rejected = [item for item in items if isinstance(item, RejectedRecord)]
    assert [(r.position, r.reason) for r in rejected] == [
        ("line 3", "the line has 5,001 fields, more than the 100 accepted")
    ]
    assert sum(isinstance(item, SourceRecord) for item in items) == 2


def test_a_header_over_the_limits_refuses_the_file(tmp_path: Path):
    wide = tmp_path / "kop.csv"
    wide.write_text(HEADER.rstrip("\n") + ";x" * 200 + "\n" + ROW.format(n=1))
    with pytest.raises(SourceError, match="header line has 207 fields, more than the 100"):
        CsvSource(wide, CsvMapping.dutch(), limits=LineLimits(max_fields=100))
    long = tmp_path / "lang.csv"
    long.write_text(HEADER.rstrip("\n") + ";" + "x" * 5_000 + "\n" + ROW.format(n=1))
    with pytest.raises(SourceError, match="first line is longer than the 2,000 characters"):
        CsvSource(long, CsvMapping.dutch(), limits=LineLimits(max_chars=2_000))


def test_a_quote_left_open_cannot_gather_lines_without_limit(tmp_path: Path):
    path = _write(tmp_path / "open.csv", b'2024-003;"' + b"x;x\n" * 2_000)
    source = CsvSource(path, CsvMapping.dutch(), limits=LineLimits(max_chars=4_000))
    with pytest.raises(SourceError, match="is a quote left open"):
        list(source.records())
