"""The states of a payment: a report applies only when it moves the payment forward, so
repeated, late and crossed webhooks end in the newest state whatever their order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from settle_payments.domain.payments import (
    Chargeback,
    CoveredInvoice,
    Payment,
    PspReport,
    Refund,
    apply_psp_report,
)
from settle_payments.domain.statuses import PaymentStatus, may_follow

pytestmark = pytest.mark.unit

S = PaymentStatus
AT = datetime(2025, 3, 20, 10, 0, tzinfo=UTC)


def payment(status: PaymentStatus = S.OPEN) -> Payment:
    return Payment(
        payment_id="pay-1",
        administration_id="adm-1",
        debtor_id="deb-1",
        invoices=(CoveredInvoice("inv-1", "2025-001", Decimal("100.00")),),
        amount=Decimal("100.00"),
        currency="EUR",
        description="Invoice 2025-001",
        redirect_url="https://portal.example/done",
        idempotency_key="k",
        created_at=AT,
        status=status,
        psp_payment_id="tr_1",
    )


def report(status: PaymentStatus, *refunds: Refund, chargebacks: tuple[Chargeback, ...] = ()):
    return PspReport("tr_1", status, status.value, "ideal", tuple(refunds), chargebacks)


def refund(refund_id: str, amount: str = "10.00") -> Refund:
    return Refund(refund_id, Decimal(amount), AT)


@pytest.mark.parametrize(
    ("current", "reported", "follows"),
    [
        (S.OPEN, S.PENDING, True),
        (S.OPEN, S.PAID, True),
        (S.PENDING, S.PAID, True),
        (S.AUTHORIZED, S.PAID, True),
        (S.OPEN, S.EXPIRED, True),
        (S.PAID, S.REFUNDED, True),
        (S.REFUNDED, S.CHARGED_BACK, True),
        (S.PAID, S.OPEN, False),  # a late "open"
        (S.PAID, S.PENDING, False),
        (S.PAID, S.EXPIRED, False),  # outcomes are final
        (S.FAILED, S.PAID, False),
        (S.PAID, S.PAID, False),  # a repeat
        (S.EXPIRED, S.REFUNDED, False),  # nothing was received
        (S.CANCELED, S.CHARGED_BACK, False),
        (S.CHARGED_BACK, S.REFUNDED, False),
    ],
)
def test_which_state_may_follow_which(current, reported, follows) -> None:
    assert may_follow(current, reported) is follows


def test_a_late_open_never_overrides_paid() -> None:
    paid = apply_psp_report(payment(), report(S.PAID), AT).payment

    late = apply_psp_report(paid, report(S.OPEN), AT)

    assert late.payment.status is S.PAID and not late.changed


def test_a_refund_missed_while_open_still_counts_once_the_report_says_paid() -> None:
    # The paid webhook was lost; the next report already carries a refund.
    update = apply_psp_report(payment(), report(S.PAID, refund("re_1")), AT)

    assert update.payment.status is S.REFUNDED
    assert update.status_change is not None and update.status_change.previous is S.OPEN
    assert update.new_refunds == (refund("re_1"),)


def test_a_second_partial_refund_moves_money_not_the_state() -> None:
    once = apply_psp_report(payment(S.PAID), report(S.PAID, refund("re_1")), AT).payment

    twice = apply_psp_report(once, report(S.PAID, refund("re_1"), refund("re_2", "5.00")), AT)

    assert twice.status_change is None
    assert [r.refund_id for r in twice.new_refunds] == ["re_2"]
    assert twice.payment.amount_refunded == Decimal("15.00")
    assert not twice.payment.fully_refunded


CHARGEBACK = Chargeback("chb_1", Decimal("80"), AT)
# A payment's true life, as the PSP reports it at successive moments.
LIVES = [
    [report(S.OPEN), report(S.PENDING), report(S.PAID)],
    [report(S.OPEN), report(S.AUTHORIZED), report(S.PAID), report(S.PAID, refund("re_1"))],
    [report(S.OPEN), report(S.EXPIRED)],
    [report(S.OPEN), report(S.CANCELED)],
    [report(S.OPEN), report(S.PENDING), report(S.FAILED)],
    [
        report(S.OPEN),
        report(S.PAID),
        report(S.PAID, refund("re_1")),
        report(S.PAID, refund("re_1"), refund("re_2")),
        report(S.PAID, refund("re_1"), refund("re_2"), chargebacks=(CHARGEBACK,)),
    ],
]


@given(
    life=st.sampled_from(LIVES),
    order=st.randoms(use_true_random=False),
    repeats=st.integers(min_value=1, max_value=3),
)
def test_any_order_of_reports_ends_in_the_newest_state_with_each_refund_counted_once(
    life, order, repeats
) -> None:
    deliveries = [r for r in life for _ in range(repeats)]
    order.shuffle(deliveries)
    current = payment()
    changes = []
    for delivered in deliveries:
        update = apply_psp_report(current, delivered, AT)
        if update.status_change:
            changes.append(update.status_change)
        current = update.payment

    newest = life[-1]
    assert current.status is newest.reported_status
    assert {r.refund_id for r in current.refunds} == {r.refund_id for r in newest.refunds}
    assert len(current.refunds) == len(newest.refunds)
    # Each change moved forward: no state was published twice, none went back.
    stages = [c.status.stage for c in changes]
    assert stages == sorted(set(stages))


@given(st.sampled_from([r for life in LIVES for r in life]))
def test_the_same_report_twice_changes_nothing_the_second_time(delivered: PspReport) -> None:
    once = apply_psp_report(payment(), delivered, AT).payment

    assert not apply_psp_report(once, delivered, AT).changed
