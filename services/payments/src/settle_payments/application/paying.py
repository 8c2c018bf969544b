"""A debtor pays: the payment is planned from our copy of the invoices, stored, and opened at
the PSP, once per idempotency key.

The payment is stored before the PSP is called and the PSP gets the payment's id as its own
idempotency key, so a request repeated after a timeout or a PSP outage (same idempotency key)
reaches the same PSP payment, never a second one."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

from settle_payments.application.context import PaymentsContext
from settle_payments.application.ports import CheckoutRequest, Store
from settle_payments.application.publishing import payment_created
from settle_payments.domain.errors import (
    IdempotencyKeyReused,
    PspUnavailable,
    UnknownDebtor,
    UnknownPlan,
)
from settle_payments.domain.payments import Payment, PaymentPlan, plan_payment
from settle_payments.domain.plans import instalment_payment
from settle_shared.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class PayRequest:
    """What the portal asks for. No amount: it is ours to know."""

    debtor_id: str
    invoice_ids: tuple[str, ...]
    idempotency_key: str
    redirect_url: str
    locale: str | None = None
    # An instalment of a payment plan: the amount and invoices come from the plan.
    plan_id: str | None = None
    instalment: int | None = None


@dataclass(frozen=True)
class PayAnswer:
    payment: Payment
    # False when the idempotency key had been answered before (the same payment again).
    created: bool


async def request_payment(
    ctx: PaymentsContext, administration_id: str, request: PayRequest
) -> PayAnswer:
    """Open a checkout for `request`'s invoices, or give the one this idempotency key opened.

    NotFound and NotPayable refuse the request; PspUnavailable leaves the payment stored
    without a checkout, so the same request again (same key) tries the PSP again."""
    async with ctx.transaction() as store:
        payment = await store.payments.by_idempotency_key(
            administration_id, request.idempotency_key
        )
        if payment is None:
            if not await store.invoices.debtor_known(administration_id, request.debtor_id):
                raise UnknownDebtor(request.debtor_id)
            if request.plan_id is not None:
                plan = await _instalment(store, administration_id, request)
            else:
                known = await store.invoices.many(administration_id, request.invoice_ids)
                being_paid = await store.payments.being_paid(administration_id, request.invoice_ids)
                plan = plan_payment(request.debtor_id, request.invoice_ids, known, being_paid)
            payment = Payment(
                payment_id=str(uuid4()),
                administration_id=administration_id,
                debtor_id=plan.debtor_id,
                invoices=plan.invoices,
                amount=plan.amount,
                currency=plan.currency,
                description=plan.description,
                redirect_url=request.redirect_url,
                idempotency_key=request.idempotency_key,
                created_at=ctx.now(),
                psp=ctx.psp.name,
                plan_id=plan.plan_id,
                instalment=plan.instalment,
            )
            if not await store.payments.add(payment):
                # Another request with this key was a moment faster: answer as it does.
                raced = await store.payments.by_idempotency_key(
                    administration_id, request.idempotency_key
                )
                assert raced is not None
                payment = raced
    _same_request(payment, request)
    if payment.at_psp:
        return PayAnswer(payment, created=False)
    return PayAnswer(await _open_checkout(ctx, payment, request.locale), created=True)


async def _instalment(store: Store, administration_id: str, request: PayRequest) -> PaymentPlan:
    """The payment of a plan's instalment, for what is left of it (domain/plans.py)."""
    assert request.plan_id is not None
    found = await store.plans.get(administration_id, request.plan_id)
    if found is None:
        raise UnknownPlan(request.plan_id)
    plan, counted_at = found
    known = await store.invoices.many(administration_id, plan.invoice_ids)
    in_flight = await store.payments.instalments_in_flight(
        administration_id, plan.plan_id, counted_at
    )
    return instalment_payment(plan, request.debtor_id, request.instalment or 1, known, in_flight)


def _same_request(payment: Payment, request: PayRequest) -> None:
    if payment.debtor_id != request.debtor_id:
        raise IdempotencyKeyReused()
    if request.plan_id is not None or payment.plan_id is not None:
        if (payment.plan_id, payment.instalment) != (request.plan_id, request.instalment or 1):
            raise IdempotencyKeyReused()
        return
    if set(request.invoice_ids) != {c.invoice_id for c in payment.invoices}:
        raise IdempotencyKeyReused()


async def _open_checkout(ctx: PaymentsContext, payment: Payment, locale: str | None) -> Payment:
    checkout_request = CheckoutRequest(
        amount=payment.amount,
        currency=payment.currency,
        description=payment.description,
        redirect_url=payment.redirect_url,
        webhook_url=ctx.webhook_url,
        methods=ctx.settings.psp_methods,
        metadata={
            "payment_id": payment.payment_id,
            "administration_id": payment.administration_id,
        },
        locale=locale,
    )
    try:
        checkout = await ctx.psp.create_payment(
            checkout_request, idempotency_key=payment.payment_id
        )
    except PspUnavailable as exc:
        log.warning(
            "PSP unavailable; payment kept without checkout",
            payment_id=payment.payment_id,
            error=str(exc),
        )
        raise PspUnavailable(
            "the payment provider cannot be reached right now; nothing was charged, "
            "try again in a few minutes"
        ) from exc
    async with ctx.transaction() as store:
        first = await store.payments.set_checkout(payment.payment_id, checkout)
        stored = await store.payments.get(payment.payment_id)
        assert stored is not None
        if first:
            await store.stage(payment.administration_id, [payment_created(stored)])
    if first:
        ctx.published()
    return stored
