"""Factories for messaging test data: one place that knows what a plausible message looks like."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_messaging.domain.model import (
    AdministrationInfo,
    DebtorInfo,
    DebtorType,
    InvoiceLine,
    MessageContext,
    Money,
    PostalAddress,
    SenderInfo,
)


def make_invoice(number: str = "2025-0001", **overrides: Any) -> InvoiceLine:
    fields: dict[str, Any] = {
        "number": number,
        "invoice_date": date(2025, 1, 6),
        "due_date": date(2025, 2, 5),
        "amount": Decimal("1210.00"),
        "open_amount": Decimal("1210.00"),
        "currency": "EUR",
    }
    fields.update(overrides)
    return InvoiceLine(**fields)


def make_debtor(**overrides: Any) -> DebtorInfo:
    fields: dict[str, Any] = {
        "name": "Bakkerij De Korenaar",
        "language": "nl",
        "type": DebtorType.CONSUMER,
        "email": "info@korenaar.example.com",
        "contact_name": None,
        "address": PostalAddress("Dorpsstraat 7", "1234 AB", "Zaandam", "NL"),
    }
    fields.update(overrides)
    return DebtorInfo(**fields)


def make_administration(**overrides: Any) -> AdministrationInfo:
    fields: dict[str, Any] = {
        "name": "Groothandel Noord B.V.",
        "email": "debiteuren@noord.example.com",
        "default_language": "nl",
        "fallback_language": "en",
        "address": PostalAddress("Havenweg 3", "9711 AA", "Groningen", "NL"),
        "iban": "NL02 ABNA 0123 4567 89",
        "chamber_of_commerce": "87654321",
    }
    fields.update(overrides)
    return AdministrationInfo(**fields)


def make_context(**overrides: Any) -> MessageContext:
    fields: dict[str, Any] = {
        "debtor": make_debtor(),
        "administration": make_administration(),
        "sender": SenderInfo("Pieter Bos", "Credit management"),
        "today": date(2025, 3, 3),
        "invoices": (make_invoice(),),
        "payment_link": None,
        "reply_link": "https://settle.example.com/reply/abc",
    }
    fields.update(overrides)
    return MessageContext(**fields)


@pytest.fixture
def context_factory() -> Callable[..., MessageContext]:
    return make_context


@pytest.fixture
def debtor_factory() -> Callable[..., DebtorInfo]:
    return make_debtor


@pytest.fixture
def administration_factory() -> Callable[..., AdministrationInfo]:
    return make_administration


@pytest.fixture
def invoice_factory() -> Callable[..., InvoiceLine]:
    return make_invoice


@pytest.fixture
def euro() -> Callable[[str], Money]:
    return lambda amount: Money(Decimal(amount), "EUR")
