"""Applying what a judicial collection partner reports on `collection.partner-updates.v1`.

A report about a case the partner does not hold (unknown, another administration's, another
partner's or handoff's) or one that cannot be true is refused and dead-lettered: someone at
the partner must look at it. A report seen before, or older than one applied (its sequence),
changes nothing."""

from __future__ import annotations

from settle_collection.application.cases import payment_news, store_case
from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import Store
from settle_collection.application.publishing import CaseNews
from settle_collection.domain.cases import EntryKind
from settle_collection.domain.errors import PartnerUpdateRefused
from settle_collection.domain.partners import Report, apply_report, check_report
from settle_law.interest import RateTable
from settle_shared.events import collection as events
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def apply_partner_update(
    ctx: CollectionContext,
    store: Store,
    update: events.PartnerUpdate,
    administration_id: str,
    table: RateTable,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Follow a partner's report in the consumer's transaction."""
    if update.administration_id != administration_id:
        raise PartnerUpdateRefused(
            f"the report names administration {update.administration_id!r}, its header "
            f"{administration_id!r}"
        )
    report = Report(
        update_id=update.update_id,
        administration_id=update.administration_id,
        case_id=update.case_id,
        handoff_id=update.handoff_id,
        partner_id=update.partner_id,
        sequence=update.sequence,
        kind=update.kind,
        # The business date the case learns of it (the partner's clock is not ours).
        on=ctx.business_date(),
        reason=update.reason,
        amount=update.amount,
        currency=update.currency,
        outcome=update.outcome,
    )
    found = await store.cases.find(update.case_id)
    case = check_report(found, report)
    case = await store.cases.get(case.administration_id, case.case_id, lock=True) or case
    if any(
        e.kind is EntryKind.PARTNER_UPDATE and e.reference == update.update_id for e in case.entries
    ):
        log.info("partner report seen before", update_id=update.update_id)
        return
    moved = apply_report(case, report)
    if moved == case:
        log.info(
            "partner report changes nothing (older than one applied, or the case moved on)",
            update_id=update.update_id,
            sequence=update.sequence,
            applied=case.partner_sequence,
        )
        return
    settings = await store.settings.get(case.administration_id)
    today = ctx.business_date()
    news = CaseNews()
    news.add(
        events.CasePartnerReported,
        partner_id=update.partner_id,
        kind=update.kind,
        detail=update.reason
        or (f"{update.currency} {update.amount}" if update.amount is not None else None),
    )
    if update.kind == "payment_received":
        for item in payment_news(
            moved, f"partner-{update.update_id}", today, table, settings
        ).happened:
            news.happened.append(item)
    elif moved.step != case.step:
        news.add(events.CaseStepChanged, previous_step=case.step.value, by="partner")
    if update.kind == "closed":
        news.add(events.CaseClosed, outcome=moved.outcome, reason=update.reason)
    await store_case(
        store,
        case,
        moved,
        news,
        today,
        table,
        settings,
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
