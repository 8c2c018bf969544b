from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from settle_importer.domain import RecordRejected, debtor_from_source, invoice_from_source

pytestmark = pytest.mark.unit


def invoice(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "number": "2024-001",
        "debtor_number": "D100",
        "invoice_date": date(2024, 3, 1),
        "due_date": date(2024, 3, 31),
        "amount": Decimal("121"),
        "open_amount": Decimal("100.5"),
        "currency": "eur",
    }
    values.update(overrides)
    return invoice_from_source(**values)


def rejection(**overrides: Any) -> RecordRejected:
    with pytest.raises(RecordRejected) as caught:
        invoice(**overrides)
    return caught.value


def test_a_source_that_hands_over_a_datetime_for_a_date_is_refused() -> None:
    # A source's bug: it would change the text every fingerprint is made of.
    with pytest.raises(TypeError, match="dates, not datetimes"):
        invoice(due_date=datetime(2024, 3, 31, tzinfo=UTC))


def test_money_is_quantised_to_cents_and_currency_upper_case() -> None:
    accepted = invoice()

    assert accepted.amount == Decimal("121.00")
    assert str(accepted.amount) == "121.00"
    assert str(accepted.open_amount) == "100.50"
    assert accepted.currency == "EUR"
    assert accepted.kind == "invoice"


def test_a_missing_open_amount_means_everything_is_open() -> None:
    assert invoice(open_amount=None).open_amount == Decimal("121.00")


def test_negative_invoice_is_rejected_with_its_number() -> None:
    rejected = rejection(amount=Decimal("-50"), open_amount=Decimal("-50"), kind="invoice")

    assert rejected.reference == "2024-001"
    assert "negative" in rejected.reason and "credit note" in rejected.reason


def test_without_a_kind_a_negative_amount_is_a_credit_note() -> None:
    credit = invoice(amount=Decimal("-50"), open_amount=Decimal("-50"))

    assert credit.kind == "credit_note"
    assert credit.amount == Decimal("-50.00")


def test_a_credit_note_written_as_positive_is_made_negative() -> None:
    credit = invoice(amount=Decimal("50"), open_amount=Decimal("20"), kind="credit_note")

    assert (credit.amount, credit.open_amount) == (Decimal("-50.00"), Decimal("-20.00"))


@pytest.mark.parametrize("amount", [Decimal("1000000000.01"), Decimal("-5E+12"), Decimal("1E+40")])
def test_absurd_amounts_are_rejected(amount: Decimal) -> None:
    assert "implausibly large" in rejection(amount=amount, open_amount=None).reason


def test_amounts_with_more_than_cents_are_rejected_not_rounded() -> None:
    assert "more than two decimals" in rejection(amount=Decimal("12.345")).reason


def test_due_date_before_invoice_date_is_rejected() -> None:
    rejected = rejection(due_date=date(2024, 2, 28))

    assert rejected.reason == "due date 2024-02-28 is before the invoice date 2024-03-01"


def test_open_amount_larger_than_the_invoice_is_rejected() -> None:
    assert "larger than the invoice amount" in rejection(open_amount=Decimal("200")).reason


def test_open_amount_larger_than_the_credit_note_is_rejected() -> None:
    rejected = rejection(amount=Decimal("-50"), open_amount=Decimal("-80"), kind="credit_note")

    assert "larger than the credit note amount" in rejected.reason


@pytest.mark.parametrize("currency", ["EU", "EURO", "XXX", "ABC", ""])
def test_unknown_currency_is_rejected(currency: str) -> None:
    assert "ISO 4217" in rejection(currency=currency).reason


def test_empty_invoice_and_debtor_numbers_are_rejected() -> None:
    assert rejection(number="  ").reason == "invoice number is empty"
    assert rejection(debtor_number="").reason == "debtor number is empty"


def test_implausible_years_are_rejected() -> None:
    assert "implausible" in rejection(invoice_date=date(204, 3, 1)).reason


def test_debtor_details_are_normalised() -> None:
    debtor = debtor_from_source(
        number=" D1 ",
        name=" Jansen ",
        emails=["a@jansen.example", "", "a@jansen.example", "b@jansen.example"],
        address_lines=["Dorpsstraat 1", " ", ""],
        postal_code="",
        country="Nederland",
        language="nl-NL",
    )

    assert debtor.number == "D1"
    assert debtor.name == "Jansen"
    assert debtor.emails == ("a@jansen.example", "b@jansen.example")
    assert debtor.address_lines == ("Dorpsstraat 1",)
    assert debtor.postal_code is None
    assert debtor.country == "NL"
    assert debtor.language == "nl"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"name": " "}, "debtor D1 has no name"),
        ({"emails": ["jansen at example"]}, "'jansen at example' is not an email address"),
        ({"country": "Atlantis"}, "'Atlantis' is not an ISO 3166 two-letter code"),
        ({"language": "Nederlands"}, "'Nederlands' is not an ISO 639-1 code"),
    ],
)
def test_unusable_debtor_details_are_rejected(overrides: dict[str, Any], reason: str) -> None:
    values: dict[str, Any] = {"number": "D1", "name": "Jansen"}
    values.update(overrides)

    with pytest.raises(RecordRejected, match=reason):
        debtor_from_source(**values)
