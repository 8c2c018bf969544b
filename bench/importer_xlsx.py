"""XLSX readers side by side: openpyxl (read-only mode) against python-calamine.

    .venv/bin/python bench/importer_xlsx.py [ROWS ...]          (default: 100000)

For each size it writes a sheet of ROWS rows of 27 cells (shared strings, numbers, dates as
serial numbers) with no ``<dimension>`` element, as exports without one are the slow case, and
reads every row with each reader in a fresh process, printing the time to the first row (from
importing the reader on), the total time and the process's peak memory. python-calamine is
measured when it is installed (it is not a dependency of the importer: install it into a
separate environment to compare, e.g. `uv pip install python-calamine openpyxl==3.1.5`); figures
are printed, not asserted.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

COLUMNS = 27
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Openstaand" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def write_sheet(path: Path, rows: int) -> None:
    """A workbook of ``rows`` data rows under a header, with no ``<dimension>``."""
    chance = random.Random(1)
    letters = [_column(i) for i in range(COLUMNS)]
    strings: dict[str, int] = {}

    def shared(text: str) -> int:
        return strings.setdefault(text, len(strings))

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            header = [f"Kolom {i}" for i in range(COLUMNS)]
            header[:4] = ["Factuurnummer", "Debiteurnummer", "Naam", "Bedrag"]
            for number in range(rows + 1):
                cells = []
                for i, letter in enumerate(letters):
                    ref = f"{letter}{number + 1}"
                    if number == 0:
                        cells.append(f'<c r="{ref}" t="s"><v>{shared(header[i])}</v></c>')
                    elif i in (0, 2) or i % 3 == 0:
                        text = f"2025-{number:07d}" if i == 0 else f"Debiteur {number % 5000} {i}"
                        cells.append(f'<c r="{ref}" t="s"><v>{shared(text)}</v></c>')
                    elif i % 3 == 1:
                        cells.append(f'<c r="{ref}"><v>{chance.randint(100, 999999) / 100}</v></c>')
                    else:
                        cells.append(f'<c r="{ref}"><v>{45000 + number % 700}</v></c>')
                row = f'<row r="{number + 1}">{"".join(cells)}</row>'
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
        table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        book.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{table}</sst>',
        )


def measure(reader: str, path: Path) -> None:
    """Read every row of the first sheet with ``reader``; print the figures (child process)."""
    start = time.perf_counter()
    first = None
    rows = 0
    if reader == "openpyxl":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        for _ in book.worksheets[0].iter_rows(values_only=True):
            first = first or time.perf_counter()
            rows += 1
        book.close()
    else:
        from python_calamine import CalamineWorkbook

        calamine = CalamineWorkbook.from_path(str(path))
        for _ in calamine.get_sheet_by_index(0).iter_rows():
            first = first or time.perf_counter()
            rows += 1
        calamine.close()
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    to_first = (first or time.perf_counter()) - start
    print(
        f"{reader:>9} {rows - 1:>9,} rows  first row {to_first:7.2f} s  all {total:7.2f} s  "
        f"{(rows - 1) / total:>9,.0f} rows/s  peak {peak:7.0f} MiB",
        flush=True,
    )


def main(sizes: list[int]) -> None:
    try:
        import python_calamine  # noqa: F401

        readers = ["openpyxl", "calamine"]
    except ImportError:
        readers = ["openpyxl"]
        print("python-calamine is not installed: openpyxl only")
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            path = Path(folder) / f"export-{rows}.xlsx"
            write_sheet(path, rows)
            size = path.stat().st_size / (1 << 20)
            print(f"{rows:,} rows x {COLUMNS} cells, no <dimension>: {size:.1f} MiB", flush=True)
            for reader in readers:
                command = [sys.executable, __file__, "--measure", reader, str(path)]
                subprocess.run(command, check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], Path(sys.argv[3]))
    else:
        main([int(arg) for arg in sys.argv[1:]] or [100_000])
