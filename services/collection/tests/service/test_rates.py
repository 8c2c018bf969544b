"""The statutory rate table as an operator keeps it: `settle collection rates show`, `add` a
newly published rate, `load` a whole table; a table with a gap or an overlap is refused at load
and the table stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from settle_collection.app import SERVICE
from settle_shared.migrations import upgrade

pytestmark = pytest.mark.service


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'collection.db'}"
    upgrade(SERVICE.migrations_dir, url)
    monkeypatch.setenv("SETTLE_COLLECTION_DATABASE_URL", url)
    return url


def settle(*arguments: str) -> tuple[int, str]:
    assert SERVICE.cli is not None
    result = CliRunner().invoke(SERVICE.cli, list(arguments))
    return result.exit_code, result.output


def test_the_published_history_is_loaded_and_shown(database: str) -> None:
    code, shown = settle("rates", "show")
    assert code == 0
    lines = shown.splitlines()
    assert lines[0] == "kind,valid_from,valid_until,rate_percent,confirmed,source"
    assert any(line.startswith("consumer,2015-01-01,2022-12-31,2,true,") for line in lines)
    assert any(line.startswith("commercial,2023-07-01,2023-12-31,12,true,") for line in lines)


def test_an_operator_adds_the_next_rate_and_a_gap_is_refused(database: str) -> None:
    added = settle(
        "rates", "add", "--kind", "consumer", "--from", "2025-07-01", "--rate", "4",
        "--source", "Stb. 2025, 999",
    )  # fmt: skip
    assert added[0] == 0, added[1]
    assert 'consumer,2025-07-01,,4,true,"Stb. 2025, 999"' in settle("rates", "show")[1]

    # The next one closes the open period the day before it begins.
    settle(
        "rates", "add", "--kind", "consumer", "--from", "2026-03-01", "--until", "2026-06-30",
        "--rate", "3", "--source", "Stb. 2026, 1",
    )  # fmt: skip
    assert "consumer,2025-07-01,2026-02-28,4" in settle("rates", "show")[1]
    gap = settle(
        "rates", "add", "--kind", "consumer", "--from", "2026-09-01", "--rate", "3",
        "--source", "x",
    )  # fmt: skip
    assert gap[0] == 1
    assert "a gap from 2026-07-01 to 2026-08-31" in gap[1]


def test_a_table_with_a_gap_or_an_overlap_is_refused_whole(database: str, tmp_path: Path) -> None:
    before = settle("rates", "show")[1]
    broken = tmp_path / "rates.csv"
    broken.write_text(
        "kind,valid_from,valid_until,rate_percent,confirmed,source\n"
        "consumer,2020-01-01,2020-06-30,2,true,a\n"
        "consumer,2020-08-01,,3,true,b\n"
        "commercial,2020-01-01,2020-12-31,8,true,c\n"
        "commercial,2020-12-01,,8,true,d\n"
    )

    code, output = settle("rates", "load", str(broken))

    assert code == 1
    assert "consumer: a gap from 2020-07-01 to 2020-07-31" in output
    assert "commercial: 2020-12-01 overlaps the period 2020-01-01 to 2020-12-31" in output
    assert settle("rates", "show")[1] == before
