"""The events of the payments topic, built from domain results and staged in the outbox in
the same transaction as the change they describe."""

from __future__ import annotations

from settle_payments.domain.payments import Payment, PaymentUpdate
from settle_shared.events import payments as events
from settle_shared.events.base import Event


def _common(payment: Payment) -> dict[str, object]:
    return {
        "administration_id": payment.administration_id,
        "payment_id": payment.payment_id,
        "debtor_id": payment.debtor_id,
        "invoices": [
            events.CoveredInvoice(invoice_id=covered.invoice_id, amount=covered.amount)
            for covered in payment.invoices
        ],
        "amount": payment.amount,
        "currency": payment.currency,
        "plan_id": payment.plan_id,
        "instalment": payment.instalment,
    }


def payment_created(payment: Payment) -> events.PaymentCreated:
    """The PSP opened a checkout for the payment."""
    assert payment.psp_payment_id is not None
    return events.PaymentCreated(
        **_common(payment),
        psp=payment.psp,
        psp_payment_id=payment.psp_payment_id,
        created_at=payment.created_at,
    )


def payment_updated(update: PaymentUpdate) -> list[Event]:
    """What a report of the PSP changed: the state, then each new refund and chargeback."""
    payment = update.payment
    common = _common(payment)
    published: list[Event] = []
    if (change := update.status_change) is not None:
        published.append(
            events.PaymentStatusChanged(
                **common,
                status=change.status.value,
                previous_status=change.previous.value,
                psp_status=payment.psp_status or change.status.value,
                method=payment.method,
                changed_at=change.at,
            )
        )
    refunded_before = payment.amount_refunded - sum(r.amount for r in update.new_refunds)
    for refund in update.new_refunds:
        refunded_before += refund.amount
        published.append(
            events.PaymentRefunded(
                **common,
                refunded_amount=refund.amount,
                total_refunded=refunded_before,
                fully_refunded=refunded_before >= payment.amount,
                refunded_at=refund.at,
            )
        )
    for chargeback in update.new_chargebacks:
        published.append(
            events.PaymentChargedBack(
                **common,
                charged_back_amount=chargeback.amount,
                charged_back_at=chargeback.at,
            )
        )
    return published
