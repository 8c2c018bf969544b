"""Applying dunning's payment plan events to the cases they cover: a plan that runs pauses
its cases ("payment plan active"); a completed plan releases them (a case paid off closes as
paid); a plan ended by a person, or a proposal rejected, releases them to resume from that day
(rules in domain/plans.py).

Every event carries the plan as it stands, keyed by plan, so one plan's events arrive in
order; each is applied once (the consumer's inbox) and applying one twice changes nothing."""

from __future__ import annotations

from settle_collection.application.cases import store_case
from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import Store
from settle_collection.application.publishing import CaseNews
from settle_collection.domain.plans import hold_for_plan, release_from_plan
from settle_law.interest import RateTable
from settle_shared.events import collection as events
from settle_shared.events.plans import PaymentPlanEvent
from settle_shared.logs import get_logger

log = get_logger(__name__)

# The plan statuses that pause its cases (as they hold its invoices in dunning).
HOLDING = frozenset({"requested", "active", "expired"})


async def apply_plan_event(
    ctx: CollectionContext,
    store: Store,
    event: PaymentPlanEvent,
    table: RateTable,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Pause or release the cases of the plan, in the consumer's transaction."""
    if not event.cases:
        return
    adm = event.administration_id
    today = ctx.business_date()
    settings = await store.settings.get(adm)
    for covered in event.cases:
        case = await store.cases.get(adm, covered.case_id, lock=True)
        if case is None:
            log.warning("plan covers a case collection does not know", case_id=covered.case_id)
            continue
        if event.status in HOLDING:
            moved = hold_for_plan(case, event.plan_id, today)
        else:
            moved = release_from_plan(case, event.plan_id, today, kept=event.status == "completed")
        if moved == case:
            continue
        news = CaseNews()
        if moved.is_open:
            news.add(events.CasePauseChanged)
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
