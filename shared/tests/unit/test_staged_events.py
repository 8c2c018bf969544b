"""``Event.staged`` writes an event without building its model: its JSON must be the model's
own, for every event type a producer stages that way, or consumers would read something else."""

import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settle_shared.events import importer as events
from settle_shared.events.base import Event

pytestmark = pytest.mark.unit

rng = random.Random(3)
TEXTS = ["F-1", "Ünïcødé & Zoon", 'quote " and \\ slash', "tab\there\nnewline", "€", "日本"]


def amount() -> Decimal:
    return Decimal(rng.randrange(-(10**9), 10**9)) / 100


def values_for(model: type[Event]) -> dict[str, object]:
    """Values of the model's types, in its field order."""
    examples: dict[str, object] = {
        "version": rng.randrange(1, 50),
        "invoice_date": date(2024, 2, 29),
        "due_date": date(2199, 12, 31),
        "amount": amount(),
        "open_amount": amount(),
        "previous_open_amount": amount(),
        "payment_condition": rng.choice([None, *TEXTS]),
        "pdf_url": rng.choice([None, "https://example.com/a.pdf"]),
        "reason": "paid" if model is events.InvoiceSettled else rng.choice([None, *TEXTS]),
        "kind": rng.choice(["business", "consumer"]),
        "emails": rng.choice([[], ["a@example.com", "b@example.nl"]]),
        "address_lines": rng.choice([[], TEXTS[:3]]),
        "field": "due_date",
        "due_date_source": rng.choice(["document", "payment_terms", "default_term"]),
        "payment_terms": rng.choice([None, *TEXTS]),
        "corrects_invoice_id": rng.choice([None, *TEXTS]),
        "corrects_invoice_number": rng.choice([None, *TEXTS]),
    }
    return {
        name: examples.get(name, rng.choice(TEXTS)) if name in examples else rng.choice(TEXTS)
        for name in model.model_fields
    }


STAGED = [
    events.InvoiceImported,
    events.CreditNoteImported,
    events.InvoiceChanged,
    events.InvoiceSettled,
    events.InvoiceReopened,
    events.InvoiceFixedFieldChanged,
    events.DebtorUpserted,
]


@pytest.mark.parametrize("model", STAGED, ids=lambda m: m.__name__)
def test_staged_json_is_the_models_json(model: type[Event]) -> None:
    for _ in range(300):
        values = values_for(model)
        built = model(**values)
        staged = model.staged(values)
        assert staged == built.as_staged()
        assert json.loads(staged.payload) == json.loads(built.model_dump_json())


def test_values_that_are_not_the_models_fields_are_refused() -> None:
    values = values_for(events.InvoiceSettled)
    del values["reason"]
    with pytest.raises(ValueError, match="not the model's"):
        events.InvoiceSettled.staged(values)


def test_values_in_another_order_than_the_models_are_refused() -> None:
    # The JSON would name the fields in another order than the model's own.
    values = values_for(events.InvoiceSettled)
    reordered = dict(reversed(values.items()))
    with pytest.raises(ValueError, match="not the model's"):
        events.InvoiceSettled.staged(reordered)


def test_a_time_is_refused_rather_than_written_differently_from_the_model() -> None:
    values = values_for(events.InvoiceSettled)
    values["run_id"] = datetime(2026, 12, 3, tzinfo=UTC)
    with pytest.raises(TypeError):
        events.InvoiceSettled.staged(values)
