"""What the PSP says about a payment, fetched by us: after a webhook (which names only the
PSP's id) and by the refresher, for payments whose webhook never came or whose fetch failed.

A webhook for an id we never created changes nothing and costs no call to the PSP. A report
is applied under the payment's lock, so crossed webhooks are applied one after the other and
the domain's rule keeps the newest state (statuses.may_follow)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from enum import StrEnum

from settle_payments.application.context import PaymentsContext
from settle_payments.application.publishing import payment_updated
from settle_payments.domain.errors import PspRefused, PspUnavailable
from settle_payments.domain.payments import PspReport, apply_psp_report
from settle_payments.domain.statuses import UNSETTLED
from settle_shared.logs import get_logger

log = get_logger(__name__)


class Outcome(StrEnum):
    UNKNOWN = "unknown"  # not a payment of ours: nothing happened
    UNCHANGED = "unchanged"  # old news (a repeated or late webhook)
    CHANGED = "changed"


async def payment_reported(ctx: PaymentsContext, psp_payment_id: str) -> Outcome:
    """The PSP says payment `psp_payment_id` changed: fetch it and apply what is new.

    PspUnavailable when the PSP cannot be asked now; the payment is then marked for the
    refresher, and the PSP (which retries a webhook that failed) will call again."""
    async with ctx.transaction() as store:
        payment_id = await store.payments.id_of(ctx.psp.name, psp_payment_id)
    if payment_id is None:
        return Outcome.UNKNOWN
    try:
        report = await ctx.psp.get_payment(psp_payment_id)
    except PspUnavailable:
        async with ctx.transaction() as store:
            await store.payments.checked(payment_id, ctx.now(), refresh_due=True)
        raise
    except PspRefused as exc:
        # The PSP does not know an id it gave us: nothing to apply (logged for a person).
        log.error("PSP refused to report a payment", payment_id=payment_id, error=str(exc))
        return Outcome.UNCHANGED
    return await apply_report(ctx, payment_id, report)


async def apply_report(ctx: PaymentsContext, payment_id: str, report: PspReport) -> Outcome:
    """Apply a PSP report to a payment, staging the events of what changed."""
    now = ctx.now()
    async with ctx.transaction() as store:
        payment = await store.payments.get(payment_id, lock=True)
        if payment is None:
            return Outcome.UNKNOWN
        update = apply_psp_report(payment, report, now)
        if not update.changed:
            await store.payments.checked(payment_id, now)
            return Outcome.UNCHANGED
        await store.payments.save(update.payment, now)
        await store.stage(payment.administration_id, payment_updated(update))
    ctx.published()
    return Outcome.CHANGED


async def refresh_payments(ctx: PaymentsContext) -> int:
    """Ask the PSP about payments no webhook settled; returns how many changed."""
    settings = ctx.settings
    before = ctx.now() - timedelta(seconds=settings.refresh_after_s)
    async with ctx.transaction() as store:
        due = await store.payments.to_refresh(UNSETTLED, before, settings.refresh_batch_size)
    changed = 0
    for payment in due:
        assert payment.psp_payment_id is not None
        try:
            report = await ctx.psp.get_payment(payment.psp_payment_id)
        except PspUnavailable:
            log.warning("PSP unavailable; refresh postponed", pending=len(due))
            return changed
        except PspRefused as exc:
            log.error("PSP refused to report a payment", payment_id=payment.payment_id,
                      error=str(exc))  # fmt: skip
            async with ctx.transaction() as store:
                await store.payments.checked(payment.payment_id, ctx.now())
            continue
        if await apply_report(ctx, payment.payment_id, report) is Outcome.CHANGED:
            changed += 1
    return changed


async def refresh_loop(ctx: PaymentsContext, stop: asyncio.Event) -> None:
    """The refresher: every `refresh_interval_s` until the service stops."""
    while not stop.is_set():
        try:
            if changed := await refresh_payments(ctx):
                log.info("payments refreshed from the PSP", changed=changed)
        except Exception as exc:  # the database away: try again on the next round
            log.warning("refresh failed; retrying", error=repr(exc))
        try:
            await asyncio.wait_for(stop.wait(), timeout=ctx.settings.refresh_interval_s)
        except TimeoutError:
            pass
