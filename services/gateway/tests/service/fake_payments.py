"""A stand-in of the payments service's internal API, served over real HTTP on a free port of
127.0.0.1 (the portal's client is an HTTP client; this exercises it as it is).

It keeps its own copy of the invoices it may be asked to pay (debtor, open amount, currency),
as the payments service does, and answers by the contract:

    POST /api/v1/administrations/{id}/payments   201 (200 for a repeated idempotency key),
                                                 404 unknown invoice, 409 not payable, 503 down
    GET  /api/v1/administrations/{id}/payments/{payment_id}
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from settle_shared.testing.infra import free_port


@dataclass
class FakePayments:
    invoices: dict[str, tuple[str, Decimal, str]] = field(default_factory=dict)
    # Payment plans it knows: plan id -> (debtor, what is left of each instalment).
    plans: dict[str, tuple[str, dict[int, Decimal]]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    reads: int = 0
    down: bool = False
    delay_s: float = 0.0
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()
        prefix = "/api/v1/administrations/{administration_id}/payments"

        @app.post(prefix)
        async def create(administration_id: str, request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append({"administration_id": administration_id, **body})
            await asyncio.sleep(self.delay_s)
            if self.down:
                return JSONResponse({"detail": "the PSP does not answer"}, status_code=503)
            known = self.by_key.get(body["idempotency_key"])
            if known is not None:
                return JSONResponse(self.payments[known], status_code=200)
            lines = []
            if body.get("plan_id") is not None:
                debtor_id, left = self.plans.get(body["plan_id"], ("", {}))
                amount = left.get(body.get("instalment") or 1)
                if debtor_id != body["debtor_id"] or amount is None:
                    return JSONResponse({"detail": "no such instalment"}, status_code=404)
                if amount <= 0:
                    return JSONResponse({"detail": "the instalment is paid"}, status_code=409)
                lines.append((f"plan:{body['plan_id']}", amount, "EUR"))
            for invoice_id in body["invoice_ids"]:
                if invoice_id not in self.invoices:
                    return JSONResponse({"detail": f"no invoice {invoice_id}"}, status_code=404)
                debtor_id, amount, currency = self.invoices[invoice_id]
                if debtor_id != body["debtor_id"] or amount <= 0:
                    return JSONResponse(
                        {"detail": f"invoice {invoice_id} is not payable"}, status_code=409
                    )
                lines.append((invoice_id, amount, currency))
            if len({currency for _, _, currency in lines}) != 1:
                return JSONResponse({"detail": "mixed currencies"}, status_code=409)
            payment_id = f"pay-{len(self.payments) + 1}"
            payment = {
                "payment_id": payment_id,
                "checkout_url": f"{self.url}/checkout/{payment_id}",
                "amount": str(sum((amount for _, amount, _ in lines), Decimal("0.00"))),
                "currency": lines[0][2],
                "status": "open",
                "method": None,
                "invoices": [{"invoice_id": i, "amount": str(a)} for i, a, _ in lines],
            }
            self.payments[payment_id] = payment
            self.by_key[body["idempotency_key"]] = payment_id
            return JSONResponse(payment, status_code=201)

        @app.get(prefix + "/{payment_id}")
        async def read(administration_id: str, payment_id: str) -> JSONResponse:
            self.reads += 1
            if self.down:
                return JSONResponse({"detail": "the PSP does not answer"}, status_code=503)
            if payment_id not in self.payments:
                return JSONResponse({"detail": "no such payment"}, status_code=404)
            return JSONResponse(self.payments[payment_id])

        return app

    def settle(self, payment_id: str, status: str, method: str | None = "ideal") -> None:
        """What the PSP reported about the payment, as the payments service now has it."""
        self.payments[payment_id] |= {"status": status, "method": method}


@asynccontextmanager
async def serving_fake_payments() -> AsyncIterator[FakePayments]:
    fake = FakePayments()
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield fake
    finally:
        server.should_exit = True
        await task
