"""Payment plans' part of the read model: rm_payment_plans, as dunning publishes them. Each
event carries the whole plan; the highest version wins, so a late or repeated event changes
nothing."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import (
    rm_payment_plan_cases,
    rm_payment_plan_invoices,
    rm_payment_plans,
)
from settle_shared.events import plans


async def plan_changed(session: AsyncSession, event: plans.PaymentPlanEvent) -> None:
    """The plan as it stands after the event, unless a newer version is stored."""
    key = {"administration_id": event.administration_id, "plan_id": event.plan_id}
    where = [rm_payment_plans.c[name] == value for name, value in key.items()]
    stored = await session.scalar(sa.select(rm_payment_plans.c.version).where(*where))
    values = {
        "debtor_id": event.debtor_id,
        "status": event.status,
        "version": event.version,
        "created_on": event.created_on,
        "plan": event.model_dump(mode="json"),
    }
    if stored is None:
        await session.execute(sa.insert(rm_payment_plans).values(**key, **values))
        # A plan is listed for its own invoices and its cases' invoices, and by case.
        invoice_ids = [*event.invoice_ids, *(i for c in event.cases for i in c.invoice_ids)]
        if invoice_ids:
            await session.execute(
                sa.insert(rm_payment_plan_invoices),
                [{**key, "invoice_id": invoice_id} for invoice_id in dict.fromkeys(invoice_ids)],
            )
        if event.cases:
            await session.execute(
                sa.insert(rm_payment_plan_cases),
                [
                    {**key, "case_id": case_id}
                    for case_id in dict.fromkeys(c.case_id for c in event.cases)
                ],
            )
    elif event.version > stored:
        await session.execute(sa.update(rm_payment_plans).where(*where).values(**values))
