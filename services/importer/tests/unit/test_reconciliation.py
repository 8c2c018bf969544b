from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_importer.domain import (
    CreditNoteImported,
    DebtorUpserted,
    IgnoreRules,
    ImportedDebtor,
    InvoiceChanged,
    InvoiceImported,
    InvoiceReopened,
    InvoiceSettled,
    PossibleBookkeepingError,
    Reconciliation,
    RejectedRecord,
    RunSoFar,
    SourceItem,
    SourceRecord,
    StoredInvoice,
    debtor_fingerprint,
)

from .fakes import InMemorySnapshot, RunResult, reconcile, reconcile_stream

pytestmark = pytest.mark.unit

Record = Callable[..., SourceRecord]


def run(
    items: Iterable[SourceItem],
    snapshot: InMemorySnapshot | None = None,
    *,
    complete: bool = False,
    ignore: IgnoreRules | None = None,
) -> RunResult:
    """Reconcile and apply, as the service does, so a following run sees the result."""
    snapshot = snapshot if snapshot is not None else InMemorySnapshot()
    result = reconcile(list(items), snapshot, complete=complete, ignore=ignore)
    snapshot.apply(result)
    return result


Holding = Callable[..., InMemorySnapshot]


@pytest.fixture
def holding(make_debtor: Callable[..., ImportedDebtor]) -> Holding:
    """A snapshot holding these documents and, unchanged, the debtors they belong to."""

    def snapshot(*stored: StoredInvoice) -> InMemorySnapshot:
        debtors = {
            s.debtor_number: debtor_fingerprint(make_debtor(number=s.debtor_number)) for s in stored
        }
        return InMemorySnapshot({s.key: s for s in stored}, debtors)

    return snapshot


def of_type(result: RunResult, kind: type) -> list[Any]:
    return [fact for fact in result.facts if isinstance(fact, kind)]


# first import -----------------------------------------------------------------------------


def test_first_import_brings_in_open_invoices_and_their_debtors(make_record: Record) -> None:
    result = run([make_record(number="1"), make_record(number="2", debtor_number="D200")])

    assert [type(f) for f in result.facts] == [
        DebtorUpserted,
        InvoiceImported,
        DebtorUpserted,
        InvoiceImported,
    ]
    assert [f.invoice.number for f in of_type(result, InvoiceImported)] == ["1", "2"]
    assert all(f.created for f in of_type(result, DebtorUpserted))
    assert result.counts.new == 2
    assert result.counts.debtors_upserted == 2


def test_credit_note_is_imported_as_its_own_document(make_record: Record) -> None:
    invoice = make_record(number="Snippet1")
    credit = make_record(
        number="Snippet1", kind="credit_note", amount=Decimal("-121"), open_amount=Decimal("-121")
    )

    result = run([invoice, credit])

    assert len(of_type(result, InvoiceImported)) == 1
    [credit_fact] = of_type(result, CreditNoteImported)
    assert credit_fact.credit_note.amount == Decimal("-121")
    assert result.rejected == []


def test_an_invoice_already_paid_is_not_imported(make_record: Record) -> None:
    result = run([make_record(open_amount=Decimal("0"))])

    assert result.facts == []
    assert result.counts.closed_not_imported == 1


def test_reimporting_the_same_data_yields_no_facts(make_record: Record) -> None:
    records = [make_record(number=str(n), debtor_number=f"D{n % 3}") for n in range(10)]
    snapshot = InMemorySnapshot()
    first = run(records, snapshot, complete=True)

    second = run(records, snapshot, complete=True)

    assert len(first.facts) == 13
    assert second.facts == []
    assert second.fingerprints == []
    assert second.counts.unchanged == 10


# updatable fields ---------------------------------------------------------------------------


def test_a_lower_open_amount_is_applied(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))

    result = run([make_record(number="1", open_amount=Decimal("21"))], snapshot)

    [changed] = of_type(result, InvoiceChanged)
    assert (changed.open_amount_before, changed.open_amount) == (Decimal("121"), Decimal("21"))
    assert changed.changed == ("open_amount",)
    assert snapshot.stored_documents[("invoice", "1")].open_amount == Decimal("21")
    assert result.counts.changed == 1


def test_a_pdf_link_that_arrives_later_is_applied(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))

    result = run([make_record(number="1", pdf_url="https://books.example/1.pdf")], snapshot)

    [changed] = of_type(result, InvoiceChanged)
    assert changed.changed == ("pdf_url",)
    assert changed.pdf_url == "https://books.example/1.pdf"


# settling and reopening ---------------------------------------------------------------------


def test_open_amount_zero_settles_the_invoice(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))

    result = run([make_record(number="1", open_amount=Decimal("0"))], snapshot)

    [settled] = of_type(result, InvoiceSettled)
    assert settled.reason == "paid"
    assert snapshot.stored_documents[("invoice", "1")].settled
    assert run([make_record(number="1", open_amount=Decimal("0"))], snapshot).facts == []


def test_absent_from_a_complete_list_settles(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"), make_stored(number="2"))

    result = run([make_record(number="2")], snapshot, complete=True)

    [settled] = of_type(result, InvoiceSettled)
    assert settled.key == ("invoice", "1")
    assert settled.reason == "absent_from_complete_list"
    assert result.counts.settled == 1


def test_absent_from_an_incomplete_source_stays_open(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"), make_stored(number="2"))

    result = run([make_record(number="2")], snapshot, complete=False)

    assert result.facts == []


def test_a_settled_invoice_that_comes_back_is_reopened(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"), make_stored(number="2"))
    run([make_record(number="2")], snapshot, complete=True)  # 1 settled by absence

    result = run([make_record(number="1"), make_record(number="2")], snapshot, complete=True)

    [reopened] = of_type(result, InvoiceReopened)
    assert reopened.key == ("invoice", "1")
    assert reopened.open_amount == Decimal("121")
    assert not snapshot.stored_documents[("invoice", "1")].settled
    assert result.counts.reopened == 1


def test_a_paid_invoice_reopened_in_bookkeeping(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1", open_amount=Decimal("0"), settled=True))

    result = run([make_record(number="1", open_amount=Decimal("50"))], snapshot)

    assert [type(f) for f in result.facts] == [InvoiceReopened]


def test_more_booked_than_due_settles_and_is_flagged(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))

    result = run([make_record(number="1", open_amount=Decimal("-10"))], snapshot)

    [flag] = of_type(result, PossibleBookkeepingError)
    [settled] = of_type(result, InvoiceSettled)
    assert flag.field == "open_amount"
    assert (flag.settle_value, flag.bookkeeping_value) == ("121.00", "-10.00")
    assert settled.reason == "overbooked"


# fixed fields ------------------------------------------------------------------------------


def test_a_changed_fixed_field_is_flagged_not_applied(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))
    changed = make_record(
        number="1", amount=Decimal("150"), due_date=date(2024, 4, 30), debtor_number="D999"
    )

    result = run([changed], snapshot)

    flags = {
        f.field: (f.settle_value, f.bookkeeping_value)
        for f in of_type(result, PossibleBookkeepingError)
    }
    assert flags == {
        "amount": ("121.00", "150.00"),
        "due_date": ("2024-03-31", "2024-04-30"),
        "debtor_number": ("D100", "D999"),
    }
    held = snapshot.stored_documents[("invoice", "1")]
    assert (held.amount, held.due_date, held.debtor_number) == (
        Decimal("121.00"),
        date(2024, 3, 31),
        "D100",
    )
    assert result.counts.flagged == 3


def test_a_flagged_change_is_reported_once(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))
    run([make_record(number="1", amount=Decimal("150"))], snapshot)

    again = run([make_record(number="1", amount=Decimal("150"))], snapshot)
    paid_later = run(
        [make_record(number="1", amount=Decimal("150"), open_amount=Decimal("50"))], snapshot
    )

    assert again.facts == []
    assert [type(f) for f in paid_later.facts] == [InvoiceChanged]


def test_a_fixed_field_changed_back_needs_no_fact(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1"))
    run([make_record(number="1", invoice_date=date(2024, 2, 1))], snapshot)

    back = run([make_record(number="1")], snapshot)
    again = run([make_record(number="1")], snapshot)

    assert back.facts == []
    assert back.fingerprints  # stored fingerprint refreshed ...
    assert again.fingerprints == []  # ... so the next import takes the fast path


# rejects, duplicates and ignore lists -------------------------------------------------------


def test_duplicate_numbers_in_one_import_reject_the_later_ones(make_record: Record) -> None:
    first = make_record(number="7")
    second = make_record(number="7", amount=Decimal("500"), open_amount=Decimal("500"))

    result = run([first, second, make_record(number="7")])

    assert len(of_type(result, InvoiceImported)) == 1
    assert of_type(result, InvoiceImported)[0].invoice.amount == Decimal("121.00")
    assert len(result.rejected) == 2
    assert result.rejected[0].reference == "7"
    assert result.rejected[0].position == second.position
    assert f"only the first ({first.position}) was used" in result.rejected[0].reason


def test_source_rejects_pass_through_and_are_counted(make_record: Record) -> None:
    bad = RejectedRecord("line 3", "9", "amount 'abc' is not an amount like 1.234,56")

    result = run([make_record(number="1"), bad])

    assert result.rejected == [bad]
    assert result.counts.rejected == 1
    assert result.counts.new == 1


def test_a_rejected_record_is_not_settled_for_absence(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="9"), make_stored(number="1"))
    bad = RejectedRecord("line 3", "9", "due date '31-02-2024' is not a valid date")

    result = run([make_record(number="1"), bad], snapshot, complete=True)

    assert of_type(result, InvoiceSettled) == []


def test_an_unreadable_record_stops_settling_for_absence(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="9"), make_stored(number="1"))
    unreadable = RejectedRecord("line 3", None, "the line has 2 columns where 8 were expected")

    result = run([make_record(number="1"), unreadable], snapshot, complete=True)

    assert of_type(result, InvoiceSettled) == []
    assert "were not settled" in result.notices[0]


def test_an_empty_complete_list_settles_nothing(make_stored: Any, holding: Holding) -> None:
    snapshot = holding(make_stored(number="1"))

    result = run([], snapshot, complete=True)

    assert result.facts == []
    assert "empty" in result.notices[0]


def test_ignore_lists_by_number_range_debtor_and_payment_condition(make_record: Record) -> None:
    rules = IgnoreRules.parse(
        invoice_numbers=["1000-1999"], debtor_numbers=["D9"], payment_conditions=["contant"]
    )
    records = [
        make_record(number="1500"),
        make_record(number="2000", debtor_number="D9"),
        make_record(number="2001", payment_condition="contant"),
        make_record(number="2002"),
        make_record(number="999"),
    ]

    result = run(records, ignore=rules)

    assert [f.invoice.number for f in of_type(result, InvoiceImported)] == ["2002", "999"]
    assert result.counts.ignored == 3
    assert [f.debtor.number for f in of_type(result, DebtorUpserted)] == ["D100"]


def test_an_ignored_invoice_is_not_settled_for_absence(
    make_record: Record, make_stored: Any, holding: Holding
) -> None:
    snapshot = holding(make_stored(number="1500"), make_stored(number="1"))

    result = run(
        [make_record(number="1500"), make_record(number="1")],
        snapshot,
        complete=True,
        ignore=IgnoreRules.parse(invoice_numbers=["1000-1999"]),
    )

    assert result.facts == []


# debtors -----------------------------------------------------------------------------------


def test_debtor_without_an_open_invoice_is_not_imported(
    make_record: Record, make_debtor: Any
) -> None:
    paid = make_record(number="1", debtor_number="D1", open_amount=Decimal("0"))
    standalone = make_debtor(number="D2")

    result = run([paid, standalone])

    assert of_type(result, DebtorUpserted) == []


def test_debtor_with_one_open_invoice_among_paid_ones_is_imported(make_record: Record) -> None:
    records = [
        make_record(number="1", debtor_number="D1", open_amount=Decimal("0")),
        make_record(number="2", debtor_number="D1"),
    ]

    result = run(records)

    [upserted] = of_type(result, DebtorUpserted)
    assert upserted.debtor.number == "D1"
    assert result.facts.index(upserted) < result.facts.index(of_type(result, InvoiceImported)[0])


def test_debtor_details_arriving_after_the_invoice(make_record: Record, make_debtor: Any) -> None:
    invoice_only = SourceRecord("line 2", make_record(debtor_number="D5").invoice, None)

    result = run([invoice_only, make_debtor(number="D5", name="Later B.V.")])

    [upserted] = of_type(result, DebtorUpserted)
    assert upserted.debtor.name == "Later B.V."


def test_changed_debtor_details_are_upserted_once(make_record: Record, make_debtor: Any) -> None:
    snapshot = InMemorySnapshot()
    run([make_record(number="1")], snapshot)
    moved = make_debtor(address_lines=("Nieuwe Weg 9",), city="Utrecht")

    result = run(
        [make_record(number="1", debtor=moved), make_record(number="2", debtor=moved)], snapshot
    )

    [upserted] = of_type(result, DebtorUpserted)
    assert upserted.debtor.city == "Utrecht"
    assert not upserted.created
    assert run([make_record(number="1", debtor=moved)], snapshot).facts == []


def test_an_unchanged_debtor_is_not_upserted_again(make_record: Record) -> None:
    snapshot = InMemorySnapshot()
    run([make_record(number="1")], snapshot)

    result = run([make_record(number="1"), make_record(number="2")], snapshot)

    assert [type(f) for f in result.facts] == [InvoiceImported]


# streaming ---------------------------------------------------------------------------------


def test_chunk_size_does_not_change_the_outcome(
    make_record: Record, make_stored: Any, make_debtor: Any, holding: Holding
) -> None:
    items: list[SourceItem] = [
        make_record(number=str(n), debtor_number=f"D{n % 4}", open_amount=Decimal(n % 3))
        for n in range(40)
    ]
    items.insert(5, make_record(number="3"))  # a duplicate
    items.append(make_debtor(number="D3", name="Standalone"))

    def facts(chunk_size: int) -> list[Any]:
        snapshot = holding(make_stored(number="100"), make_stored(number="7", open_amount=5))
        outcomes = reconcile_stream(items, snapshot, complete=True, chunk_size=chunk_size)
        return [fact for outcome in outcomes for fact in outcome.facts]

    assert facts(1) == facts(7) == facts(1000)


def test_a_chunk_needs_only_its_own_documents_and_debtors(make_record: Record) -> None:
    reconciliation = Reconciliation(complete=False)
    chunk: list[SourceItem] = [make_record(number="1", debtor_number="D1"), make_record(number="2")]

    needed = reconciliation.lookups(chunk)

    assert needed.documents == {("invoice", "1"), ("invoice", "2")}
    assert needed.debtors == {"D1", "D100"}


def test_finished_run_refuses_more_records(make_record: Record) -> None:
    reconciliation = Reconciliation(complete=False)
    reconciliation.finish([])

    with pytest.raises(RuntimeError):
        reconciliation.reconcile_chunk([make_record()], {}, {}, RunSoFar())


def test_standalone_debtor_in_the_ignore_list(make_record: Record, make_debtor: Any) -> None:
    invoice_only = SourceRecord("line 2", make_record(debtor_number="D5").invoice, None)

    result = run(
        [invoice_only, make_debtor(number="D5")],
        ignore=IgnoreRules.parse(debtor_numbers=["D5"]),
    )

    assert result.facts == []
    assert result.counts.ignored == 2


def test_first_occurrence_of_a_debtor_in_a_run_wins(make_record: Record, make_debtor: Any) -> None:
    first = make_debtor(number="D1", name="First")
    second = make_debtor(number="D1", name="Second")

    result = run(
        [
            make_record(number="1", debtor_number="D1", debtor=first),
            make_record(number="2", debtor_number="D1", debtor=second),
        ]
    )

    assert [f.debtor.name for f in of_type(result, DebtorUpserted)] == ["First"]


def test_a_chunk_is_reconciled_against_what_earlier_chunks_left(
    make_record: Record, make_debtor: Any
) -> None:
    # The reconciliation keeps nothing of earlier chunks itself: a duplicate and a debtor
    # whose details wait for an open invoice are recognised from what the caller hands in.
    reconciliation = Reconciliation(complete=False)
    paid = make_record(number="1", debtor_number="D1", open_amount=Decimal("0"))
    first = reconciliation.reconcile_chunk([paid], {}, {}, RunSoFar())
    assert first.first_seen == {("invoice", "1"): paid.position}
    assert first.debtor_standing["D1"].waiting == paid.debtor
    assert not first.debtor_standing["D1"].decided

    again = make_record(number="1", debtor_number="D1")
    open_one = make_record(
        number="2", debtor_number="D1", debtor=make_debtor(number="D1", name="Later B.V.")
    )
    second = reconciliation.reconcile_chunk(
        [again, open_one], {}, {}, RunSoFar(first.first_seen, first.debtor_standing)
    )

    [duplicate] = second.rejected
    assert duplicate.position == again.position
    assert f"only the first ({paid.position}) was used" in duplicate.reason
    [upserted] = [fact for fact in second.facts if isinstance(fact, DebtorUpserted)]
    assert paid.debtor is not None and upserted.debtor.name == paid.debtor.name
    assert second.debtor_standing["D1"].decided
    assert second.first_seen == {("invoice", "2"): open_one.position}
