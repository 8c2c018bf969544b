"""Importer domain benchmark: CSV parsing and reconciliation, without database or broker.

    .venv/bin/python bench/importer_parse.py [ROWS ...]

For each size it writes a Dutch-format CSV (one debtor per five invoices) to a temporary folder
and runs, each in a fresh process so peak memory is per measurement:

- parse: read every record;
- first import: parse and reconcile against an empty in-memory snapshot, applying the facts;
- second import: the same file again against the filled snapshot (no facts expected).

Figures are printed, not asserted: they depend on the machine.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

HEADER = (
    "Factuurnummer;Debiteurnummer;Naam;Type;E-mail;Telefoon;Adres;Postcode;Plaats;Land;"
    "Factuurdatum;Vervaldatum;Bedrag;Openstaand;Valuta;Betalingsconditie\n"
)


def dutch_amount(cents: int) -> str:
    return f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"


def write_export(path: Path, rows: int) -> None:
    chance = random.Random(1)
    first_day = date(2024, 1, 1)
    debtors = max(rows // 5, 1)
    with path.open("w", encoding="utf-8", newline="") as export:
        export.write(HEADER)
        for n in range(rows):
            d = n % debtors
            invoice_date = first_day + timedelta(days=n % 365)
            due_date = invoice_date + timedelta(days=30)
            amount = chance.randint(100, 10_000_000)
            open_amount = amount if n % 3 else amount // 2
            export.write(
                f"F{n:07d};D{d:06d};Debiteur {d} B.V.;zakelijk;debiteur{d}@example.nl;"
                f"020-{d:07d};Straat {d};1234 AB;Amsterdam;NL;{invoice_date:%d-%m-%Y};"
                f"{due_date:%d-%m-%Y};{dutch_amount(amount)};{dutch_amount(open_amount)};EUR;"
                "30 dagen\n"
            )


def measure(mode: str, path: Path) -> None:
    from settle_importer.adapters.sources import CsvMapping, CsvSource

    sys.path.insert(0, str(Path(__file__).parents[1] / "services/importer/tests/unit"))
    from fakes import InMemorySnapshot, reconcile_stream  # the in-memory snapshot of the tests

    snapshot = InMemorySnapshot()
    if mode == "second":
        for outcome in reconcile_stream(
            CsvSource(path, CsvMapping.dutch()).records(), snapshot, complete=True
        ):
            snapshot.apply(outcome)
    started = time.perf_counter()
    source = CsvSource(path, CsvMapping.dutch())
    facts = 0
    if mode == "parse":
        for _ in source.records():
            pass
    else:
        for outcome in reconcile_stream(source.records(), snapshot, complete=True):
            facts += len(outcome.facts)
            snapshot.apply(outcome)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{mode:>6}: {source.total:>9,} rows in {seconds:6.2f} s = "
        f"{source.total / seconds:>8,.0f} rows/s, {facts:>7,} facts, peak RSS {peak:5.0f} MiB"
    )


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            path = Path(folder) / f"{rows}.csv"
            write_export(path, rows)
            size = path.stat().st_size / 1024 / 1024
            print(f"{rows:,} rows, {size:.0f} MiB")
            for mode in ("parse", "first", "second"):
                command = [sys.executable, __file__, "--measure", mode, str(path)]
                subprocess.run(command, check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2], Path(sys.argv[3]))
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000])
