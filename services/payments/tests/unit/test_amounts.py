"""What a payment is for: the open amounts we know, in one currency, never the request's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from settle_payments.adapters.psp.mollie import amount_object
from settle_payments.domain.errors import (
    AlreadyPaidOnline,
    InvoiceNotOpen,
    InvoiceOfAnotherDebtor,
    MixedCurrencies,
    NothingToPay,
    UnknownInvoice,
)
from settle_payments.domain.invoices import PayableInvoice, invoice_settled, open_amount_changed
from settle_payments.domain.money import from_minor, to_amount, to_minor
from settle_payments.domain.payments import plan_payment

pytestmark = pytest.mark.unit


def invoice(invoice_id: str, open_amount: str, **changes: object) -> PayableInvoice:
    fields: dict[str, object] = {
        "invoice_id": invoice_id,
        "debtor_id": "deb-1",
        "number": f"2025-{invoice_id}",
        "currency": "EUR",
        "open_amount": Decimal(open_amount),
        "settled": False,
        "version": 1,
    }
    fields.update(changes)
    return PayableInvoice(**fields)  # type: ignore[arg-type]


def known(*invoices: PayableInvoice) -> dict[str, PayableInvoice]:
    return {i.invoice_id: i for i in invoices}


def test_a_payment_is_the_sum_of_the_open_amounts() -> None:
    plan = plan_payment(
        "deb-1", ["a", "b", "a"], known(invoice("a", "121.00"), invoice("b", "0.995"))
    )

    assert plan.amount == Decimal("122.00")  # 121.00 + 1.00 (half up), "a" counted once
    assert [c.invoice_id for c in plan.invoices] == ["a", "b"]
    assert plan.description == "Invoices 2025-a, 2025-b"


@pytest.mark.parametrize(
    ("ids", "invoices", "busy", "refusal"),
    [
        (["x"], [], [], UnknownInvoice),
        (["a"], [invoice("a", "10", debtor_id="deb-2")], [], InvoiceOfAnotherDebtor),
        (["a"], [invoice("a", "0.00")], [], InvoiceNotOpen),
        (["a"], [invoice("a", "10", settled=True)], [], InvoiceNotOpen),
        (["a"], [invoice("a", "10")], ["a"], AlreadyPaidOnline),
        (["a", "b"], [invoice("a", "10"), invoice("b", "10", currency="USD")], [], MixedCurrencies),
        ([], [], [], NothingToPay),
    ],
)
def test_what_cannot_be_paid_is_refused(ids, invoices, busy, refusal) -> None:
    with pytest.raises(refusal):
        plan_payment("deb-1", ids, known(*invoices), busy)


def test_amounts_keep_their_currency_s_minor_unit() -> None:
    assert to_amount(Decimal("12.5")) == Decimal("12.50")
    assert to_amount(Decimal("1234.5"), "JPY") == Decimal("1235")
    assert to_minor(Decimal("12.34"), "EUR") == 1234
    assert from_minor(1234, "EUR") == Decimal("12.34")
    assert from_minor(1234, "JPY") == Decimal("1234")
    # Mollie wants the value as a string with exactly the currency's decimals.
    assert amount_object(Decimal("10"), "EUR") == {"currency": "EUR", "value": "10.00"}
    assert amount_object(Decimal("1000"), "JPY") == {"currency": "JPY", "value": "1000"}


def test_an_older_fact_never_changes_the_copy() -> None:
    current = invoice("a", "50.00", version=3)

    assert open_amount_changed(current, 2, Decimal("10.00")) is None
    assert invoice_settled(current, 3) is None
    settled = invoice_settled(current, 4)
    assert settled is not None and not settled.is_open
