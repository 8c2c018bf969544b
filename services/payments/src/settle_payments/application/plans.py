"""Keeping the copy of payment plans: each plan event of dunning replaces the plan's copy
with the plan as it stands (what each instalment asks and what of it is paid), unless it is
older than the copy."""

from __future__ import annotations

from datetime import datetime

from settle_payments.application.ports import Store
from settle_payments.domain.plans import PayableCase, PayablePlan, PlanInstalment, plan_published
from settle_shared.events.plans import PaymentPlanEvent


async def apply_plan_event(store: Store, event: PaymentPlanEvent, at: datetime) -> None:
    """Apply one plan event to the copy, in the consumer's transaction."""
    administration_id = event.administration_id
    found = await store.plans.get(administration_id, event.plan_id)
    published = PayablePlan(
        plan_id=event.plan_id,
        debtor_id=event.debtor_id,
        status=event.status,
        currency=event.currency,
        # An instalment pays the plan's own invoices first, then its cases' invoices (collection
        # allocates what they receive to each case's costs, interest and principal).
        invoice_ids=(*event.invoice_ids, *(i for case in event.cases for i in case.invoice_ids)),
        instalments=tuple(
            PlanInstalment(i.number, i.due_on, i.amount, i.paid_amount) for i in event.instalments
        ),
        version=event.version,
        cases=tuple(
            PayableCase(c.case_id, tuple(c.invoice_ids), c.open_amount) for c in event.cases
        ),
    )
    updated = plan_published(found[0] if found else None, published)
    if updated is not None:
        await store.plans.save(administration_id, updated, at)
