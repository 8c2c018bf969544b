import pytest

pytest_plugins = ["settle_shared.testing.fixtures", "pytester"]

# The layers a test can be in (pyproject's markers); `pytest -m unit` selects by them.
LAYERS = ("unit", "service", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse to run a test that is in no layer: it would be missed by `pytest -m LAYER`."""
    unmarked = [
        item.nodeid for item in items if not any(item.get_closest_marker(m) for m in LAYERS)
    ]
    if unmarked:
        raise pytest.UsageError(
            "tests without a layer marker (" + ", ".join(LAYERS) + "): " + ", ".join(unmarked)
        )
