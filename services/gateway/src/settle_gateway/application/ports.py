"""What the gateway's routes need from the edge, as protocols: the adapters implement them."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from settle_gateway.domain.portal import PaymentRequest, PaymentState


class NeighbourServices(Protocol):
    """The internal APIs of the services a command belongs to (adapters/upstream.py)."""

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call `service`; its 2xx answer, or an HTTPException for the user."""

    async def close(self) -> None:
        """Close the clients."""


class OnlinePayments(Protocol):
    """The payments service's API for the debtor portal (adapters/payments.py). Refusals are
    the domain's: PaymentsUnavailable, PaymentRefused, PaymentNotFound (domain/portal.py)."""

    async def create(self, administration_id: str, request: PaymentRequest) -> PaymentState:
        """A payment for the invoices of the request (the same idempotency key: the same
        payment), with the checkout the debtor pays at."""

    async def get(self, administration_id: str, payment_id: str) -> PaymentState:
        """The payment with its current status."""

    async def close(self) -> None:
        """Close the client."""
