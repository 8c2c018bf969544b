"""From Kafka records to use cases: the consumer's handler unpacks a batch of received events,
checks each envelope against its payload and hands the payload to the use case that applies
it, all in the consumer's transaction (the rate table read once per batch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from settle_collection.adapters import tables
from settle_collection.adapters.repositories import SqlStore
from settle_collection.application.context import CollectionContext
from settle_collection.application.facts import Origin, apply_fact
from settle_collection.application.partner_reports import apply_partner_update
from settle_collection.application.plans import apply_plan_event
from settle_collection.domain.errors import InvalidFact
from settle_shared.consumer import ReceivedEvent
from settle_shared.events import collection, dunning, importer, messaging, payments, plans
from settle_shared.logs import log_context
from settle_shared.planner_statistics import refresh_when_grown

TOPICS = [
    importer.INVOICES.name,
    importer.DEBTORS.name,
    dunning.STEPS.name,
    messaging.MESSAGES.name,
    payments.PAYMENTS.name,
    collection.PARTNER_UPDATES.name,
    plans.PLANS.name,
]
FACTS = (
    importer.DebtorUpserted,
    importer.InvoiceImported,
    importer.InvoiceChanged,
    importer.InvoiceSettled,
    importer.InvoiceReopened,
    importer.CreditNoteImported,
    dunning.InvoiceReadyForCollection,
    messaging.MessageEvent,
    payments.PaymentStatusChanged,
    payments.PaymentRefunded,
    payments.PaymentChargedBack,
)


def batch_handler(
    context: Callable[[], CollectionContext],
) -> Callable[[AsyncSession, Sequence[ReceivedEvent]], object]:
    """The consumer's batch handler; `context` is looked up per batch (tests swap it)."""

    async def handle(session: AsyncSession, received: Sequence[ReceivedEvent]) -> None:
        ctx = context()
        store = ctx.store_in(session)
        table = await store.rates.table()
        if isinstance(store, SqlStore):
            await prefetch(store, received)
        for item in received:
            payload, envelope = item.payload, item.envelope
            with log_context(
                correlation_id=envelope.correlation_id,
                administration_id=envelope.administration_id,
                event_id=envelope.id,
            ):
                if isinstance(payload, collection.PartnerUpdate):
                    await apply_partner_update(
                        ctx,
                        store,
                        payload,
                        envelope.administration_id,
                        table,
                        correlation_id=envelope.correlation_id,
                        causation_id=envelope.id,
                    )
                    continue
                if isinstance(payload, plans.PaymentPlanEvent):
                    if payload.administration_id != envelope.administration_id:
                        raise InvalidFact(
                            f"header administration_id {envelope.administration_id!r} differs "
                            "from the payload's"
                        )
                    await apply_plan_event(
                        ctx,
                        store,
                        payload,
                        table,
                        correlation_id=envelope.correlation_id,
                        causation_id=envelope.id,
                    )
                    continue
                if not isinstance(payload, FACTS):
                    continue  # another event on these topics that collection does not need
                if getattr(payload, "administration_id", None) != envelope.administration_id:
                    raise InvalidFact(
                        f"header administration_id {envelope.administration_id!r} differs "
                        "from the payload's"
                    )
                await apply_fact(
                    ctx, store, payload, table, Origin(envelope.correlation_id, envelope.id)
                )
        await store.flush()
        await refresh_when_grown(session, [tables.invoices, tables.debtors, tables.cases])

    return handle


async def prefetch(store: SqlStore, received: Sequence[ReceivedEvent]) -> None:
    """Read in a few queries what the batch's debtors, invoice facts and ready invoices will
    ask for."""
    invoice_ids: dict[str, list[str]] = {}
    debtor_ids: dict[str, list[str]] = {}
    for item in received:
        payload = item.payload
        if isinstance(payload, importer.InvoiceFact | dunning.InvoiceReadyForCollection):
            invoice_ids.setdefault(payload.administration_id, []).append(payload.invoice_id)
        if isinstance(payload, importer.DebtorUpserted | dunning.InvoiceReadyForCollection):
            debtor_ids.setdefault(payload.administration_id, []).append(payload.debtor_id)
    for administration_id in invoice_ids.keys() | debtor_ids.keys():
        await store.prefetch(
            administration_id,
            invoice_ids.get(administration_id, []),
            debtor_ids.get(administration_id, []),
        )
