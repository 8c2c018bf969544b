"""The portal's rules: which invoices one click may pay, the key that makes a double click one
payment, the CSRF token, the language spoken and what a status tells the debtor."""

from __future__ import annotations

from decimal import Decimal

import pytest

from settle_gateway.domain.portal import (
    NotPayable,
    PaymentState,
    PortalInvoice,
    choose_language,
    choose_payable,
    csrf_matches,
    csrf_token,
    idempotency_key,
)

pytestmark = pytest.mark.unit


def invoice(invoice_id: str, **changes: object) -> PortalInvoice:
    fields: dict[str, object] = {
        "invoice_id": invoice_id,
        "number": f"F-{invoice_id}",
        "debtor_id": "deb-1",
        "status": "open",
        "currency": "EUR",
        "open_amount": Decimal("10.00"),
        "paid_online": None,
    }
    return PortalInvoice(**(fields | changes))  # type: ignore[arg-type]


INVOICES = {
    "a": invoice("a"),
    "b": invoice("b"),
    "theirs": invoice("theirs", debtor_id="deb-2"),
    "settled": invoice("settled", status="settled"),
    "zero": invoice("zero", open_amount=Decimal("0.00")),
    "paid": invoice("paid", paid_online=Decimal("10.00")),
    "dollars": invoice("dollars", currency="USD"),
}


def test_a_click_pays_the_debtors_open_invoices_once_each() -> None:
    assert [i.invoice_id for i in choose_payable("deb-1", ["a", "b", "a"], INVOICES)] == ["a", "b"]


@pytest.mark.parametrize(
    ("chosen", "reason"),
    [
        ([], "none_chosen"),
        (["a", "theirs"], "not_yours"),
        (["a", "unknown"], "not_yours"),
        (["settled"], "not_open"),
        (["zero"], "not_open"),
        (["paid"], "paid_online"),
        (["a", "dollars"], "currencies"),
    ],
)
def test_what_a_click_may_not_pay(chosen: list[str], reason: str) -> None:
    with pytest.raises(NotPayable) as refused:
        choose_payable("deb-1", chosen, INVOICES)
    assert refused.value.reason == reason


def test_the_same_form_and_choice_is_the_same_payment_and_nothing_else_is() -> None:
    key = idempotency_key("adm", "deb-1", "form-1", ["a", "b"])
    assert key == idempotency_key("adm", "deb-1", "form-1", ["b", "a"])
    assert len(key) == 64
    others = {
        idempotency_key("adm", "deb-1", "form-2", ["a", "b"]),
        idempotency_key("adm", "deb-1", "form-1", ["a"]),
        idempotency_key("adm", "deb-2", "form-1", ["a", "b"]),
        idempotency_key("adm-2", "deb-1", "form-1", ["a", "b"]),
    }
    assert key not in others and len(others) == 4


def test_a_csrf_token_belongs_to_one_browser_session_and_one_link() -> None:
    secret = b"k" * 32
    token = csrf_token(secret, "session-1", "link-1")
    assert csrf_matches(secret, "session-1", "link-1", token)
    assert not csrf_matches(secret, "session-2", "link-1", token)
    assert not csrf_matches(secret, "session-1", "link-2", token)
    assert not csrf_matches(b"o" * 32, "session-1", "link-1", token)
    assert not csrf_matches(secret, None, "link-1", token)
    assert not csrf_matches(secret, "session-1", "link-1", None)


@pytest.mark.parametrize(
    ("asked", "debtor", "browser", "spoken"),
    [
        ("en", "nl", "de", "en"),
        (None, "fr", "de", "fr"),
        (None, "pl", "pl-PL,de;q=0.8", "de"),
        ("xx", None, None, "nl"),
        (None, "DE", None, "de"),
    ],
)
def test_the_language_the_portal_speaks(
    asked: str | None, debtor: str | None, browser: str | None, spoken: str
) -> None:
    assert choose_language(asked, debtor, browser) == spoken


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("paid", "paid"),
        ("open", "pending"),
        ("pending", "pending"),
        ("authorized", "pending"),
        ("failed", "failed"),
        ("canceled", "failed"),
        ("expired", "failed"),
        ("refunded", "failed"),
        ("charged_back", "failed"),
        ("something new", "pending"),
    ],
)
def test_what_a_status_tells_the_debtor(status: str, outcome: str) -> None:
    state = PaymentState("p", None, Decimal("1.00"), "EUR", status, None, ())
    assert state.outcome == outcome
