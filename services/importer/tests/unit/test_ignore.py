from __future__ import annotations

import pytest

from settle_importer.domain import IgnoreList, IgnoreRange

pytestmark = pytest.mark.unit


def test_exact_values_and_numeric_ranges() -> None:
    ignored = IgnoreList.parse(["1000-1999", "A-7", " 42 "])

    assert "1500" in ignored
    assert "1000" in ignored and "1999" in ignored
    assert "2000" not in ignored
    assert "999" not in ignored  # numeric, not text comparison ("999" > "1999" as text)
    assert "A-7" in ignored
    assert "42" in ignored


def test_a_hyphenated_invoice_number_stays_an_exact_value() -> None:
    ignored = IgnoreList.parse(["2024-001"])

    assert ignored == IgnoreList(frozenset({"2024-001"}))
    assert "2024-001" in ignored
    assert "2024-000" not in ignored


def test_explicit_ranges_of_text_compare_as_text() -> None:
    ignored = IgnoreList.parse(["2024-001 - 2024-099", "K100..K199"])

    assert ignored.ranges == (IgnoreRange("2024-001", "2024-099"), IgnoreRange("K100", "K199"))
    assert "2024-050" in ignored
    assert "2024-100" not in ignored
    assert "K150" in ignored
    assert "K1500" in ignored  # text comparison: "K1500" sorts between "K100" and "K199"
    assert "K200" not in ignored


def test_numeric_range_with_a_non_numeric_value_compares_as_text() -> None:
    assert "1500A" in IgnoreRange("1000", "1999")
    assert "2A" not in IgnoreRange("1000", "1999")


def test_empty_list_ignores_nothing() -> None:
    empty = IgnoreList.parse(["", "  "])

    assert not empty
    assert "anything" not in empty
