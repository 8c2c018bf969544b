"""From Kafka records to use cases: the consumer's handler unpacks a batch of received events,
checks each envelope against its payload and hands the payload to the use case that applies
it, all in the consumer's transaction (the rate table read once per batch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from settle_collection.application.context import CollectionContext
from settle_collection.application.facts import Origin, apply_fact
from settle_collection.application.partner_reports import apply_partner_update
from settle_collection.domain.errors import InvalidFact
from settle_shared.consumer import ReceivedEvent
from settle_shared.events import collection, dunning, importer, messaging, payments
from settle_shared.logs import log_context

TOPICS = [
    importer.INVOICES.name,
    importer.DEBTORS.name,
    dunning.STEPS.name,
    messaging.MESSAGES.name,
    payments.PAYMENTS.name,
    collection.PARTNER_UPDATES.name,
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

    return handle
