"""A zip of exports and documents: each member by its kind, within the archive's limits."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from settle_importer.adapters.sources import ArchiveLimits, CsvMapping, ZipSource
from settle_importer.domain.model import RejectedRecord, SourceRecord

pytestmark = pytest.mark.unit

DUTCH = (
    "Factuurnummer;Debiteurnummer;Factuurdatum;Vervaldatum;Bedrag\n"
    "2025-001;D1;01-03-2025;31-03-2025;1.210,00\n"
    "2025-002;D1;05-03-2025;04-04-2025;242,00\n"
)


def zip_of(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def reasons(source: ZipSource) -> dict[str, str]:
    return {r.position: r.reason for r in source.records() if isinstance(r, RejectedRecord)}


def test_rows_are_placed_in_their_member(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "export.zip", {"maart/a.csv": DUTCH, "leesmij.txt": "hallo"})

    items = list(ZipSource(archive).records())

    assert [(i.position, i.invoice.number) for i in items if isinstance(i, SourceRecord)] == [
        ("export.zip/maart/a.csv line 2", "2025-001"),
        ("export.zip/maart/a.csv line 3", "2025-002"),
    ]
    [skipped] = [i for i in items if isinstance(i, RejectedRecord)]
    assert skipped.position == "export.zip/leesmij.txt"
    assert skipped.reason.startswith("skipped: not an XML document or a CSV or XLSX export")


def test_an_export_larger_than_allowed_is_refused_and_the_rest_read(tmp_path: Path) -> None:
    big = DUTCH + "".join(f"2025-{n:03};D1;01-03-2025;31-03-2025;1,00\n" for n in range(3, 99))
    archive = zip_of(tmp_path / "export.zip", {"groot.csv": big, "klein.csv": DUTCH})
    limits = replace(ArchiveLimits(), max_export_bytes=len(DUTCH.encode()) + 10)

    source = ZipSource(archive, CsvMapping.dutch(), limits=limits)

    assert "allowed for one file in an archive" in reasons(source)["export.zip/groot.csv"]
    assert sum(isinstance(i, SourceRecord) for i in source.records()) == 2


def test_an_export_that_breaks_off_keeps_its_rows_and_is_rejected(tmp_path: Path) -> None:
    # A quote left open: the lines after it run together past the limit of one record.
    broken = DUTCH + '2025-003;"D1;01-03-2025;31-03-2025;1,00\n' + "x;y\n" * 2_000
    later = DUTCH.replace("2025-00", "2025-10")
    archive = zip_of(tmp_path / "export.zip", {"a.csv": broken, "b.csv": later})
    source = ZipSource(archive, CsvMapping.dutch())

    items = list(source.records())

    numbers = [i.invoice.number for i in items if isinstance(i, SourceRecord)]
    assert numbers == ["2025-001", "2025-002", "2025-101", "2025-102"]
    [rejected] = [i for i in items if isinstance(i, RejectedRecord)]
    assert rejected.position == "export.zip/a.csv"
    assert "is a quote left open?" in rejected.reason


def test_the_total_is_known_for_documents_only(
    tmp_path: Path, data_file: Callable[[str], Path]
) -> None:
    peppol = data_file("base-example.xml").read_bytes()
    documents = zip_of(tmp_path / "ubl.zip", {"a.xml": peppol, "b.xml": peppol})
    mixed = zip_of(tmp_path / "mixed.zip", {"a.xml": peppol, "b.csv": DUTCH})

    assert ZipSource(documents).total == 2
    assert ZipSource(mixed).total is None
    assert len([i for i in ZipSource(mixed).records() if isinstance(i, SourceRecord)]) == 3


def test_the_digest_follows_the_mapping_and_the_name(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "export.zip", {"a.csv": DUTCH})

    digest = ZipSource(archive, CsvMapping.dutch()).content_digest()

    assert digest == ZipSource(archive, CsvMapping.dutch()).content_digest()
    assert digest != ZipSource(archive, CsvMapping.dutch(amount="Totaal")).content_digest()
    assert digest != ZipSource(archive, None).content_digest()
    assert digest != ZipSource(archive, CsvMapping.dutch(), name="b.zip").content_digest()
