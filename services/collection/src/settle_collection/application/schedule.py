"""The daily step run: an open, unpaused case takes its next own step once the
administration's `step_days` have passed in the current one (with the step's message), and a
case at ready for bailiff goes to the partner by itself when the administration chose so.
Idempotent: a step taken today starts its days again, so a second run finds nothing due."""

from __future__ import annotations

from datetime import timedelta

from settle_collection.application.cases import enter_step, store_case
from settle_collection.application.context import CollectionContext
from settle_collection.application.handoffs import forward_case
from settle_collection.application.publishing import CaseNews
from settle_collection.domain.cases import Step, step_due
from settle_collection.domain.errors import CollectionError
from settle_collection.domain.parties import AdministrationSettings, Forwarding
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def run_schedule(ctx: CollectionContext) -> int:
    """Take every due step and automatic forward; returns how many cases changed."""
    today = ctx.business_date()
    started_by = today - timedelta(days=1)
    after: str | None = None
    changed = 0
    while True:
        async with ctx.transaction() as store:
            table = await store.rates.table()
            batch = await store.cases.scheduled(started_by, ctx.settings.schedule_batch_size, after)
            settings_of: dict[str, AdministrationSettings] = {}
            for case in batch:
                adm = case.administration_id
                if adm not in settings_of:
                    settings_of[adm] = await store.settings.get(adm)
                settings = settings_of[adm]
                news = CaseNews()
                moved = case
                step = step_due(case, settings.step_days, today)
                if step is not None:
                    moved = await enter_step(
                        store, moved, step, today, "schedule", news, table, settings
                    )
                if (
                    moved.step is Step.READY_FOR_BAILIFF
                    and settings.forwarding is Forwarding.AUTOMATIC
                    and settings.partner_id is not None
                ):
                    try:
                        moved = await forward_case(ctx, store, moved, settings, table, today, news)
                    except CollectionError as exc:
                        log.warning("case not forwarded", case_id=case.case_id, why=str(exc))
                if moved != case:
                    await store_case(store, case, moved, news, today, table, settings)
                    changed += 1
        if len(batch) < ctx.settings.schedule_batch_size:
            break
        after = batch[-1].case_id
    if changed:
        ctx.published()
    return changed
