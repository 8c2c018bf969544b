"""What a hostile file must not do to the importer: fill its stored runs with megabytes of error
text, take the whole of a zip down with one bad member, or lock an administration out after a
run whose owner went away."""

from __future__ import annotations

import pytest

from .conftest import DUTCH_HEADER, Importer

pytestmark = pytest.mark.service


async def test_a_header_of_long_columns_fails_the_run_with_a_bounded_error(
    importer: Importer,
):
    header = ";".join(f"kolom{i}-" + "x" * 100 for i in range(900)) + "\n"
    run = await importer.import_file("breed.csv", header.encode() + b"1;2;3\n")
    assert run["status"] == "failed"
    assert "lacks the column" in run["error"]
    assert len(run["error"]) == 1_000 and run["error"].endswith("…")
    page = await importer.client.get("/internal/v1/administrations/adm-1/runs")
    assert all(len(listed["error"] or "") <= 1_000 for listed in page.json()["runs"])


async def test_a_rejected_record_keeps_a_bounded_reason(importer: Importer):
    long_amount = "9" * 50_000
    content = DUTCH_HEADER + (
        f"2025-001;D1;Jansen;zakelijk;j@jansen.example;01-03-2025;31-03-2025;{long_amount};"
        "1,00;EUR\n"
    )
    run = await importer.import_file("lang.csv", content.encode())
    assert run["counts"]["rejected"] == 1, run
    (rejected,) = run["rejected"]
    assert len(rejected["reason"]) <= 1_000
