"""Payment plans over collection cases: a case counts for its balance, the plan refuses a case
of another debtor, currency or one that is not open, with the partner or in another plan;
what collection allocates to a case counts once (not again beside the online payment), and a
plan whose invoices and cases are all settled is completed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_dunning.domain.errors import InvalidPlan, PlanRefused
from settle_dunning.domain.plans import (
    CaseToCover,
    PlanKind,
    PlanStatus,
    PlanTerms,
    ProposedBy,
    case_closed,
    case_paid,
    completed_if_settled,
    make_plan,
    open_amount_imported,
    own_share,
    payment_paid,
)

from .factories import invoice, planned_state, sent_and_reminders

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 10)
MONTHLY = PlanTerms(PlanKind.MONTHLY, date(2025, 3, 20), instalments=3)


def a_case(case_id: str = "case-1", **changes: object) -> CaseToCover:
    fields: dict[str, object] = {
        "case_id": case_id,
        "debtor_id": "debtor-1",
        "currency": "EUR",
        "status": "open",
        "step": "reminder",
        "invoice_ids": (f"{case_id}-inv",),
        "balance": Decimal("1181.75"),
    }
    fields.update(changes)
    return CaseToCover(**fields)  # type: ignore[arg-type]


def plan_over(*cases: CaseToCover, states: list | None = None, **kwargs: object):  # type: ignore[no-untyped-def,type-arg]
    states = states or []
    return make_plan(
        "plan-1",
        states,
        [s.invoice_id for s in states],
        MONTHLY,
        TODAY,
        cases=cases,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_case_counts_for_its_balance_beside_the_invoices() -> None:
    state = planned_state(invoice(amount="100.00", debtor_id="debtor-1"), sent_and_reminders())

    plan = plan_over(a_case(), states=[state])

    assert plan.covered == Decimal("1281.75") and plan.case_ids == ("case-1",)
    assert [i.amount for i in plan.instalments] == [
        Decimal("427.25"),
        Decimal("427.25"),
        Decimal("427.25"),
    ]
    assert plan.all_invoice_ids == (state.invoice_id, "case-1-inv")
    alone = plan_over(a_case())
    assert alone.debtor_id == "debtor-1" and alone.invoice_ids == ()
    assert alone.covered == Decimal("1181.75")


def test_bad_cases_are_refused() -> None:
    with pytest.raises(PlanRefused, match="more than one debtor"):
        plan_over(a_case(), a_case("case-2", debtor_id="debtor-2"))
    other_debtor = planned_state(invoice(debtor_id="debtor-2"), sent_and_reminders())
    with pytest.raises(PlanRefused, match="more than one debtor"):
        plan_over(a_case(), states=[other_debtor])
    with pytest.raises(PlanRefused, match="more than one currency"):
        plan_over(a_case(), a_case("case-2", currency="USD"))
    with pytest.raises(PlanRefused, match="is closed: only an open case") as closed:
        plan_over(a_case(status="closed"))
    assert closed.value.code == "case_not_open"
    with pytest.raises(PlanRefused, match="is proposed"):
        plan_over(a_case(status="proposed"))
    with pytest.raises(PlanRefused, match="with the collection partner") as handed:
        plan_over(a_case(step="pre_court"))
    assert handed.value.code == "case_with_partner"
    with pytest.raises(PlanRefused, match="nothing open"):
        plan_over(a_case(balance=Decimal("0.00")))
    with pytest.raises(PlanRefused, match="already in payment plan plan-0") as taken:
        plan_over(a_case(), in_other_plans={"case-1": "plan-0"})
    assert taken.value.code == "already_in_plan"
    with pytest.raises(InvalidPlan, match="named twice"):
        plan_over(a_case(), a_case())
    with pytest.raises(PlanRefused, match="invoices only"):
        plan_over(a_case(), proposed_by=ProposedBy.DEBTOR)
    with pytest.raises(InvalidPlan, match="at least one invoice or case"):
        make_plan("plan-1", [], [], MONTHLY, TODAY)


def test_money_collection_allocates_counts_once_beside_the_online_payment() -> None:
    plan = plan_over(a_case(balance=Decimal("300.00")))
    # The instalment paid online pays the case's invoice: dunning counts nothing of it
    # itself (no invoice of its own) ...
    share = own_share(plan, [("case-1-inv", Decimal("100.00"))])
    assert share == Decimal("0.00")
    paid = payment_paid(plan, "pay-1", share)
    assert paid.paid == Decimal("0.00") and paid.counted_payments == ("pay-1",)
    # Nothing changed for the debtor yet: no new version, so no event that would tell the
    # payments service the instalment is still unpaid while collection allocates it.
    assert paid.version == plan.version
    # ... collection allocates it to the case and reports it: it counts then, once.
    allocated = case_paid(paid, "case-1", Decimal("100.00"))
    assert allocated.paid == Decimal("100.00")
    assert [p.status for p in allocated.progress()] == ["paid", "open", "open"]
    # Money that went back is owed again.
    back = case_paid(allocated, "case-1", Decimal("-100.00"))
    assert back.paid == Decimal("0.00")


def test_a_payment_over_an_invoice_and_a_case_counts_each_share_once() -> None:
    state = planned_state(invoice(amount="100.00", debtor_id="debtor-1"), sent_and_reminders())
    plan = plan_over(a_case(balance=Decimal("200.00")), states=[state])
    covered = [(state.invoice_id, Decimal("100.00")), ("case-1-inv", Decimal("50.00"))]
    # Online: the invoice's share at once; the case's share when collection allocates it.
    paid = payment_paid(plan, "pay-1", own_share(plan, covered))
    assert paid.paid == Decimal("100.00")
    allocated = case_paid(paid, "case-1", Decimal("50.00"))
    assert allocated.paid == Decimal("150.00")


def test_a_plan_whose_cases_are_all_closed_is_completed() -> None:
    plan = plan_over(a_case(), a_case("case-2", balance=Decimal("10.00")))
    one = case_closed(plan, "case-1")
    assert not one.settled
    assert completed_if_settled(one, TODAY).status is PlanStatus.ACTIVE
    both = case_paid(one, "case-2", Decimal("10.00"))
    assert both.settled
    done = completed_if_settled(both, TODAY)
    assert done.status is PlanStatus.COMPLETED and done.ended_on == TODAY
    # A case the plan does not cover changes nothing.
    assert case_paid(plan, "case-9", Decimal("5.00")) == plan


def test_an_import_beside_a_case_books_only_what_the_invoice_went_down_by() -> None:
    first = planned_state(invoice(amount="100.00", debtor_id="debtor-1"), sent_and_reminders())
    second = planned_state(invoice(amount="100.00", debtor_id="debtor-1"), sent_and_reminders())
    plan = plan_over(a_case(), states=[first, second])
    paid = payment_paid(plan, "pay-1", Decimal("100.00"))  # the first invoice, online
    assert paid.paid == Decimal("100.00")

    # The import lowers the second invoice by 10.00: that books 10.00 of the online payment
    # (booked online first), no more; the case's open balance is not "booked" money.
    imported = open_amount_imported(paid, second.invoice_id, Decimal("90.00"))

    assert imported.unbooked_online == Decimal("90.00")
    assert imported.paid == Decimal("100.00")
