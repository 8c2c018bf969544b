import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settle_shared.envelope import Envelope, EnvelopeError, new_event_ids
from settle_shared.events.importer import InvoiceSettled

pytestmark = pytest.mark.unit

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def settled(**changes: object) -> InvoiceSettled:
    fields = dict(
        administration_id="adm-1",
        invoice_id="inv-1",
        number="2026-001",
        version=3,
        run_id="run-1",
        reason="paid",
    )
    fields.update(changes)
    return InvoiceSettled(**fields)


def as_record(envelope: Envelope) -> tuple[list[tuple[str, bytes]], bytes, bytes]:
    headers = [(name, value.encode()) for name, value in envelope.headers().items()]
    return headers, envelope.key.encode(), envelope.data


def test_an_event_travels_as_cloudevents_binary_mode_headers_and_comes_back_equal():
    envelope = Envelope.wrap(
        settled(),
        source="/settle/importer",
        time=WHEN,
        administration_id="adm-1",
        correlation_id="corr-9",
        causation_id="cause-1",
    )
    headers = envelope.headers()
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "settle.importer.invoice.settled"
    assert headers["ce_source"] == "/settle/importer"
    assert headers["ce_time"] == "2026-11-23T09:30:00+00:00"
    assert headers["ce_subject"] == "inv-1"
    assert headers["administration_id"] == "adm-1"
    assert headers["correlation_id"] == "corr-9"
    assert headers["causation_id"] == "cause-1"
    assert envelope.key == "inv-1"

    back = Envelope.from_record(*as_record(envelope))
    assert back == envelope
    assert back.payload() == settled()


def test_a_new_correlation_starts_with_the_event_itself():
    envelope = Envelope.wrap(settled(), source="/s", time=WHEN, administration_id="adm-1")
    assert envelope.correlation_id == envelope.id
    assert "causation_id" not in envelope.headers()


def test_money_is_carried_as_an_exact_decimal_string():
    from settle_shared.events.importer import InvoiceImported

    payload = InvoiceImported(
        administration_id="a",
        invoice_id="i",
        number="1",
        version=1,
        run_id="r",
        debtor_id="d",
        debtor_number="D1",
        invoice_date=date(2026, 1, 1),
        due_date=date(2026, 1, 31),
        amount=Decimal("1656.25"),
        open_amount=Decimal("0.10"),
        currency="EUR",
    )
    envelope = Envelope.wrap(payload, source="/s", time=WHEN, administration_id="a")
    assert b'"amount":"1656.25"' in envelope.data
    assert envelope.payload().open_amount == Decimal("0.10")


@pytest.mark.parametrize(
    ("drop", "message"),
    [("ce_id", "missing header"), ("administration_id", "missing header")],
)
def test_a_record_without_required_headers_is_refused(drop, message):
    envelope = Envelope.wrap(settled(), source="/s", time=WHEN, administration_id="adm-1")
    headers, key, value = as_record(envelope)
    headers = [(n, v) for n, v in headers if n != drop]
    with pytest.raises(EnvelopeError, match=f"{message}.*{drop}"):
        Envelope.from_record(headers, key, value)


def test_a_naive_time_or_a_broken_payload_is_refused():
    envelope = Envelope.wrap(settled(), source="/s", time=WHEN, administration_id="adm-1")
    headers, key, _ = as_record(envelope)
    naive = [(n, b"2026-11-23T09:30:00" if n == "ce_time" else v) for n, v in headers]
    with pytest.raises(EnvelopeError, match="time zone"):
        Envelope.from_record(naive, key, envelope.data)
    broken = Envelope.from_record(headers, key, b'{"invoice_id": 5}')
    with pytest.raises(EnvelopeError, match="payload is invalid"):
        broken.payload()


def test_an_unknown_event_type_is_not_an_error_but_has_no_payload():
    envelope = Envelope.wrap(settled(), source="/s", time=WHEN, administration_id="adm-1")
    headers, key, value = as_record(envelope)
    newer = [
        (n, b"settle.importer.invoice.teleported" if n == "ce_type" else v) for n, v in headers
    ]
    assert Envelope.from_record(newer, key, value).payload() is None


def test_unknown_payload_fields_from_a_newer_producer_are_ignored():
    envelope = Envelope.wrap(settled(), source="/s", time=WHEN, administration_id="adm-1")
    headers, key, value = as_record(envelope)
    newer = value[:-1] + b',"added_later":true}'
    assert Envelope.from_record(headers, key, newer).payload() == settled()


def test_new_event_ids_are_distinct_version_4_uuids():
    ids = new_event_ids(5_000)
    assert len(set(ids)) == 5_000
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
