"""Factories for the importer's unit tests: records as bookkeeping would deliver them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from settle_importer.domain import (
    ImportedDebtor,
    ImportedInvoice,
    SourceRecord,
    StoredInvoice,
    invoice_fingerprint,
)

DATA = Path(__file__).parent.parent / "data"


def _invoice(**overrides: Any) -> ImportedInvoice:
    values: dict[str, Any] = {
        "number": "2024-001",
        "debtor_number": "D100",
        "invoice_date": date(2024, 3, 1),
        "due_date": date(2024, 3, 31),
        "amount": Decimal("121.00"),
        "open_amount": Decimal("121.00"),
        "currency": "EUR",
        "payment_condition": "30",
        "kind": "invoice",
        "pdf_url": None,
    }
    values.update(overrides)
    for money in ("amount", "open_amount"):  # as every source delivers it: cents
        values[money] = Decimal(values[money]).quantize(Decimal("0.01"))
    return ImportedInvoice(**values)


def _debtor(**overrides: Any) -> ImportedDebtor:
    values: dict[str, Any] = {
        "number": "D100",
        "name": "Bakkerij Jansen B.V.",
        "type": "business",
        "emails": ("administratie@jansen.example",),
        "phone": "020-1234567",
        "address_lines": ("Dorpsstraat 1",),
        "postal_code": "1234 AB",
        "city": "Amsterdam",
        "country": "NL",
        "language": "nl",
    }
    values.update(overrides)
    return ImportedDebtor(**values)


_line = iter(range(2, 10**9))


def _record(debtor: ImportedDebtor | None = None, **overrides: Any) -> SourceRecord:
    invoice = _invoice(**overrides)
    if debtor is None:
        debtor = _debtor(number=invoice.debtor_number)
    return SourceRecord(f"line {next(_line)}", invoice, debtor)


def _stored(settled: bool = False, **overrides: Any) -> StoredInvoice:
    """What Settle holds after importing the invoice ``_invoice(**overrides)`` earlier."""
    invoice = _invoice(**overrides)
    stored = StoredInvoice.first_import(invoice, invoice_fingerprint(invoice))
    return replace(stored, settled=settled)


@pytest.fixture
def make_invoice() -> Callable[..., ImportedInvoice]:
    return _invoice


@pytest.fixture
def make_debtor() -> Callable[..., ImportedDebtor]:
    return _debtor


@pytest.fixture
def make_record() -> Callable[..., SourceRecord]:
    return _record


@pytest.fixture
def make_stored() -> Callable[..., StoredInvoice]:
    return _stored


@pytest.fixture
def data_file() -> Callable[[str], Path]:
    """A real-world test file from tests/data (see tests/data/README.md for where each is from)."""

    def path(name: str) -> Path:
        return DATA / name

    return path


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write CSV text (or bytes, for encoding tests) to a file and return its path."""

    def write(content: str | bytes, name: str = "export.csv", encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return write
