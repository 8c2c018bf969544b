"""Every test is in a layer, so `pytest -m unit` (or service, integration, e2e) selects it."""

from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT_CONFTEST = Path(__file__).parents[1] / "conftest.py"
MARKERS = """
[pytest]
markers =
    unit: u
    service: s
    integration: i
    e2e: e
"""


def test_a_test_without_a_layer_marker_fails_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makeini(MARKERS)
    pytester.makepyfile(
        test_example="""
        import pytest

        @pytest.mark.unit
        def test_marked():
            pass

        def test_forgotten():
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*without a layer marker*test_example.py::test_forgotten"])


def test_marked_tests_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ROOT_CONFTEST.read_text())
    pytester.makeini(MARKERS)
    pytester.makepyfile(
        test_example="import pytest\npytestmark = pytest.mark.service\ndef test_one():\n    pass\n"
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
