"""The committed contract documents are the ones the code generates: a contract change shows
up in a diff of docs/, never silently."""

from pathlib import Path

import pytest

from settle_shared.docs import generate

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]


def test_generated_documents_are_committed_and_current(tmp_path):
    stale = []
    for path in generate(tmp_path / "docs", ROOT / "README.md"):
        committed = ROOT / path.relative_to(tmp_path)
        if not committed.exists() or committed.read_text() != path.read_text():
            stale.append(str(committed.relative_to(ROOT)))
    assert not stale, f"run `make docs` and commit: {stale}"
