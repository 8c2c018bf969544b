"""The local PSP: a stand-in for Mollie for `settle up` and the tests, as a process of its own.

It speaks the subset of Mollie's API v2 that adapters/psp/mollie.py uses (payments create and
get with `embed=refunds,chargebacks`, refunds create and list, chargebacks list, the
Idempotency-Key header, Bearer keys, Mollie's error bodies), and serves a checkout page where a
person, or a browser test, chooses what happens: paid, failed, canceled or expired. Then it
sends the debtor back to the payment's redirectUrl and calls its webhookUrl with the id, as
Mollie does: at once, again a little later (a repeated call) and once more later still (a late
call).

Run: `settle payments local-psp --port 8040` or
`python -m settle_payments.adapters.psp.local_server --port 8040`. A few routes under /_local/
let tests do what only a bank or a person would (a chargeback, a PSP that is down or slow)."""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import secrets
import string
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

DEFAULT_PORT = 8040
MODULE = "settle_payments.adapters.psp.local_server"
OUTCOMES = ("paid", "failed", "canceled", "expired")
OUTCOME_LABELS = {"paid": "Paid", "failed": "Failed", "canceled": "Canceled", "expired": "Expired"}
METHOD_LABELS = {"ideal": "iDEAL", "creditcard": "Card", "bancontact": "Bancontact"}
_ALPHABET = string.ascii_letters + string.digits


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _error(status: int, title: str, detail: str) -> JSONResponse:
    """An error body as Mollie writes it."""
    return JSONResponse(
        {"status": status, "title": title, "detail": detail},
        status_code=status,
        media_type="application/hal+json",
    )


class Refusal(Exception):
    """An API call the local PSP answers with a Mollie error body."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class LocalPayment:
    id: str
    amount: dict[str, str]
    description: str
    redirect_url: str
    webhook_url: str | None
    metadata: Any
    methods: list[str]
    created_at: str
    status: str = "open"
    method: str | None = None
    paid_at: str | None = None
    refunds: list[dict[str, Any]] = field(default_factory=list)
    chargebacks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LocalPsp:
    """The local PSP's state: its payments and the answers it gave per idempotency key."""

    api_key: str
    public_url: str
    webhook_delay_s: float = 2.0
    data_file: Path | None = None
    payments: dict[str, LocalPayment] = field(default_factory=dict)
    idempotent: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    mode: str = "real"  # real, unavailable, slow
    slow_s: float = 30.0
    webhooks_sent: list[tuple[str, str, int | None]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def load(self) -> None:
        if self.data_file is None or not self.data_file.exists():
            return
        data = json.loads(self.data_file.read_text())
        self.payments = {p["id"]: LocalPayment(**p) for p in data.get("payments", [])}

    def save(self) -> None:
        # Kept across restarts of the embedded stack, like the services' databases.
        if self.data_file is None:
            return
        tmp = self.data_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"payments": [asdict(p) for p in self.payments.values()]}))
        tmp.replace(self.data_file)

    def payment_object(self, payment: LocalPayment, embed: set[str]) -> dict[str, Any]:
        """A payment as Mollie's API returns it."""
        currency = payment.amount["currency"]
        base = f"{self.public_url}/v2/payments/{payment.id}"
        body: dict[str, Any] = {
            "resource": "payment",
            "id": payment.id,
            "mode": "test",
            "createdAt": payment.created_at,
            "amount": payment.amount,
            "description": payment.description,
            "method": payment.method,
            "metadata": payment.metadata,
            "status": payment.status,
            "isCancelable": False,
            "sequenceType": "oneoff",
            "redirectUrl": payment.redirect_url,
            "webhookUrl": payment.webhook_url,
            "_links": {"self": {"href": base, "type": "application/hal+json"}},
        }
        if payment.status == "open":
            body["_links"]["checkout"] = {
                "href": f"{self.public_url}/checkout/{payment.id}",
                "type": "text/html",
            }
        if payment.paid_at:
            body["paidAt"] = payment.paid_at
        counted = [r for r in payment.refunds if r["status"] in ("processing", "refunded")]
        if payment.status == "paid":
            refunded = sum((Decimal(r["amount"]["value"]) for r in counted), Decimal(0))
            remaining = Decimal(payment.amount["value"]) - refunded
            body["amountRefunded"] = {"currency": currency, "value": f"{refunded:.2f}"}
            body["amountRemaining"] = {"currency": currency, "value": f"{remaining:.2f}"}
        if payment.chargebacks:
            charged = sum((Decimal(c["amount"]["value"]) for c in payment.chargebacks), Decimal(0))
            body["amountChargedBack"] = {"currency": currency, "value": f"{charged:.2f}"}
        embedded = {}
        if "refunds" in embed:
            embedded["refunds"] = payment.refunds
        if "chargebacks" in embed:
            embedded["chargebacks"] = payment.chargebacks
        if embedded:
            body["_embedded"] = embedded
        return body

    def call_webhook(self, payment: LocalPayment) -> None:
        """Call the payment's webhook as Mollie does: now, repeated, and late."""
        if not payment.webhook_url:
            return
        for delay in (0.0, self.webhook_delay_s, 2 * self.webhook_delay_s):
            task = asyncio.create_task(self._post_webhook(payment.webhook_url, payment.id, delay))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _post_webhook(self, url: str, payment_id: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        status: int | None = None
        try:
            async with httpx.AsyncClient(timeout=15.0) as client:
                response = await client.post(url, data={"id": payment_id})
                status = response.status_code
        except httpx.HTTPError:
            pass
        self.webhooks_sent.append((payment_id, url, status))


def create_app(psp: LocalPsp) -> FastAPI:
    """The local PSP's HTTP application."""
    app = FastAPI(title="Settle local PSP (Mollie API v2 subset)", openapi_url=None)
    app.state.psp = psp

    async def api_guard(request: Request) -> None:
        # What Mollie does first: a PSP that is down or slow, then the API key.
        if psp.mode == "unavailable":
            raise Refusal(_error(503, "Service Unavailable", "the local PSP is set to be down"))
        if psp.mode == "slow":
            await asyncio.sleep(psp.slow_s)
        given = request.headers.get("authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {psp.api_key}".encode()):
            raise Refusal(
                _error(
                    401, "Unauthorized Request", "Missing authentication, or failed to authenticate"
                )
            )

    async def refused(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, Refusal)
        return exc.response

    app.add_exception_handler(Refusal, refused)
    api = APIRouter(prefix="/v2", dependencies=[Depends(api_guard)])

    @app.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/payments")
    async def create_payment(request: Request) -> Response:
        raw = await request.body()
        key = request.headers.get("idempotency-key")
        if key and key in psp.idempotent:
            body_seen, answer = psp.idempotent[key]
            if body_seen != raw.decode():
                return _error(
                    400, "Bad Request", "the idempotency key was used with other parameters"
                )
            return JSONResponse(answer, status_code=201, headers={"Idempotent-Replayed": "true"})
        try:
            data = json.loads(raw)
            amount = data["amount"]
            value = Decimal(amount["value"])
            currency = str(amount["currency"])
            description = str(data["description"])
            redirect_url = str(data["redirectUrl"])
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return _error(
                422, "Unprocessable Entity", "amount, description and redirectUrl are required"
            )
        if value <= 0 or str(amount["value"]) != f"{value:.2f}":
            return _error(422, "Unprocessable Entity", "The amount is invalid (use two decimals)")
        methods = data.get("method") or list(METHOD_LABELS)
        payment = LocalPayment(
            id=_new_id("tr_"),
            amount={"currency": currency, "value": amount["value"]},
            description=description[:255],
            redirect_url=redirect_url,
            webhook_url=data.get("webhookUrl"),
            metadata=data.get("metadata"),
            methods=[methods] if isinstance(methods, str) else list(methods),
            created_at=_now(),
        )
        psp.payments[payment.id] = payment
        psp.save()
        answer = psp.payment_object(payment, set())
        if key:
            psp.idempotent[key] = (raw.decode(), answer)
        return JSONResponse(answer, status_code=201, media_type="application/hal+json")

    def _found(payment_id: str) -> LocalPayment | None:
        return psp.payments.get(payment_id)

    @api.get("/payments/{payment_id}")
    async def get_payment(payment_id: str, embed: str = "") -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", "No payment exists with token " + payment_id)
        body = psp.payment_object(payment, set(embed.split(",")))
        return JSONResponse(body, media_type="application/hal+json")

    @api.post("/payments/{payment_id}/refunds")
    async def create_refund(payment_id: str, request: Request) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", "No payment exists with token " + payment_id)
        key = request.headers.get("idempotency-key")
        raw = await request.body()
        if key and key in psp.idempotent:
            return JSONResponse(psp.idempotent[key][1], status_code=201)
        try:
            data = json.loads(raw)
            value = Decimal(data["amount"]["value"])
        except (ValueError, KeyError, TypeError, InvalidOperation):
            return _error(422, "Unprocessable Entity", "amount is required")
        counted = [r for r in payment.refunds if r["status"] in ("processing", "refunded")]
        refunded = sum((Decimal(r["amount"]["value"]) for r in counted), Decimal(0))
        if payment.status != "paid" or refunded + value > Decimal(payment.amount["value"]):
            return _error(422, "Unprocessable Entity", "The payment cannot be refunded this much")
        refund = {
            "resource": "refund",
            "id": _new_id("re_"),
            "amount": {"currency": payment.amount["currency"], "value": f"{value:.2f}"},
            "status": "refunded",
            "createdAt": _now(),
            "description": str(data.get("description", "")),
            "paymentId": payment.id,
        }
        payment.refunds.append(refund)
        psp.save()
        if key:
            psp.idempotent[key] = (raw.decode(), refund)
        psp.call_webhook(payment)
        return JSONResponse(refund, status_code=201, media_type="application/hal+json")

    @api.get("/payments/{payment_id}/refunds")
    async def list_refunds(payment_id: str) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", "No payment exists with token " + payment_id)
        return JSONResponse(
            {"count": len(payment.refunds), "_embedded": {"refunds": payment.refunds}}
        )

    @api.get("/payments/{payment_id}/chargebacks")
    async def list_chargebacks(payment_id: str) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", "No payment exists with token " + payment_id)
        return JSONResponse(
            {"count": len(payment.chargebacks), "_embedded": {"chargebacks": payment.chargebacks}}
        )

    @app.get("/checkout/{payment_id}", response_class=HTMLResponse)
    async def checkout_page(payment_id: str) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return HTMLResponse(_page("Payment not found", "<p>No such payment.</p>"), 404)
        return HTMLResponse(_checkout(payment))

    @app.post("/checkout/{payment_id}")
    async def checkout_chosen(payment_id: str, request: Request) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return HTMLResponse(_page("Payment not found", "<p>No such payment.</p>"), 404)
        form = _form(await request.body())
        outcome = form.get("outcome", "")
        method = form.get("method") or (payment.methods[0] if payment.methods else None)
        if outcome not in OUTCOMES or (method and method not in payment.methods):
            return HTMLResponse(_checkout(payment, "Choose one of the buttons."), 422)
        if payment.status == "open":
            set_status(payment, outcome, method)
            psp.save()
            psp.call_webhook(payment)
        return RedirectResponse(payment.redirect_url, status_code=303)

    app.include_router(api)

    # -- what only a bank or a test does ---------------------------------------------------

    @app.post("/_local/payments/{payment_id}/status")
    async def force_status(payment_id: str, request: Request) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", payment_id)
        data = await request.json()
        set_status(payment, str(data["status"]), data.get("method"))
        psp.save()
        if data.get("webhook", True):
            psp.call_webhook(payment)
        return JSONResponse(psp.payment_object(payment, {"refunds", "chargebacks"}))

    @app.post("/_local/payments/{payment_id}/chargebacks")
    async def charge_back(payment_id: str, request: Request) -> Response:
        payment = _found(payment_id)
        if payment is None:
            return _error(404, "Not Found", payment_id)
        data = await request.json()
        chargeback = {
            "resource": "chargeback",
            "id": _new_id("chb_"),
            "amount": {
                "currency": payment.amount["currency"],
                "value": str(data.get("amount") or payment.amount["value"]),
            },
            "createdAt": _now(),
            "reversedAt": None,
            "paymentId": payment.id,
        }
        payment.chargebacks.append(chargeback)
        psp.save()
        psp.call_webhook(payment)
        return JSONResponse(chargeback, status_code=201)

    @app.post("/_local/mode")
    async def set_mode(request: Request) -> dict[str, Any]:
        data = await request.json()
        if data.get("mode") not in ("real", "unavailable", "slow"):
            return {"error": "mode is real, unavailable or slow"}
        psp.mode = data["mode"]
        psp.slow_s = float(data.get("slow_s", psp.slow_s))
        return {"mode": psp.mode, "slow_s": psp.slow_s}

    @app.get("/_local/webhooks")
    async def webhooks() -> list[dict[str, Any]]:
        return [{"id": i, "url": u, "status": s} for i, u, s in psp.webhooks_sent]

    return app


def set_status(payment: LocalPayment, status: str, method: str | None) -> None:
    """Move a payment as a bank would."""
    payment.status = status
    payment.method = method or payment.method
    if status == "paid":
        payment.paid_at = _now()


def _form(body: bytes) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(body.decode("utf-8", "replace"), max_num_fields=20))


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;"
        "color:#111;background:#fff}button{font-size:1rem;padding:.6rem 1rem;margin:.3rem;"
        "border:2px solid #111;border-radius:.4rem;background:#fff;color:#111;cursor:pointer}"
        "button:focus{outline:3px solid #0b57d0;outline-offset:2px}fieldset{margin:1rem 0}"
        ".note{color:#444}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _checkout(payment: LocalPayment, problem: str | None = None) -> str:
    amount = f"{payment.amount['currency']} {payment.amount['value']}"
    if payment.status != "open":
        return _page(
            "Payment " + payment.status,
            f"<h1>Payment {html.escape(payment.status)}</h1>"
            f'<p><a href="{html.escape(payment.redirect_url)}">Back to the shop</a></p>',
        )
    methods = "".join(
        f'<label><input type="radio" name="method" value="{html.escape(m)}"'
        f"{' checked' if i == 0 else ''}> {html.escape(METHOD_LABELS.get(m, m))}</label><br>"
        for i, m in enumerate(payment.methods)
    )
    buttons = "".join(
        f'<button type="submit" name="outcome" value="{o}">{OUTCOME_LABELS[o]}</button>'
        for o in OUTCOMES
    )
    alert = f'<p role="alert">{html.escape(problem)}</p>' if problem else ""
    return _page(
        "Checkout: " + amount,
        "<h1>Local PSP checkout</h1>"
        '<p class="note">A stand-in for the payment provider: choose what the bank says.</p>'
        f"{alert}<p>{html.escape(payment.description)}</p>"
        f'<p>Amount: <strong data-testid="amount">{html.escape(amount)}</strong></p>'
        f'<form method="post" action="/checkout/{html.escape(payment.id)}">'
        f"<fieldset><legend>Payment method</legend>{methods}</fieldset>"
        f'<div role="group" aria-label="Outcome">{buttons}</div></form>',
    )


def serve(
    host: str,
    port: int,
    api_key: str,
    *,
    public_url: str | None = None,
    webhook_delay_s: float = 2.0,
    data_file: Path | None = None,
) -> None:
    """Run the local PSP until it is stopped (SIGINT, SIGTERM)."""
    import uvicorn

    psp = LocalPsp(
        api_key=api_key,
        public_url=(public_url or f"http://{host}:{port}").rstrip("/"),
        webhook_delay_s=webhook_delay_s,
        data_file=data_file,
    )
    psp.load()
    uvicorn.run(create_app(psp), host=host, port=port, log_level="warning", access_log=False)


@contextmanager
def local_psp_process(
    *, key: str | None = None, webhook_delay_s: float = 2.0, port: int | None = None
) -> Iterator[str]:
    """The local PSP as a child process on a free port, for tests and benchmarks: yields its
    base URL once it answers, stops it afterwards."""
    from settle_payments.settings import LOCAL_PSP_KEY
    from settle_shared.net import free_port

    port = port or free_port()
    process = subprocess.Popen(  # noqa: S603 - our interpreter and module
        [
            sys.executable,
            "-m",
            MODULE,
            "--port",
            str(port),
            "--key",
            key or LOCAL_PSP_KEY,
            "--webhook-delay",
            str(webhook_delay_s),
        ],
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the local PSP did not start")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    from settle_payments.settings import LOCAL_PSP_KEY

    parser = argparse.ArgumentParser(description="The local PSP (a Mollie API v2 subset).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--key", default=LOCAL_PSP_KEY, help="the API key it accepts")
    parser.add_argument("--public-url", default=None, help="its address in checkout links")
    parser.add_argument(
        "--webhook-delay",
        type=float,
        default=2.0,
        help="seconds before the repeated webhook call (the late one: twice)",
    )
    parser.add_argument("--data", type=Path, default=None, help="file its payments are kept in")
    args = parser.parse_args()
    serve(
        args.host,
        args.port,
        args.key,
        public_url=args.public_url,
        webhook_delay_s=args.webhook_delay,
        data_file=args.data,
    )


if __name__ == "__main__":
    main()
