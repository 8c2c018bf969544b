"""The PSP port spoken as Mollie's API v2 (https://docs.mollie.com/reference/v2/): payments
create and get (with their refunds and chargebacks embedded), refunds create. A small httpx
client: Mollie's official Python client is synchronous.

The same code talks to Mollie and to the local PSP (adapters/psp/local_server.py); only the
base URL and the key differ (SETTLE_PAYMENTS_PSP_BASE_URL, SETTLE_PAYMENTS_PSP_API_KEY)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from settle_payments.application.ports import Checkout, CheckoutRequest
from settle_payments.domain.errors import PspRefused, PspUnavailable
from settle_payments.domain.money import to_amount
from settle_payments.domain.payments import Chargeback, PspReport, Refund
from settle_payments.domain.statuses import PaymentStatus
from settle_shared.logs import get_logger

log = get_logger(__name__)

NAME = "mollie"
# Mollie's ids: a prefix (tr_, re_, chb_) and letters and digits. Checked before an id goes
# into a URL, so a forged one cannot reach another path of the API.
PSP_ID = re.compile(r"^[a-z]{2,4}_[A-Za-z0-9]{1,64}$")
# Mollie's states are ours up to expired; refunds and chargebacks are properties of a payment.
STATUSES = {
    status.value: status
    for status in PaymentStatus
    if status not in (PaymentStatus.REFUNDED, PaymentStatus.CHARGED_BACK)
}
# A refund counts once it can no longer be canceled (queued and pending ones still can; failed
# and canceled ones never sent anything).
REFUND_COUNTS = frozenset({"processing", "refunded"})


def is_payment_id(value: str) -> bool:
    """True for a string shaped like a Mollie payment id (tr_…)."""
    return value.startswith("tr_") and PSP_ID.match(value) is not None


def amount_object(amount: Decimal, currency: str) -> dict[str, str]:
    """Mollie's amount: {"currency": "EUR", "value": "10.00"} (a string, exact decimals)."""
    return {"currency": currency, "value": str(to_amount(amount, currency))}


def _amount(data: Any, currency: str) -> Decimal:
    try:
        return to_amount(Decimal(str(data["value"])), currency)
    except (KeyError, TypeError, InvalidOperation):
        raise PspRefused(f"the PSP sent an amount we cannot read: {data!r}") from None


def _time(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.now(UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def report_of(data: dict[str, Any]) -> PspReport:
    """Our report of a Mollie payment object (with `_embedded` refunds and chargebacks)."""
    psp_status = str(data.get("status", ""))
    status = STATUSES.get(psp_status)
    if status is None:
        log.warning("unknown Mollie status; payment left as it is", status=psp_status)
        status = PaymentStatus.OPEN
    currency = str(data.get("amount", {}).get("currency", "EUR"))
    embedded = data.get("_embedded") or {}
    refunds = tuple(
        Refund(str(r["id"]), _amount(r["amount"], currency), _time(r.get("createdAt")))
        for r in embedded.get("refunds", ())
        if r.get("status") in REFUND_COUNTS
    )
    chargebacks = tuple(
        Chargeback(str(c["id"]), _amount(c["amount"], currency), _time(c.get("createdAt")))
        for c in embedded.get("chargebacks", ())
        if not c.get("reversedAt")
    )
    return PspReport(
        psp_payment_id=str(data["id"]),
        status=status,
        psp_status=psp_status,
        method=data.get("method"),
        refunds=refunds,
        chargebacks=chargebacks,
    )


class MolliePsp:
    """Mollie's API v2 over one pooled HTTP connection per host."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/hal+json"},
            timeout=timeout_s,
            transport=transport,
            limits=httpx.Limits(max_connections=50, max_keepalive_connections=50),
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.TimeoutException:
            raise PspUnavailable("the PSP did not answer in time") from None
        except httpx.TransportError as exc:
            raise PspUnavailable(f"the PSP cannot be reached ({type(exc).__name__})") from None
        if response.status_code == 429 or response.status_code >= 500:
            raise PspUnavailable(f"the PSP answered {response.status_code}; try again later")
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise PspRefused(f"the PSP refused the request ({response.status_code}): {detail}")
        try:
            data: dict[str, Any] = response.json()
        except ValueError:
            raise PspUnavailable("the PSP answered with something that is not JSON") from None
        return data

    async def create_payment(self, request: CheckoutRequest, *, idempotency_key: str) -> Checkout:
        body: dict[str, Any] = {
            "amount": amount_object(request.amount, request.currency),
            "description": request.description,
            "redirectUrl": request.redirect_url,
            "webhookUrl": request.webhook_url,
            "metadata": request.metadata,
        }
        if request.methods:
            body["method"] = list(request.methods)
        if request.locale:
            body["locale"] = request.locale
        data = await self._call(
            "POST", "payments", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        try:
            return Checkout(
                psp_payment_id=str(data["id"]),
                checkout_url=str(data["_links"]["checkout"]["href"]),
                psp_status=str(data.get("status", "open")),
            )
        except (KeyError, TypeError):
            raise PspRefused("the PSP's answer lacks the payment's id or checkout") from None

    async def get_payment(self, psp_payment_id: str) -> PspReport:
        if not is_payment_id(psp_payment_id):
            raise PspRefused(f"{psp_payment_id!r} is not a Mollie payment id")
        data = await self._call(
            "GET", f"payments/{psp_payment_id}", params={"embed": "refunds,chargebacks"}
        )
        return report_of(data)

    async def create_refund(
        self,
        psp_payment_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        *,
        idempotency_key: str,
    ) -> str:
        if not is_payment_id(psp_payment_id):
            raise PspRefused(f"{psp_payment_id!r} is not a Mollie payment id")
        data = await self._call(
            "POST",
            f"payments/{psp_payment_id}/refunds",
            json={"amount": amount_object(amount, currency), "description": description},
            headers={"Idempotency-Key": idempotency_key},
        )
        return str(data["id"])

    async def close(self) -> None:
        await self.client.aclose()
