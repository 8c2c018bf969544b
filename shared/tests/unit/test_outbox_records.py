"""The records of an outbox batch row: what the relay sends must be what an envelope of the
same event would put on the broker."""

from datetime import UTC, datetime

import pytest

from settle_shared.envelope import Envelope, shared_headers
from settle_shared.events.importer import DebtorUpserted, InvoiceSettled
from settle_shared.outbox import decode_records, encode_records

pytestmark = pytest.mark.unit

WHEN = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


def settled(invoice_id: str) -> InvoiceSettled:
    return InvoiceSettled(
        administration_id="adm-1",
        invoice_id=invoice_id,
        number="F-1",
        version=2,
        run_id="run-7",
        reason="paid",
    )


def test_a_batch_decodes_to_the_records_of_envelopes_of_its_events():
    debtor = DebtorUpserted(
        administration_id="adm-1",
        debtor_id="deb-1",
        number="D1",
        version=1,
        # Tabs and newlines inside values are escaped by JSON: the lines stay lines.
        name="Tab\tand\nnewline B.V.",
        kind="business",
    )
    events = [settled("inv-1"), debtor, settled("inv-2")]
    headers = shared_headers("/settle/importer", WHEN, "adm-1", "run-7")

    records = decode_records(headers, encode_records([e.as_staged() for e in events]))

    assert [record.topic for record in records] == [e.topic.name for e in events]
    for record, event in zip(records, events, strict=True):
        envelope = Envelope.from_record(record.headers, record.key, record.payload)
        assert envelope.payload() == event
        expected = Envelope.wrap(
            event,
            source="/settle/importer",
            time=WHEN,
            administration_id="adm-1",
            correlation_id="run-7",
            event_id=envelope.id,
        )
        assert envelope == expected
        assert dict((n, v.decode()) for n, v in record.headers) == expected.headers()
    assert len({dict(r.headers)["ce_id"] for r in records}) == 3


def test_a_key_with_a_tab_is_refused_rather_than_split_wrongly():
    with pytest.raises(ValueError, match="tab or a newline"):
        encode_records([settled("inv\t1").as_staged()])
