"""The payments service's HTTP API: the portal's contract under
/api/v1/administrations/{administration_id}/payments (for the gateway, with the shared service
token), and the PSP's webhook /webhooks/mollie (public: it carries only an id, and we fetch
the state ourselves)."""

from __future__ import annotations

import hmac
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlsplit

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from settle_payments.adapters.psp.mollie import is_payment_id
from settle_payments.application.context import WEBHOOK_PATH, PaymentsContext
from settle_payments.application.paying import PayRequest, request_payment
from settle_payments.application.queries import get_payment, list_payments
from settle_payments.application.reports import payment_reported
from settle_payments.domain.errors import PspUnavailable
from settle_payments.domain.payments import Payment
from settle_shared.logs import get_logger

log = get_logger(__name__)

PREFIX = "/api/v1/administrations/{administration_id}/payments"
ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


def get_context(request: Request) -> PaymentsContext:
    ctx: PaymentsContext = request.app.state.payments
    return ctx


ContextDep = Annotated[PaymentsContext, Depends(get_context)]


def service_token(ctx: ContextDep, authorization: Annotated[str, Header()] = "") -> None:
    """Only the gateway (holding the shared service token) asks for payments: this API is
    not under /internal/, where the platform checks the token, so it checks it itself."""
    expected = f"Bearer {ctx.settings.service_token.get_secret_value()}"
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(
            401, "a valid service token is required", headers={"WWW-Authenticate": "Bearer"}
        )


router = APIRouter(prefix=PREFIX, tags=["payments"], dependencies=[Depends(service_token)])
webhooks = APIRouter(tags=["webhooks"])


class PayIn(BaseModel):
    """A debtor pays these invoices. An amount or currency sent along is ignored: the amount
    is the open amount we know now."""

    model_config = ConfigDict(extra="ignore")

    debtor_id: str = Field(pattern=ID)
    invoice_ids: list[Annotated[str, Field(pattern=ID)]] = Field(
        default_factory=list,
        max_length=500,
        description="the invoices to pay; none for a plan's instalment (the plan names them)",
    )
    plan_id: str | None = Field(
        None, pattern=ID, description="pay an instalment of this payment plan"
    )
    instalment: int | None = Field(
        None, ge=1, le=1000, description="which instalment of the plan (default: the first)"
    )
    idempotency_key: str = Field(min_length=1, max_length=200)
    redirect_url: str = Field(
        max_length=2000, description="where the PSP sends the debtor back (http or https)"
    )
    locale: str | None = Field(
        None, pattern=r"^[a-z]{2}_[A-Z]{2}$", description="the checkout's language, e.g. nl_NL"
    )

    @field_validator("redirect_url")
    @classmethod
    def _absolute_http(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("an absolute http(s) URL")
        return value


class CoveredOut(BaseModel):
    invoice_id: str
    amount: Decimal


class PaymentOut(BaseModel):
    """A payment as the portal shows it."""

    payment_id: str
    checkout_url: str | None = Field(description="where the debtor pays (while it is open)")
    amount: Decimal
    currency: str
    status: str = Field(
        description="open, pending, authorized, paid, failed, canceled, expired, refunded "
        "(partly or fully: see amount_refunded) or charged_back"
    )
    method: str | None = Field(description="ideal, creditcard, bancontact, … once known")
    invoices: list[CoveredOut]
    debtor_id: str
    amount_refunded: Decimal
    created_at: datetime
    plan_id: str | None = Field(None, description="the payment plan whose instalment it pays")
    instalment: int | None = None


class PaymentList(BaseModel):
    items: list[PaymentOut] = Field(description="newest first, at most 100")


def payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(
        payment_id=payment.payment_id,
        checkout_url=payment.checkout_url,
        amount=payment.amount,
        currency=payment.currency,
        status=payment.status.value,
        method=payment.method,
        invoices=[CoveredOut(invoice_id=c.invoice_id, amount=c.amount) for c in payment.invoices],
        debtor_id=payment.debtor_id,
        amount_refunded=payment.amount_refunded,
        created_at=payment.created_at,
        plan_id=payment.plan_id,
        instalment=payment.instalment,
    )


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid service token"},
    404: {"description": "an unknown invoice, debtor, plan or instalment"},
    409: {
        "description": "an invoice not open, not this debtor's, already paid online, mixed "
        "currencies, nothing to pay, a plan not active or another debtor's, an instalment "
        "paid or being paid, or an idempotency key used for another request"
    },
    503: {"description": "the PSP cannot be reached: nothing was charged, try again"},
}


@router.post(
    "", status_code=201, responses={200: {"description": "the idempotency key was seen"}, **ERRORS}
)
async def pay(
    administration_id: str,
    body: PayIn,
    ctx: ContextDep,
    response: Response,
) -> PaymentOut:
    """Open a checkout for the open amount of the debtor's invoices, or for what is left of
    an instalment of the debtor's payment plan (201), or answer again what this idempotency
    key opened (200)."""
    answer = await request_payment(
        ctx,
        administration_id,
        PayRequest(
            debtor_id=body.debtor_id,
            invoice_ids=tuple(body.invoice_ids),
            idempotency_key=body.idempotency_key,
            redirect_url=body.redirect_url,
            locale=body.locale,
            plan_id=body.plan_id,
            instalment=body.instalment,
        ),
    )
    if not answer.created:
        response.status_code = 200
    return payment_out(answer.payment)


@router.get("/{payment_id}", responses={404: {"description": "no such payment"}})
async def one_payment(administration_id: str, payment_id: str, ctx: ContextDep) -> PaymentOut:
    """A payment with its current state and method."""
    return payment_out(await get_payment(ctx, administration_id, payment_id))


@router.get("")
async def payments(
    administration_id: str,
    ctx: ContextDep,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
) -> PaymentList:
    """The payments of a debtor and/or an invoice, newest first."""
    found = await list_payments(ctx, administration_id, debtor_id=debtor_id, invoice_id=invoice_id)
    return PaymentList(items=[payment_out(p) for p in found])


@webhooks.post(
    WEBHOOK_PATH,
    status_code=200,
    responses={503: {"description": "the PSP cannot be asked now; call again later"}},
)
async def mollie_webhook(request: Request, ctx: ContextDep) -> Response:
    """Mollie's webhook: a form with the payment's `id` only. We fetch the payment ourselves,
    so a forged call changes nothing; an id we never created gets 200 and no work, as
    Mollie recommends (docs.mollie.com, Webhooks: "How to handle unknown IDs?")."""
    body = await request.body()
    fields = dict(parse_qsl(body[:1000].decode("latin-1"), max_num_fields=5))
    psp_payment_id = fields.get("id", "")
    if not is_payment_id(psp_payment_id):
        return Response(status_code=200)
    try:
        outcome = await payment_reported(ctx, psp_payment_id)
    except PspUnavailable:
        # Mollie calls again when the answer is not 200; the refresher asks meanwhile.
        return Response("the PSP cannot be asked now", status_code=503)
    log.info("webhook", psp_payment_id=psp_payment_id, outcome=outcome.value)
    return Response(status_code=200)
