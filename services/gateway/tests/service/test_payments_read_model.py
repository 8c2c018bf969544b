"""Online payments in the read model: on the invoice and the debtor, the dashboard's "paid
online, not yet booked", and the list of payments; idempotent and in order like the rest."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import payments

from .conftest import ADM, NOW, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def covered(*pairs: tuple[str, str]) -> dict[str, Any]:
    lines = [payments.CoveredInvoice(invoice_id=i, amount=Decimal(a)) for i, a in pairs]
    return {
        "administration_id": ADM,
        "debtor_id": "deb-1",
        "invoices": lines,
        "amount": sum((line.amount for line in lines), Decimal("0.00")),
        "currency": "EUR",
    }


async def created(gateway: Gateway, payment_id: str, *pairs: tuple[str, str]) -> None:
    await gateway.deliver(
        payments.PaymentCreated(
            payment_id=payment_id,
            psp="mollie",
            psp_payment_id=f"tr_{payment_id}",
            created_at=NOW,
            **covered(*pairs),
        )
    )


async def status(
    gateway: Gateway,
    payment_id: str,
    new: str,
    *pairs: tuple[str, str],
    minutes: int = 1,
    previous: str = "open",
) -> None:
    await gateway.deliver(
        payments.PaymentStatusChanged(
            payment_id=payment_id,
            status=new,  # type: ignore[arg-type]
            previous_status=previous,  # type: ignore[arg-type]
            psp_status=new,
            method="ideal",
            changed_at=NOW + timedelta(minutes=minutes),
            **covered(*pairs),
        )
    )


async def invoice(gateway: Gateway, invoice_id: str) -> dict[str, Any]:
    answer = await gateway.get(f"{API}/invoices/{invoice_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_paid_payment_shows_on_invoice_debtor_and_dashboard_until_booked(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1", amount="121.00")
    await gateway.invoice("inv-2", amount="100.00")
    await gateway.invoice("inv-3", amount="50.00")
    await created(gateway, "pay-1", ("inv-1", "121.00"), ("inv-2", "100.00"))
    # Created is not paid: nothing is paid online yet, but the payment is on the timeline.
    detail = await invoice(gateway, "inv-1")
    assert detail["paid_online"] is None
    [entry] = [e for e in detail["timeline"] if e["kind"] == "payment"]
    assert (entry["payment_id"], entry["state"], entry["amount"]) == ("pay-1", "open", "121.00")
    assert (await gateway.dashboard())["paid_online_not_booked"] == []

    await status(gateway, "pay-1", "paid", ("inv-1", "121.00"), ("inv-2", "100.00"))
    detail = await invoice(gateway, "inv-1")
    assert detail["paid_online"] == "121.00"
    [entry] = [e for e in detail["timeline"] if e["kind"] == "payment"]
    assert (entry["state"], entry["method"], entry["currency"]) == ("paid", "ideal", "EUR")
    listed = (await gateway.get(f"{API}/invoices")).json()["items"]
    assert {i["invoice_id"]: i["paid_online"] for i in listed} == {
        "inv-1": "121.00",
        "inv-2": "100.00",
        "inv-3": None,
    }
    assert (await gateway.dashboard())["paid_online_not_booked"] == [
        {"currency": "EUR", "count": 2, "total": "221.00"}
    ]
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    [payment] = debtor["payments"]
    assert payment["status"] == "paid" and payment["amount"] == "221.00"
    assert [c["invoice_id"] for c in payment["invoices"]] == ["inv-1", "inv-2"]

    # Bookkeeping books inv-1: the next import settles it, and it is no longer "not booked".
    await gateway.settled("inv-1")
    assert (await gateway.dashboard())["paid_online_not_booked"] == [
        {"currency": "EUR", "count": 1, "total": "100.00"}
    ]
    await gateway.settled("inv-2")
    assert (await gateway.dashboard())["paid_online_not_booked"] == []


async def test_a_refund_or_chargeback_takes_the_invoice_back(gateway: Gateway) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1", amount="121.00")
    await gateway.invoice("inv-2", amount="80.00")
    await created(gateway, "pay-1", ("inv-1", "121.00"))
    await created(gateway, "pay-2", ("inv-2", "80.00"))
    await status(gateway, "pay-1", "paid", ("inv-1", "121.00"))
    await status(gateway, "pay-2", "paid", ("inv-2", "80.00"))
    await gateway.deliver(
        payments.PaymentRefunded(
            payment_id="pay-1",
            refunded_amount=Decimal("21.00"),
            total_refunded=Decimal("21.00"),
            fully_refunded=False,
            refunded_at=NOW + timedelta(hours=1),
            **covered(("inv-1", "121.00")),
        )
    )
    await gateway.deliver(
        payments.PaymentChargedBack(
            payment_id="pay-2",
            charged_back_amount=Decimal("80.00"),
            charged_back_at=NOW + timedelta(hours=2),
            **covered(("inv-2", "80.00")),
        )
    )
    assert (await invoice(gateway, "inv-1"))["paid_online"] is None
    assert (await invoice(gateway, "inv-2"))["paid_online"] is None
    assert (await gateway.dashboard())["paid_online_not_booked"] == []
    page = (await gateway.get(f"{API}/payments")).json()["items"]
    by_id = {p["payment_id"]: p for p in page}
    assert (by_id["pay-1"]["status"], by_id["pay-1"]["refunded_amount"]) == ("refunded", "21.00")
    assert (by_id["pay-2"]["status"], by_id["pay-2"]["charged_back_amount"]) == (
        "charged_back",
        "80.00",
    )


async def test_late_redelivered_and_out_of_order_facts_change_nothing_twice(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1", amount="121.00")
    # The status arrives before the creation, and a late "open" after "paid".
    await status(gateway, "pay-1", "paid", ("inv-1", "121.00"), minutes=5)
    await created(gateway, "pay-1", ("inv-1", "121.00"))
    await status(gateway, "pay-1", "pending", ("inv-1", "121.00"), minutes=2)
    fact = payments.PaymentStatusChanged(
        payment_id="pay-1",
        status="paid",
        previous_status="pending",
        psp_status="paid",
        changed_at=NOW + timedelta(minutes=5),
        **covered(("inv-1", "121.00")),
    )
    await gateway.deliver(fact, event_id="same")
    await gateway.deliver(fact, event_id="same")
    await gateway.deliver(fact)  # the same fact again under a new id
    [payment] = (await gateway.get(f"{API}/payments", params={"debtor_id": "deb-1"})).json()[
        "items"
    ]
    assert payment["status"] == "paid" and payment["created_at"].startswith("2025-03-20T09:00")
    assert (await gateway.dashboard())["paid_online_not_booked"] == [
        {"currency": "EUR", "count": 1, "total": "121.00"}
    ]


async def test_the_payment_list_pages_newest_first_and_filters(gateway: Gateway) -> None:
    await gateway.debtor()
    for number in range(5):
        await gateway.invoice(f"inv-{number}", amount="10.00")
        await gateway.deliver(
            payments.PaymentCreated(
                payment_id=f"pay-{number}",
                psp="mollie",
                psp_payment_id=f"tr_{number}",
                created_at=NOW + timedelta(minutes=number),
                **covered((f"inv-{number}", "10.00")),
            )
        )
    await status(gateway, "pay-3", "failed", ("inv-3", "10.00"), minutes=10)
    first = (await gateway.get(f"{API}/payments", params={"limit": 2})).json()
    assert [p["payment_id"] for p in first["items"]] == ["pay-4", "pay-3"]
    second = (
        await gateway.get(f"{API}/payments", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [p["payment_id"] for p in second["items"]] == ["pay-2", "pay-1"]
    failed = (await gateway.get(f"{API}/payments", params={"status": "failed"})).json()
    assert [p["payment_id"] for p in failed["items"]] == ["pay-3"]
    # Another administration's user sees none of them.
    assert (await gateway.get(f"{API}/payments", "bob@b.example")).status_code == 404
