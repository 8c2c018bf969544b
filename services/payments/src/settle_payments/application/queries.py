"""What the portal reads: one payment, or the payments of a debtor or an invoice."""

from __future__ import annotations

from settle_payments.application.context import PaymentsContext
from settle_payments.domain.errors import NotFound
from settle_payments.domain.payments import Payment

LIST_LIMIT = 100


async def get_payment(ctx: PaymentsContext, administration_id: str, payment_id: str) -> Payment:
    """A payment of the administration opened at the PSP; NotFound otherwise."""
    async with ctx.transaction() as store:
        payment = await store.payments.get(payment_id, administration_id=administration_id)
    if payment is None or not payment.at_psp:
        raise NotFound("payment", payment_id)
    return payment


async def list_payments(
    ctx: PaymentsContext,
    administration_id: str,
    *,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
) -> list[Payment]:
    """The newest payments of a debtor and/or an invoice (at most LIST_LIMIT)."""
    async with ctx.transaction() as store:
        return await store.payments.search(
            administration_id, debtor_id=debtor_id, invoice_id=invoice_id, limit=LIST_LIMIT
        )
