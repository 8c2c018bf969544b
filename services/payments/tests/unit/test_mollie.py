"""The Mollie adapter reads a payment as Mollie's API v2 documents it, and maps its failures
to the two errors the use cases know."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from settle_payments.adapters.psp.mollie import MolliePsp, is_payment_id, report_of
from settle_payments.application.ports import CheckoutRequest
from settle_payments.domain.errors import PspRefused, PspUnavailable
from settle_payments.domain.statuses import PaymentStatus

pytestmark = pytest.mark.unit

PAYMENT = {
    "resource": "payment",
    "id": "tr_WDqYK6vllg",
    "amount": {"value": "10.00", "currency": "EUR"},
    "status": "paid",
    "method": "ideal",
    "_embedded": {
        "refunds": [
            {"id": "re_done", "amount": {"currency": "EUR", "value": "2.00"}, "status": "refunded",
             "createdAt": "2018-03-14T17:09:02.0Z"},
            {"id": "re_queued", "amount": {"currency": "EUR", "value": "1.00"}, "status": "queued"},
            {"id": "re_failed", "amount": {"currency": "EUR", "value": "1.00"}, "status": "failed"},
        ],
        "chargebacks": [
            {"id": "chb_1", "amount": {"currency": "EUR", "value": "8.00"}, "reversedAt": None},
            {"id": "chb_2", "amount": {"currency": "EUR", "value": "8.00"},
             "reversedAt": "2018-03-15T10:00:00+00:00"},
        ],
    },
}  # fmt: skip


def test_a_report_counts_refunds_that_cannot_be_canceled_and_chargebacks_not_reversed() -> None:
    report = report_of(PAYMENT)

    assert report.status is PaymentStatus.PAID and report.method == "ideal"
    assert [r.refund_id for r in report.refunds] == ["re_done"]
    assert report.refunds[0].amount == Decimal("2.00")
    assert [c.chargeback_id for c in report.chargebacks] == ["chb_1"]
    assert report.reported_status is PaymentStatus.CHARGED_BACK


def test_an_unknown_status_leaves_the_payment_where_it_is() -> None:
    assert report_of({**PAYMENT, "status": "something_new", "_embedded": {}}).status is (
        PaymentStatus.OPEN
    )


@pytest.mark.parametrize(
    "value", ["tr_WDqYK6vllg", "tr_../payments", "re_abc", "tr_", "tr_a/b", "tr_a?x=1"]
)
def test_only_payment_ids_reach_a_url(value: str) -> None:
    assert is_payment_id(value) is (value == "tr_WDqYK6vllg")


def _psp(handler) -> MolliePsp:  # type: ignore[no-untyped-def]
    return MolliePsp("https://api.example/v2", "test_key", transport=httpx.MockTransport(handler))


async def test_a_payment_is_created_with_mollie_s_fields_and_our_idempotency_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            201,
            json={"id": "tr_1", "status": "open",
                  "_links": {"checkout": {"href": "https://pay.example/1"}}},
        )  # fmt: skip

    psp = _psp(handler)
    checkout = await psp.create_payment(
        CheckoutRequest(
            amount=Decimal("10"),
            currency="EUR",
            description="Invoice 1",
            redirect_url="https://portal.example/done",
            webhook_url="https://payments.example/webhooks/mollie",
            methods=("ideal", "creditcard", "bancontact"),
            metadata={"payment_id": "pay-1"},
        ),
        idempotency_key="pay-1",
    )

    assert (checkout.psp_payment_id, checkout.checkout_url) == ("tr_1", "https://pay.example/1")
    [request] = seen
    assert request.url == "https://api.example/v2/payments"
    assert request.headers["Idempotency-Key"] == "pay-1"
    assert request.headers["Authorization"] == "Bearer test_key"
    import json

    body = json.loads(request.content)
    assert body["amount"] == {"currency": "EUR", "value": "10.00"}
    assert body["redirectUrl"] == "https://portal.example/done"
    assert body["webhookUrl"] == "https://payments.example/webhooks/mollie"
    assert body["method"] == ["ideal", "creditcard", "bancontact"]
    assert body["metadata"] == {"payment_id": "pay-1"}
    await psp.close()


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (httpx.Response(503), PspUnavailable),
        (httpx.Response(429), PspUnavailable),
        (httpx.Response(401, json={"detail": "Missing authentication"}), PspRefused),
        (httpx.Response(404, json={"detail": "No payment exists"}), PspRefused),
    ],
)
async def test_psp_failures_become_unavailable_or_refused(answer, error) -> None:
    psp = _psp(lambda request: answer)
    with pytest.raises(error):
        await psp.get_payment("tr_1")
    await psp.close()


async def test_a_psp_that_cannot_be_reached_is_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    psp = _psp(handler)
    with pytest.raises(PspUnavailable):
        await psp.get_payment("tr_1")
    await psp.close()
