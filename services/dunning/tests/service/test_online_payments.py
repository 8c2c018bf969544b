"""A payment stops the reminders until the bookkeeping books it: dunning holds the invoices an
online payment covers, and resumes their flow (from that day, no burst) when the money goes
back or no booking comes in time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from settle_dunning.application.online_payments import end_unbooked_holds
from settle_shared.events import importer, payments

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

PAID_AT = datetime(2025, 3, 20, 10, 30, tzinfo=UTC)


def _covered(*invoice_ids: str) -> list[payments.CoveredInvoice]:
    return [payments.CoveredInvoice(invoice_id=i, amount=Decimal("121.00")) for i in invoice_ids]


def status_changed(
    status: str, previous: str = "open", *invoice_ids: str, payment_id: str = "pay-1"
):
    covered = _covered(*(invoice_ids or ("inv-1",)))
    return payments.PaymentStatusChanged(
        administration_id=ADM,
        payment_id=payment_id,
        debtor_id="deb-1",
        invoices=covered,
        amount=sum((c.amount for c in covered), Decimal(0)),
        currency="EUR",
        status=status,
        previous_status=previous,
        psp_status=status,
        method="ideal",
        changed_at=PAID_AT,
    )


def refunded(*invoice_ids: str) -> payments.PaymentRefunded:
    covered = _covered(*(invoice_ids or ("inv-1",)))
    return payments.PaymentRefunded(
        administration_id=ADM,
        payment_id="pay-1",
        debtor_id="deb-1",
        invoices=covered,
        amount=Decimal("121.00"),
        currency="EUR",
        refunded_amount=Decimal("121.00"),
        total_refunded=Decimal("121.00"),
        fully_refunded=True,
        refunded_at=PAID_AT,
    )


async def _overdue_invoice(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice(due=date(2025, 3, 3))


async def _open_items(dunning: Dunning) -> set[tuple[str, str]]:
    return {(item["subject_id"], item["reason"]) for item in await dunning.attention()}


async def test_a_paid_invoice_is_held_with_attention_and_gets_no_reminder(
    dunning: Dunning,
) -> None:
    await _overdue_invoice(dunning)

    await dunning.deliver(status_changed("paid"))

    planned = (await dunning.events("step.planned"))[-1]
    assert planned["blocked_by"] == "online_payment_registered"
    assert ("inv-1", "online_payment_registered") in await _open_items(dunning)
    [item] = [i for i in await dunning.attention() if i["reason"] == "online_payment_registered"]
    assert "paid online by ideal on 2025-03-20 (EUR 121.00)" in item["sentence"]
    assert "2025-03-25" in item["sentence"]

    await dunning.run(date(2025, 3, 21))

    assert await dunning.events("message.requested") == []


async def test_a_pending_payment_holds_too_and_paid_after_it_holds_once(dunning: Dunning) -> None:
    await _overdue_invoice(dunning)

    await dunning.deliver(status_changed("pending"))
    await dunning.deliver(status_changed("paid", "pending"))

    raised = [e for e in await dunning.events("attention.raised")
              if e["reason"] == "online_payment_registered"]  # fmt: skip
    assert len(raised) == 1


async def test_the_import_that_settles_the_invoice_ends_the_hold(dunning: Dunning) -> None:
    await _overdue_invoice(dunning)
    await dunning.deliver(status_changed("paid"))

    await dunning.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )

    assert await _open_items(dunning) == set()
    resolved = (await dunning.events("attention.resolved"))[-1]
    assert resolved["reason"] == "online_payment_registered"
    assert "booked" in resolved["sentence"]
    # Days later nothing resumes: the hold ended with the booking.
    dunning.today(date(2025, 4, 1))
    assert await end_unbooked_holds(dunning.harness.runtime.app.state.dunning) == 0


async def test_a_refund_resumes_the_flow_from_that_day_and_raises_attention(
    dunning: Dunning,
) -> None:
    await _overdue_invoice(dunning)
    await dunning.deliver(status_changed("paid"))
    dunning.today(date(2025, 3, 24))

    await dunning.deliver(status_changed("refunded", "paid"))
    await dunning.deliver(refunded())

    planned = (await dunning.events("step.planned"))[-1]
    assert planned["blocked_by"] is None
    assert planned["planned_on"] == "2025-03-24"
    assert await _open_items(dunning) == {("inv-1", "online_payment_reversed")}

    await dunning.run(date(2025, 3, 24))

    [request] = await dunning.events("message.requested")
    assert [i["invoice_id"] for i in request["invoices"]] == ["inv-1"]


async def test_a_pending_payment_that_fails_resumes_the_flow(dunning: Dunning) -> None:
    await _overdue_invoice(dunning)
    await dunning.deliver(status_changed("pending"))

    await dunning.deliver(status_changed("failed", "pending"))

    assert (await dunning.events("step.planned"))[-1]["blocked_by"] is None
    assert await _open_items(dunning) == set()


async def test_no_booking_within_the_hold_resumes_the_flow_once_without_a_burst(
    dunning: Dunning,
) -> None:
    await _overdue_invoice(dunning)
    await dunning.deliver(status_changed("paid"))
    ctx = dunning.harness.runtime.app.state.dunning
    dunning.today(date(2025, 3, 24))
    assert await end_unbooked_holds(dunning.harness.runtime.app.state.dunning) == 0

    dunning.today(date(2025, 3, 25))  # five days (SETTLE_DUNNING_PAYMENT_HOLD_DAYS) later
    assert await end_unbooked_holds(dunning.harness.runtime.app.state.dunning) == 1
    assert await end_unbooked_holds(dunning.harness.runtime.app.state.dunning) == 0

    assert ctx.settings.payment_hold_days == 5
    assert await _open_items(dunning) == {("inv-1", "online_payment_not_booked")}
    assert (await dunning.events("step.planned"))[-1]["planned_on"] == "2025-03-25"
    await dunning.run(date(2025, 3, 25))
    # One reminder, of the step that fell due during the hold; the next one waits its turn.
    [request] = await dunning.events("message.requested")
    assert request["business_date"] == "2025-03-25"


async def test_a_payment_of_an_invoice_dunning_does_not_know_changes_nothing(
    dunning: Dunning,
) -> None:
    await _overdue_invoice(dunning)

    await dunning.deliver(status_changed("paid", "open", "inv-unknown"))

    assert await dunning.attention() == []
    assert dunning.dead == []


async def test_an_invoice_paid_before_it_reached_dunning_arrives_held(dunning: Dunning) -> None:
    # The payments service took the import in first, and the debtor paid at once.
    await dunning.debtor()
    await dunning.deliver(status_changed("paid"))
    assert await dunning.attention() == []

    await dunning.invoice(due=date(2025, 3, 3))

    planned = (await dunning.events("step.planned"))[-1]
    assert planned["blocked_by"] == "online_payment_registered"
    [item] = [i for i in await dunning.attention() if i["reason"] == "online_payment_registered"]
    assert "before it reached reminders" in item["sentence"]
    await dunning.run(date(2025, 3, 21))
    assert await dunning.events("message.requested") == []
    assert dunning.dead == []
