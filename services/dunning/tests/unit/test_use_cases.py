"""Use cases over in-memory repositories (tests/unit/fakes.py): what each fact does to the
attention items, without a database in the way."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from settle_dunning.application.facts import apply_importer_fact
from settle_dunning.application.messaging import apply_messaging_event
from settle_dunning.domain import AttentionReason
from settle_shared.events import dunning, importer, messaging

from .fakes import NO_SESSION, InMemoryDunning

pytestmark = pytest.mark.unit

ADM = "adm-1"
AT = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)


def reply(message_id: str, at: datetime = AT) -> messaging.ReplyReceived:
    return messaging.ReplyReceived(
        administration_id=ADM,
        message_id=message_id,
        debtor_id="deb-1",
        thread_id="thread-1",
        via="email",
        subject_line="Re: your invoice",
        received_at=at,
    )


def read(message_id: str, at: datetime) -> messaging.MessageRead:
    return messaging.MessageRead(
        administration_id=ADM, message_id=message_id, debtor_id="deb-1", thread_id="thread-1", at=at
    )


async def test_unread_replies_raise_one_item_that_counts_them_and_resolves_when_all_are_read():
    dunning_service = InMemoryDunning()
    ctx, items = dunning_service.context, dunning_service.repositories.attention

    await apply_messaging_event(ctx, NO_SESSION, reply("msg-1"))
    await apply_messaging_event(ctx, NO_SESSION, reply("msg-2"))

    [item] = items.open(ADM)
    assert item.reason is AttentionReason.UNREAD_MESSAGES
    assert item.sentence == "This debtor sent 2 messages nobody has read."
    # Raised once: the second reply merged into the open item, and the count published.
    assert len(dunning_service.outbox.events(dunning.AttentionRaised)) == 1
    [updated] = dunning_service.outbox.events(dunning.AttentionUpdated)
    assert updated.sentence == "This debtor sent 2 messages nobody has read."

    later = AT + timedelta(minutes=5)
    await apply_messaging_event(ctx, NO_SESSION, read("msg-1", later))
    await apply_messaging_event(ctx, NO_SESSION, read("msg-2", later))

    assert items.open(ADM) == []
    [resolved] = dunning_service.outbox.events(dunning.AttentionResolved)
    assert resolved.sentence == "All messages from this debtor have been read."


async def test_a_letter_waits_to_be_posted_until_it_is_sent() -> None:
    dunning_service = InMemoryDunning()
    ctx, items = dunning_service.context, dunning_service.repositories.attention
    common = {
        "administration_id": ADM,
        "message_id": "letter-1",
        "debtor_id": "deb-1",
        "thread_id": "thread-1",
        "invoice_ids": ["inv-1", "inv-2"],
    }

    waiting = messaging.LetterAwaitingPosting(**common, queued_at=AT)
    await apply_messaging_event(ctx, NO_SESSION, waiting)
    assert sorted(i.subject_id for i in items.open(ADM)) == ["inv-1", "inv-2"]

    posted = messaging.MessageSent(**common, channel="letter", sent_at=AT + timedelta(days=1))
    await apply_messaging_event(ctx, NO_SESSION, posted)
    assert items.open(ADM) == []
    assert len(dunning_service.outbox.events(dunning.AttentionResolved)) == 2


async def test_a_fixed_field_changed_in_bookkeeping_raises_a_possible_error_once() -> None:
    dunning_service = InMemoryDunning()
    ctx, items = dunning_service.context, dunning_service.repositories.attention
    imported = importer.InvoiceImported(
        administration_id=ADM,
        invoice_id="inv-1",
        number="F-1",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="D1",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3),
        amount=Decimal("121.00"),
        open_amount=Decimal("121.00"),
        currency="EUR",
    )
    await apply_importer_fact(ctx, NO_SESSION, imported)

    for version in (2, 3):
        changed = importer.InvoiceFixedFieldChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-1",
            version=version,
            run_id="run-2",
            field="due_date",
            stored_value="2025-03-03",
            imported_value="2025-03-10",
        )
        await apply_importer_fact(ctx, NO_SESSION, changed)

    [item] = items.open(ADM)
    assert (item.reason, item.subject_id) == (AttentionReason.POSSIBLE_BOOKKEEPING_ERROR, "inv-1")
    assert len(dunning_service.outbox.events(dunning.AttentionRaised)) == 1


def credit_note(open_amount: str = "-50.00") -> importer.CreditNoteImported:
    return importer.CreditNoteImported(
        administration_id=ADM,
        credit_note_id="cn-1",
        number="C-1",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="D1",
        invoice_date=date(2025, 2, 10),
        amount=Decimal("-50.00"),
        open_amount=Decimal(open_amount),
        currency="EUR",
    )


async def test_a_credit_note_matched_later_in_bookkeeping_no_longer_holds_its_debtor() -> None:
    dunning_service = InMemoryDunning()
    ctx, debtors = dunning_service.context, dunning_service.repositories.debtors
    await apply_importer_fact(ctx, NO_SESSION, credit_note())
    assert (await debtors.get(ADM, "deb-1")).has_unmatched_credit_note

    # Partly matched: still open. The importer says "invoice" for every later fact.
    partly = importer.InvoiceChanged(
        administration_id=ADM,
        invoice_id="cn-1",
        number="C-1",
        version=2,
        run_id="run-2",
        open_amount=Decimal("-20.00"),
        previous_open_amount=Decimal("-50.00"),
        currency="EUR",
    )
    await apply_importer_fact(ctx, NO_SESSION, partly)
    assert (await debtors.credit_note(ADM, "cn-1")).open_amount == Decimal("-20.00")
    assert (await debtors.get(ADM, "deb-1")).has_unmatched_credit_note

    settled = importer.InvoiceSettled(
        administration_id=ADM,
        invoice_id="cn-1",
        number="C-1",
        version=3,
        run_id="run-3",
        reason="paid",
    )
    await apply_importer_fact(ctx, NO_SESSION, settled)
    assert (await debtors.credit_note(ADM, "cn-1")).open_amount == 0
    assert not (await debtors.get(ADM, "deb-1")).has_unmatched_credit_note

    # An older fact delivered late changes nothing.
    await apply_importer_fact(ctx, NO_SESSION, partly)
    assert (await debtors.credit_note(ADM, "cn-1")).open_amount == 0
