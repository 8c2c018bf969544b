"""The fault suite at its CI length: the real services under load on the embedded stack,
killed, cut off from their broker and their SMTP server, then checked from outside
(see suite.py). `bench/soak.py --minutes N` runs the same code for longer."""

import pytest

from .suite import TWICE, Options, Report, run_suite

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return run_suite(
        tmp_path_factory.mktemp("faults") / "var",
        Options(load_s=120.0, drain_s=60.0, kill_every_s=15.0),
    )


def test_the_services_lose_and_double_nothing_under_faults(report):
    assert len(report.days) >= 5, report.text()
    assert report.faults, report.text()
    assert not report.findings, report.text()
    assert report.problems == [], report.text()


def test_a_day_run_twice_at_once_executes_each_step_once(report):
    # Every fifth business day the run is asked twice at once (the daily loop and a command).
    assert [p for p in report.problems if p.startswith(TWICE)] == [], report.text()
