from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from settle_shared.kafka import ensure_topics

LEDGER = Path(__file__).with_name("ledger_app.py")


@pytest.fixture
async def ledger_topic(kafka_bootstrap: str, unique_topic: str) -> str:
    await ensure_topics(kafka_bootstrap, [unique_topic, f"{unique_topic}.dlt"], partitions=4)
    return unique_topic


@pytest.fixture
def ledger_db(pg_database: str) -> str:
    result = subprocess.run(
        [sys.executable, str(LEDGER), "schema", "--db", pg_database],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return pg_database
