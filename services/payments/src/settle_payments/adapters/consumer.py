"""From Kafka records to use cases: the consumer's batch handler checks each envelope against
its payload and hands the importer's invoice facts (together, a batch at a time) and the
payment plans' events to the use cases that apply them, all in the consumer's transaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from settle_payments.adapters.tables import payable_invoices
from settle_payments.application.context import PaymentsContext
from settle_payments.application.invoices import (
    INVOICE_FACTS,
    InvoiceFact,
    apply_invoice_facts,
)
from settle_payments.application.plans import apply_plan_event
from settle_payments.domain.errors import InvalidFact
from settle_shared.consumer import ReceivedEvent
from settle_shared.events.importer import INVOICES
from settle_shared.events.plans import PLANS, PaymentPlanEvent
from settle_shared.planner_statistics import refresh_when_grown

TOPICS = [INVOICES.name, PLANS.name]


def batch_handler(
    context: Callable[[], PaymentsContext],
) -> Callable[[AsyncSession, Sequence[ReceivedEvent]], object]:
    """The consumer's batch handler; `context` is looked up per batch (tests swap it)."""

    async def handle(session: AsyncSession, received: Sequence[ReceivedEvent]) -> None:
        ctx = context()
        store = ctx.store_in(session)
        facts: list[InvoiceFact] = []  # applied together, before the next plan's event
        for item in received:
            event = item.payload
            if isinstance(event, INVOICE_FACTS):
                check_administration(event.administration_id, item)
                facts.append(event)
            elif isinstance(event, PaymentPlanEvent):
                check_administration(event.administration_id, item)
                await apply_invoice_facts(store, facts)
                facts = []
                await apply_plan_event(store, event, ctx.now())
            # credit notes and the rest: nothing of them is paid online
        await apply_invoice_facts(store, facts)
        await refresh_when_grown(session, [payable_invoices])

    return handle


def check_administration(administration_id: str, received: ReceivedEvent) -> None:
    """Refuse an event whose payload names another administration than its envelope."""
    if administration_id != received.envelope.administration_id:
        raise InvalidFact("the header's administration differs from the payload's")
