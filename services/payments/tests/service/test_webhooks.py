"""Mollie's webhook: it names a payment, we fetch its state from the PSP ourselves. Forged
ids change nothing, repeats are one change, a late older state never wins, refunds and
chargebacks are published once each, and a PSP that is down or slow gets a clear answer and
is asked again later."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from settle_payments.application.reports import refresh_payments

from .conftest import BASE, PaymentsHarness, imported

pytestmark = pytest.mark.service


async def _open_payment(service: PaymentsHarness, *invoice_ids: str) -> tuple[str, str]:
    for invoice_id in invoice_ids or ("inv-1",):
        await service.deliver(imported(invoice_id))
    body = (await service.pay(*(invoice_ids or ("inv-1",)))).json()
    return body["payment_id"], await service.psp_id(body["payment_id"])


async def test_a_paid_payment_is_fetched_stored_and_published(service: PaymentsHarness) -> None:
    payment_id, psp_id = await _open_payment(service)
    await service.bank_says(psp_id, "paid", method="ideal")

    answer = await service.webhook(psp_id)

    assert answer.status_code == 200
    shown = (await service.client.get(f"{BASE}/{payment_id}")).json()
    assert (shown["status"], shown["method"]) == ("paid", "ideal")
    kind, changed = (await service.events())[-1]
    assert kind == "settle.payments.payment.status_changed"
    assert (changed["previous_status"], changed["status"]) == ("open", "paid")
    assert changed["invoices"] == [{"invoice_id": "inv-1", "amount": "121.00"}]


async def test_the_same_notice_ten_times_is_one_change(service: PaymentsHarness) -> None:
    _, psp_id = await _open_payment(service)
    await service.bank_says(psp_id, "paid")

    answers = await asyncio.gather(*(service.webhook(psp_id) for _ in range(10)))

    assert {a.status_code for a in answers} == {200}
    assert await service.event_types() == ["created", "status_changed"]


async def test_a_late_older_state_never_overrides_a_newer_one(service: PaymentsHarness) -> None:
    payment_id, psp_id = await _open_payment(service)
    await service.bank_says(psp_id, "paid")
    await service.webhook(psp_id)
    # A handler that fetched "open" before the payment was paid stores it only now.
    from settle_payments.application.reports import apply_report
    from settle_payments.domain.payments import PspReport
    from settle_payments.domain.statuses import PaymentStatus

    await apply_report(service.ctx, payment_id, PspReport(psp_id, PaymentStatus.OPEN, "open"))
    await service.bank_says(psp_id, "expired")
    await service.webhook(psp_id)

    shown = (await service.client.get(f"{BASE}/{payment_id}")).json()
    assert shown["status"] == "paid"
    assert await service.event_types() == ["created", "status_changed"]


@pytest.mark.parametrize(
    "forged", ["tr_neverCreated1", "tr_", "x" * 5000, "tr_../../v2/refunds", ""]
)
async def test_a_forged_webhook_changes_nothing(service: PaymentsHarness, forged: str) -> None:
    await _open_payment(service)

    answer = await service.webhook(forged)

    # 200, as Mollie recommends: nobody learns which ids exist.
    assert answer.status_code == 200
    assert await service.event_types() == ["created"]


async def test_a_flood_of_forged_webhooks_costs_no_call_to_the_psp(
    service: PaymentsHarness,
) -> None:
    calls = 0
    real_get = service.ctx.psp.get_payment

    async def counted(psp_payment_id: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return await real_get(psp_payment_id)

    service.ctx.psp.get_payment = counted  # type: ignore[method-assign]
    answers = await asyncio.gather(*(service.webhook(f"tr_forged{i}") for i in range(300)))

    assert {a.status_code for a in answers} == {200}
    assert calls == 0


async def test_refunds_and_chargebacks_are_fetched_and_published_once(
    service: PaymentsHarness,
) -> None:
    payment_id, psp_id = await _open_payment(service)
    await service.bank_says(psp_id, "paid")
    await service.webhook(psp_id)
    refund_id = await service.ctx.psp.create_refund(
        psp_id, Decimal("21.00"), "EUR", "part back", idempotency_key="refund-1"
    )
    await service.webhook(psp_id)
    await service.webhook(psp_id)
    await service.psp("POST", f"/_local/payments/{psp_id}/chargebacks", json={"amount": "100.00"})
    await service.webhook(psp_id)

    events = await service.events()
    kinds = [kind.rsplit(".", 1)[-1] for kind, _ in events]
    assert kinds == [
        "created",
        "status_changed",  # paid
        "status_changed",  # refunded
        "refunded",
        "status_changed",  # charged back
        "charged_back",
    ]
    refunded = events[3][1]
    assert refund_id.startswith("re_")
    assert (refunded["refunded_amount"], refunded["total_refunded"]) == ("21.00", "21.00")
    assert refunded["fully_refunded"] is False
    assert events[5][1]["charged_back_amount"] == "100.00"
    shown = (await service.client.get(f"{BASE}/{payment_id}")).json()
    assert (shown["status"], shown["amount_refunded"]) == ("charged_back", "21.00")


async def test_a_psp_that_is_down_gets_a_clear_503_and_nothing_is_stored_twice(
    service: PaymentsHarness,
) -> None:
    await service.deliver(imported("inv-1"))
    await service.psp("POST", "/_local/mode", json={"mode": "unavailable"})
    try:
        refused = await service.pay("inv-1", key="click-1")
    finally:
        await service.psp("POST", "/_local/mode", json={"mode": "real"})

    assert refused.status_code == 503
    assert "try again" in refused.json()["detail"]
    assert refused.headers["Retry-After"]
    assert await service.event_types() == []

    again = await service.pay("inv-1", key="click-1")

    assert again.status_code == 201
    assert await service.count("payments") == 1
    assert await service.event_types() == ["created"]


async def test_a_slow_psp_times_out_with_503_and_the_same_click_reaches_one_psp_payment(
    service: PaymentsHarness,
) -> None:
    await service.deliver(imported("inv-1"))
    await service.psp("POST", "/_local/mode", json={"mode": "slow", "slow_s": 3})
    try:
        slow = await service.pay("inv-1", key="click-1")  # the PSP still makes the payment
    finally:
        await service.psp("POST", "/_local/mode", json={"mode": "real"})
    again = await service.pay("inv-1", key="click-1")

    assert slow.status_code == 503
    assert again.status_code == 201
    # The PSP got our payment's id as idempotency key both times: one payment there.
    listed = await service.client.get(BASE, params={"debtor_id": "deb-1"})
    assert len(listed.json()["items"]) == 1


async def test_a_webhook_the_psp_cannot_answer_is_fetched_again_later(
    service: PaymentsHarness,
) -> None:
    payment_id, psp_id = await _open_payment(service)
    await service.bank_says(psp_id, "paid")
    await service.psp("POST", "/_local/mode", json={"mode": "unavailable"})
    try:
        failed = await service.webhook(psp_id)
    finally:
        await service.psp("POST", "/_local/mode", json={"mode": "real"})

    assert failed.status_code == 503  # Mollie calls again later
    assert (await service.client.get(f"{BASE}/{payment_id}")).json()["status"] == "open"

    assert await refresh_payments(service.ctx) == 1

    assert (await service.client.get(f"{BASE}/{payment_id}")).json()["status"] == "paid"
