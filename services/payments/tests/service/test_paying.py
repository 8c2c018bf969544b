"""The portal's contract: a debtor pays open invoices; the amount is ours, the PSP payment is
made once per idempotency key, and a refusal says why."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from settle_shared.events.importer import InvoiceChanged, InvoiceSettled

from .conftest import ADM, BASE, PaymentsHarness, imported

pytestmark = pytest.mark.service


async def test_a_debtor_pays_two_invoices_for_their_open_amounts(
    service: PaymentsHarness,
) -> None:
    await service.deliver(imported("inv-1", open_amount=Decimal("121.00")))
    await service.deliver(imported("inv-2", open_amount=Decimal("30.50")))

    answer = await service.pay("inv-1", "inv-2")

    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["amount"] == "151.50" and body["currency"] == "EUR"
    assert body["status"] == "open"
    assert body["invoices"] == [
        {"invoice_id": "inv-1", "amount": "121.00"},
        {"invoice_id": "inv-2", "amount": "30.50"},
    ]
    # The checkout is the local PSP's page, for exactly that amount.
    page = httpx.get(body["checkout_url"])
    assert "EUR 151.50" in page.text
    assert await service.event_types() == ["created"]


async def test_the_same_pay_click_twice_is_one_psp_payment(service: PaymentsHarness) -> None:
    await service.deliver(imported("inv-1"))

    first = await service.pay("inv-1", key="click-1")
    again = await service.pay("inv-1", key="click-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert await service.count("payments") == 1
    assert await service.event_types() == ["created"]


async def test_an_amount_or_currency_in_the_request_is_ignored(service: PaymentsHarness) -> None:
    await service.deliver(imported("inv-1", open_amount=Decimal("121.00")))

    answer = await service.pay("inv-1", amount="0.01", currency="USD")

    assert answer.status_code == 201
    assert (answer.json()["amount"], answer.json()["currency"]) == ("121.00", "EUR")


async def test_the_amount_is_the_open_amount_known_when_the_debtor_pays(
    service: PaymentsHarness,
) -> None:
    # A reminder said 121.00; bookkeeping booked a part since: the debtor pays what is left.
    await service.deliver(imported("inv-1", open_amount=Decimal("121.00")))
    await service.deliver(
        InvoiceChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="2025-inv-1",
            version=2,
            run_id="run-2",
            open_amount=Decimal("21.00"),
            previous_open_amount=Decimal("121.00"),
            currency="EUR",
        )
    )

    answer = await service.pay("inv-1")

    assert answer.json()["amount"] == "21.00"


@pytest.mark.parametrize(
    ("invoice_ids", "debtor_id", "status", "error"),
    [
        (["inv-404"], "deb-1", 404, "unknown_invoice"),
        (["inv-1"], "deb-404", 404, "unknown_debtor"),
        (["inv-other"], "deb-1", 409, "invoice_of_another_debtor"),
        (["inv-settled"], "deb-1", 409, "invoice_not_open"),
        (["inv-1", "inv-usd"], "deb-1", 409, "mixed_currencies"),
        ([], "deb-1", 409, "nothing_to_pay"),
    ],
)
async def test_what_cannot_be_paid_is_refused_with_a_reason(
    service: PaymentsHarness, invoice_ids: list[str], debtor_id: str, status: int, error: str
) -> None:
    await service.deliver(imported("inv-1"))
    await service.deliver(imported("inv-usd", currency="USD"))
    await service.deliver(imported("inv-other", debtor_id="deb-2"))
    await service.deliver(imported("inv-settled"))
    await service.deliver(
        InvoiceSettled(
            administration_id=ADM,
            invoice_id="inv-settled",
            number="2025-inv-settled",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )

    answer = await service.client.post(
        BASE,
        json={
            "debtor_id": debtor_id,
            "invoice_ids": invoice_ids,
            "idempotency_key": "k",
            "redirect_url": "https://portal.example/done",
        },
    )

    assert answer.status_code == status, answer.text
    assert answer.json()["error"] == error
    assert answer.json()["detail"]
    assert await service.count("payments") == 0


async def test_only_the_gateway_may_ask(service: PaymentsHarness) -> None:
    answer = await service.client.get(BASE, headers={"Authorization": "Bearer forged"})
    assert answer.status_code == 401


async def test_a_payment_is_read_back_and_listed(service: PaymentsHarness) -> None:
    await service.deliver(imported("inv-1"))
    await service.deliver(imported("inv-2"))
    first = (await service.pay("inv-1", key="a")).json()
    second = (await service.pay("inv-2", key="b")).json()

    one = await service.client.get(f"{BASE}/{first['payment_id']}")
    by_invoice = await service.client.get(BASE, params={"invoice_id": "inv-2"})
    by_debtor = await service.client.get(BASE, params={"debtor_id": "deb-1"})

    assert one.json() == first
    assert [p["payment_id"] for p in by_invoice.json()["items"]] == [second["payment_id"]]
    assert {p["payment_id"] for p in by_debtor.json()["items"]} == {
        first["payment_id"],
        second["payment_id"],
    }
    assert (await service.client.get(f"{BASE}/nope")).status_code == 404
