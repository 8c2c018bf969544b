"""What a connection's next run asks an incremental source (Moneybird) for."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from settle_importer.domain.connections import Connection

pytestmark = pytest.mark.unit

MONEYBIRD = Connection(
    administration_id="adm-1",
    id="moneybird",
    name="Moneybird",
    source_kind="moneybird",
    config={"administration_id": "123", "token": "t"},
    schedule="daily",
)
TUESDAY = datetime(2024, 3, 12, 5, 0, tzinfo=UTC)


def test_the_first_run_reads_everything_and_later_ones_what_changed_since_the_last_success():
    assert MONEYBIRD.changed_since() is None
    assert replace(MONEYBIRD, last_success_started_at=TUESDAY).changed_since() == TUESDAY


def test_a_complete_list_is_read_whole_every_time_so_what_it_lacks_can_be_settled():
    complete = replace(MONEYBIRD, complete_list=True, last_success_started_at=TUESDAY)
    assert complete.changed_since() is None
