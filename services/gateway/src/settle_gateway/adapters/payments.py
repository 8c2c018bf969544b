"""The payments service's internal API, as the debtor portal uses it: create a payment for
invoices (the amount is the payments service's, never ours) and read its status.

    POST /api/v1/administrations/{administration_id}/payments
    GET  /api/v1/administrations/{administration_id}/payments/{payment_id}

A payments service (or PSP) that does not answer, answers 5xx or too slowly is
PaymentsUnavailable; a 409 or 422 is PaymentRefused with the service's sentence; 404 is
PaymentNotFound."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from settle_gateway.adapters.upstream import safe_path
from settle_gateway.domain.portal import (
    PaymentNotFound,
    PaymentRefused,
    PaymentRequest,
    PaymentState,
    PaymentsUnavailable,
)
from settle_shared.logs import get_logger

log = get_logger(__name__)


class PaymentsClient:
    """An HTTP client of the payments service (GatewaySettings.payments_url)."""

    def __init__(self, base_url: str, service_token: str, timeout_s: float) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {service_token}"},
        )

    async def create(self, administration_id: str, request: PaymentRequest) -> PaymentState:
        body: dict[str, Any] = {
            "debtor_id": request.debtor_id,
            "invoice_ids": list(request.invoice_ids),
            "idempotency_key": request.idempotency_key,
            "redirect_url": request.redirect_url,
        }
        if request.locale:
            body["locale"] = request.locale
        if request.plan_id is not None:
            body["plan_id"] = request.plan_id
            body["instalment"] = request.instalment
        path = safe_path(f"/api/v1/administrations/{administration_id}/payments")
        return await self._call("POST", path, json=body)

    async def get(self, administration_id: str, payment_id: str) -> PaymentState:
        path = safe_path(f"/api/v1/administrations/{administration_id}/payments/{payment_id}")
        return await self._call("GET", path)

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> PaymentState:
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("payments service unreachable", error=type(exc).__name__)
            raise PaymentsUnavailable from None
        if response.status_code >= 500 or response.status_code in (401, 403):
            log.warning("payments service failed", status=response.status_code)
            raise PaymentsUnavailable
        if response.status_code == 404:
            raise PaymentNotFound(_detail(response))
        if response.status_code >= 400:
            raise PaymentRefused(_detail(response))
        try:
            return _state(response.json())
        except (ValueError, KeyError, TypeError, InvalidOperation):
            log.warning("payments service answered what is not a payment")
            raise PaymentsUnavailable from None


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return detail if isinstance(detail, str) else response.reason_phrase


def _state(body: dict[str, Any]) -> PaymentState:
    return PaymentState(
        payment_id=str(body["payment_id"]),
        checkout_url=body.get("checkout_url"),
        amount=Decimal(str(body["amount"])),
        currency=str(body["currency"]),
        status=str(body["status"]),
        method=body.get("method"),
        invoices=tuple(
            (str(line["invoice_id"]), Decimal(str(line["amount"])))
            for line in body.get("invoices", [])
        ),
    )
