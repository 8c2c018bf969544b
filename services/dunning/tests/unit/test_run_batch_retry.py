"""A batch of the daily run that PostgreSQL aborts to break a deadlock (with a consumer
re-planning a debtor's invoices at the same moment) is run again instead of failing the run;
any other error fails it at once."""

from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from settle_dunning.application import daily_run

pytestmark = pytest.mark.unit


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def aborted(sqlstate: str) -> DBAPIError:
    return DBAPIError("SELECT … FOR UPDATE", {}, PgError(sqlstate))


async def run_batch_failing(monkeypatch: pytest.MonkeyPatch, errors: list[Exception]) -> Any:
    calls: list[int] = []

    async def once(*_: Any) -> tuple[int, int, int]:
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return (3, 2, 7)

    monkeypatch.setattr(daily_run, "_run_batch_once", once)
    result = await daily_run._run_batch(None, _Administration(), {}, None, ["i1"])  # type: ignore[arg-type]
    return result, len(calls)


class _Administration:
    id = "acme"


async def test_a_batch_aborted_for_a_deadlock_is_run_again(monkeypatch):
    result, calls = await run_batch_failing(monkeypatch, [aborted("40P01"), aborted("40001")])
    assert result == (3, 2, 7)
    assert calls == 3


async def test_a_batch_aborted_three_times_fails_the_run(monkeypatch):
    with pytest.raises(DBAPIError):
        await run_batch_failing(monkeypatch, [aborted("40P01")] * 3)


async def test_any_other_database_error_fails_the_run_at_once(monkeypatch):
    errors: list[Exception] = [aborted("23505")]  # unique_violation: a fault, not a race
    with pytest.raises(DBAPIError):
        await run_batch_failing(monkeypatch, errors)
    assert errors == []
