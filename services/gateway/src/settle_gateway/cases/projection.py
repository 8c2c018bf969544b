"""The cases' part of the read model: rm_cases, one row per case as its latest event
describes it, and rm_case_counts, the active cases per status and step, kept by deltas."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_case_counts, rm_cases
from settle_gateway.dashboard.projection import add_to_counters
from settle_shared.db import aware
from settle_shared.events import collection

ACTIVE = ("proposed", "open")


async def case_changed(session: AsyncSession, event: collection.CaseEvent, at: datetime) -> None:
    """A case event: the case's row as the event says it stands (an older event than the
    row's is ignored), and the counts moved from its old status and step to the new."""
    key = {"administration_id": event.administration_id, "case_id": event.case_id}
    where = [rm_cases.c[name] == value for name, value in key.items()]
    current = (await session.execute(sa.select(rm_cases).where(*where))).first()
    if current is not None and at < aware(current.at):
        return
    balance = event.balance
    values = {
        "debtor_id": event.debtor_id,
        "status": event.status,
        "step": event.step,
        "paused": event.paused,
        "invoice_ids": list(event.invoice_ids),
        "principal": balance.principal,
        "costs": balance.costs,
        "interest": balance.interest,
        "total": balance.total,
        "currency": balance.currency,
        "balance_as_of": balance.as_of,
        "last_event": event.event_type.rsplit(".", 1)[-1],
        "changed_on": event.on,
        "at": at,
    }
    if isinstance(event, collection.CaseOpened):
        values["opened_on"] = event.on
    if isinstance(event, collection.CaseClosed | collection.CaseDeclined):
        values["closed_on"] = event.on
    if isinstance(event, collection.CaseClosed):
        values["outcome"] = event.outcome
    if isinstance(event, collection.CaseForwarded):
        values["partner_id"] = event.partner_id
    if current is None:
        await session.execute(sa.insert(rm_cases).values(**key, **values))
        before = None
    else:
        await session.execute(sa.update(rm_cases).where(*where).values(**values))
        before = (current.status, current.step)
    after = (event.status, event.step)
    if before == after:
        return
    changes = [(after, 1)] if before is None else [(before, -1), (after, 1)]
    for (status, step), delta in changes:
        if status in ACTIVE:
            await add_to_counters(
                session,
                rm_case_counts,
                {"administration_id": event.administration_id, "status": status, "step": step},
                {"count": delta},
            )
