"""A case's rules without I/O: where ready invoices go, the steps and their schedule, what may
be charged and remitted, and the balances replayed from the entries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_collection.domain import cases, charges
from settle_collection.domain.balances import case_balance
from settle_collection.domain.cases import Outcome, PaymentSource, Status, Step, step_due
from settle_collection.domain.errors import (
    CostsNotYetAllowed,
    InvalidCase,
    NotAllowed,
    PartnerUpdateRefused,
    RemitTooMuch,
)
from settle_collection.domain.opening import open_by_hand, place_ready_invoice
from settle_collection.domain.parties import (
    AdministrationSettings,
    CreditNote,
    Debtor,
    Invoice,
    Opening,
)
from settle_collection.domain.partners import Report, apply_report, check_report, forward
from settle_collection.domain.wording import step_message
from settle_law.allocation import AllocationOrder, Part
from settle_law.published import published_rates

pytestmark = pytest.mark.unit

TABLE = published_rates()
DAY = date(2025, 4, 1)
AUTOMATIC = AdministrationSettings(opening=Opening.AUTOMATIC)


def invoice(
    invoice_id: str = "inv-1", debtor_id: str = "deb-1", amount: str = "1000.00"
) -> Invoice:
    return Invoice(
        invoice_id=invoice_id,
        debtor_id=debtor_id,
        number=f"N-{invoice_id}",
        invoice_date=date(2025, 1, 1),
        due_date=date(2025, 1, 31),
        amount=Decimal(amount),
        open_amount=Decimal(amount),
        currency="EUR",
        version=1,
        ready_on=DAY,
        legal_letter_sent_on=date(2025, 3, 10),
    )


CONSUMER = Debtor("deb-1", "D1", "J. de Vries", "consumer", emails=("j@example.nl",))


def a_case(settings: AdministrationSettings = AUTOMATIC) -> cases.Case:
    placed = place_ready_invoice("adm", invoice(), CONSUMER, [], settings, [], DAY, "case-1")
    assert placed is not None
    return placed.case


def test_a_ready_invoice_opens_a_case_or_joins_the_debtors_open_one() -> None:
    case = a_case()
    assert (case.status, case.step, case.invoice_ids) == (Status.OPEN, Step.NEW, ["inv-1"])
    joined = place_ready_invoice(
        "adm", invoice("inv-2"), CONSUMER, [case], AUTOMATIC, [], DAY, "case-2"
    )
    assert joined is not None and not joined.created
    assert joined.case.invoice_ids == ["inv-1", "inv-2"]
    # Once forwarded, the next ready invoice starts a case of its own.
    gone = forward(case, "example-bailiff", "h-1", DAY)
    later = place_ready_invoice(
        "adm", invoice("inv-3"), CONSUMER, [gone], AUTOMATIC, [], DAY, "case-3"
    )
    assert later is not None and later.created and later.case.case_id == "case-3"


def test_an_unmatched_credit_note_or_the_administrations_choice_proposes_the_case() -> None:
    note = CreditNote("cn-1", "deb-1", Decimal("-10.00"), 1)
    proposed = place_ready_invoice("adm", invoice(), CONSUMER, [], AUTOMATIC, [note], DAY, "c")
    assert proposed is not None and proposed.case.status is Status.PROPOSED
    assert "unmatched credit note" in (proposed.case.entries[0].reason or "")
    matched = CreditNote("cn-1", "deb-1", Decimal("0.00"), 2)
    opened = place_ready_invoice("adm", invoice(), CONSUMER, [], AUTOMATIC, [matched], DAY, "c")
    assert opened is not None and opened.case.status is Status.OPEN
    assert a_case(AdministrationSettings()).status is Status.PROPOSED


def test_a_case_by_hand_is_for_one_debtors_open_invoices() -> None:
    with pytest.raises(InvalidCase, match="2 debtors"):
        open_by_hand(
            "adm",
            [invoice("a", "deb-1"), invoice("b", "deb-2")],
            {"deb-1": CONSUMER},
            [],
            DAY,
            "c",
        )
    with pytest.raises(InvalidCase, match="in a case already"):
        open_by_hand("adm", [invoice()], {"deb-1": CONSUMER}, [a_case()], DAY, "c")


def test_steps_follow_the_schedule_and_only_go_forward() -> None:
    case = a_case()
    assert step_due(case, 14, date(2025, 4, 14)) is None
    assert step_due(case, 14, date(2025, 4, 15)) is Step.REMINDER
    moved = cases.move_to(case, Step.REMINDER, date(2025, 4, 15), "schedule")
    assert step_due(moved, 14, date(2025, 4, 15)) is None  # the same day again: nothing
    with pytest.raises(NotAllowed, match="only go forward"):
        cases.move_to(moved, Step.NEW, date(2025, 4, 16), "user")
    with pytest.raises(NotAllowed, match="forward the case"):
        cases.move_to(moved, Step.PRE_COURT, date(2025, 4, 16), "user")
    paused = cases.pause(moved, date(2025, 4, 16))
    assert step_due(paused, 14, date(2025, 6, 1)) is None
    resumed = cases.resume(paused, date(2025, 6, 1))
    assert step_due(resumed, 14, date(2025, 6, 14)) is None  # its days count from the resume


def test_the_notice_of_default_states_the_amounts_in_the_debtors_language() -> None:
    case = charges.charge_costs(a_case(), AUTOMATIC, DAY)
    balance = case_balance(case, DAY, TABLE, 2)
    debtor = Debtor("deb-1", "D1", "J. de Vries", "consumer", emails=("j@x.nl",), language="nl")
    message = step_message(case, Step.NOTICE_OF_DEFAULT, debtor, balance, DAY)
    assert message is not None and message.channels == ("email",)
    assert message.subject == "Ingebrekestelling: openstaande vordering N-inv-1"
    assert "Incassokosten: € 150,00" in message.body and "Totaal: € 1.150,00" in message.body
    english = step_message(case, Step.REMINDER, CONSUMER, balance, DAY)
    assert english is not None and "Total: EUR 1,150.00" in english.body


def test_costs_wait_for_the_fourteen_day_term_and_are_never_charged_twice() -> None:
    case = a_case()
    with pytest.raises(CostsNotYetAllowed, match="from 2025-03-27"):
        charges.charge_costs(case, AUTOMATIC, date(2025, 3, 26))
    charged = charges.charge_costs(case, AUTOMATIC, date(2025, 3, 27), amount=Decimal("100"))
    rest = charges.charge_costs(charged, AUTOMATIC, date(2025, 3, 27))
    assert rest.costs_charged == Decimal("150.00")
    with pytest.raises(NotAllowed):
        charges.charge_costs(rest, AUTOMATIC, date(2025, 3, 27))


def test_a_payment_goes_to_costs_then_interest_then_principal_and_back_when_refunded() -> None:
    case = charges.charge_interest(charges.charge_costs(a_case(), AUTOMATIC, DAY), DAY)
    paid = charges.receive_payment(
        case, "pay-1", Decimal("300.00"), PaymentSource.ONLINE, date(2025, 5, 1)
    )
    balance = case_balance(paid, date(2025, 5, 1), TABLE, 2)
    [allocation] = balance.payments
    assert (allocation.costs, allocation.interest, allocation.principal) == (
        Decimal("150.00"),
        Decimal("5.75"),
        Decimal("144.25"),
    )
    # The money went back: what it paid is owed again.
    refunded = charges.reverse_payment(paid, "pay-1", Decimal("300.00"), date(2025, 5, 2), "x")
    again = case_balance(refunded, date(2025, 5, 2), TABLE, 2)
    assert (again.principal_open, again.costs_open, again.paid) == (
        Decimal("1000.00"),
        Decimal("150.00"),
        Decimal("0.00"),
    )
    assert refunded.unbooked == Decimal("0.00")


def test_an_import_booking_money_reported_before_is_not_a_second_payment() -> None:
    case = charges.receive_payment(
        a_case(), "partner-1", Decimal("400.00"), PaymentSource.PARTNER, DAY
    )
    booked = charges.booked(case, Decimal("500.00"), "bookkeeping-1", DAY)
    balance = case_balance(booked, DAY, TABLE, 2)
    assert [p.amount for p in balance.payments] == [Decimal("400.00"), Decimal("100.00")]
    assert booked.unbooked == Decimal("0.00")


def test_allocating_a_payment_otherwise_replays_the_balances() -> None:
    case = charges.charge_costs(a_case(), AUTOMATIC, DAY)
    paid = charges.receive_payment(case, "p", Decimal("100.00"), PaymentSource.MANUAL, DAY)
    changed = charges.change_allocation(paid, "p", AllocationOrder.PRINCIPAL_FIRST, DAY)
    balance = case_balance(changed, DAY, TABLE, 2)
    assert (balance.costs_open, balance.principal_open) == (Decimal("150.00"), Decimal("900.00"))


def test_more_than_is_open_is_never_remitted() -> None:
    case = charges.charge_costs(a_case(), AUTOMATIC, DAY)
    balance = case_balance(case, DAY, TABLE, 2)
    with pytest.raises(RemitTooMuch):
        charges.remit(case, Part.COSTS, Decimal("150.01"), "x", balance, DAY)
    with pytest.raises(RemitTooMuch):
        charges.remit(case, Part.INTEREST, None, "x", balance, DAY)
    remitted = charges.remit(case, Part.COSTS, None, "goodwill", balance, DAY)
    assert case_balance(remitted, DAY, TABLE, 2).costs_remitted == Decimal("150.00")


def test_a_paid_case_closes_and_with_the_choice_the_rest_is_remitted() -> None:
    settings = AdministrationSettings(opening=Opening.AUTOMATIC, close_when_principal_paid=True)
    case = charges.charge_costs(a_case(settings), settings, DAY)
    paid = charges.receive_payment(
        case,
        "p",
        Decimal("1000.00"),
        PaymentSource.MANUAL,
        DAY,
        order=AllocationOrder.PRINCIPAL_FIRST,
    )
    closed = charges.close_when_paid(paid, settings, case_balance(paid, DAY, TABLE, 2), DAY)
    assert closed is not None and closed.outcome is Outcome.REMITTED
    assert case_balance(closed, DAY, TABLE, 2).total == Decimal("0.00")
    without = charges.close_when_paid(paid, AUTOMATIC, case_balance(paid, DAY, TABLE, 2), DAY)
    assert without is None


def report(case: cases.Case, sequence: int, kind: str, **extra: object) -> Report:
    return Report(
        update_id=f"u{sequence}",
        administration_id="adm",
        case_id=case.case_id,
        handoff_id="h-1",
        partner_id="example-bailiff",
        sequence=sequence,
        kind=kind,
        on=DAY,
        **extra,  # type: ignore[arg-type]
    )


def test_the_partners_reports_in_order_once() -> None:
    case = forward(a_case(), "example-bailiff", "h-1", DAY)
    accepted = apply_report(case, report(case, 2, "accepted"))
    assert accepted.partner_status == "accepted"
    assert apply_report(accepted, report(case, 1, "rejected", reason="late")) == accepted
    rejected = apply_report(accepted, report(case, 3, "rejected", reason="no assets"))
    assert (rejected.step, rejected.partner_id) == (Step.READY_FOR_BAILIFF, None)


def test_a_report_about_a_case_the_partner_does_not_hold_is_refused() -> None:
    case = forward(a_case(), "example-bailiff", "h-1", DAY)
    with pytest.raises(PartnerUpdateRefused, match="no case"):
        check_report(None, report(case, 1, "accepted"))
    with pytest.raises(PartnerUpdateRefused, match="not a case of administration"):
        check_report(
            case, Report(**{**vars(report(case, 1, "accepted")), "administration_id": "b"})
        )
    with pytest.raises(PartnerUpdateRefused, match="amount"):
        check_report(case, report(case, 1, "payment_received"))
