"""The fault suite at its CI length: the real services under load on the embedded stack,
killed, cut off from their broker and their SMTP server, then checked from outside
(see suite.py). `bench/soak.py --minutes N` runs the same code for longer."""

import pytest

from .suite import Options, run_suite

pytestmark = pytest.mark.e2e


def test_the_services_lose_and_double_nothing_under_faults(tmp_path):
    report = run_suite(tmp_path / "var", Options(load_s=150.0, drain_s=60.0, kill_every_s=15.0))
    assert len(report.days) >= 5, report.text()
    assert report.faults, report.text()
    assert not report.findings and not report.problems, report.text()
