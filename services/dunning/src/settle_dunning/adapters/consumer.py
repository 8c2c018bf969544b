"""From Kafka records to use cases: the consumer's handler unpacks a received event, checks
its envelope against its payload and hands the payload to the use case that applies it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.administrations import learn_administration
from settle_dunning.application.collection_cases import apply_case_event
from settle_dunning.application.context import DunningContext
from settle_dunning.application.facts import ImporterFact, apply_importer_fact
from settle_dunning.application.messaging import MessagingEvent, apply_messaging_event
from settle_dunning.application.online_payments import (
    PAYMENT_EVENTS,
    PaymentEvent,
    apply_payment_event,
)
from settle_dunning.domain import InvalidFact
from settle_shared.consumer import ReceivedEvent
from settle_shared.events import collection, importer, messaging
from settle_shared.events.gateway import ADMINISTRATIONS, AdministrationEvent
from settle_shared.events.messaging import MESSAGES
from settle_shared.events.payments import PAYMENTS

IMPORTER_FACTS = (
    importer.InvoiceImported,
    importer.InvoiceChanged,
    importer.InvoiceSettled,
    importer.InvoiceReopened,
    importer.InvoiceFixedFieldChanged,
    importer.CreditNoteImported,
    importer.DebtorUpserted,
)
MESSAGING_EVENTS = (
    messaging.MessageSent,
    messaging.MessageFailed,
    messaging.MessageBounced,
    messaging.ReplyReceived,
    messaging.MessageRead,
    messaging.LetterAwaitingPosting,
)


def _check_administration(
    received: ReceivedEvent,
    payload: ImporterFact
    | MessagingEvent
    | PaymentEvent
    | AdministrationEvent
    | collection.CaseEvent,
) -> None:
    header = received.envelope.administration_id
    if header != payload.administration_id:
        raise InvalidFact(
            f"header administration_id {header!r} differs from the "
            f"payload's {payload.administration_id!r}"
        )


async def apply_received(
    ctx: DunningContext, session: AsyncSession, received: ReceivedEvent
) -> None:
    """Apply one administration, importer fact or messaging event in the consumer's
    transaction; events dunning does not need are skipped."""
    payload, envelope = received.payload, received.envelope
    if received.topic == ADMINISTRATIONS.name:
        if isinstance(payload, AdministrationEvent):
            _check_administration(received, payload)
            await learn_administration(ctx, session, payload.administration_id)
    elif received.topic == collection.CASES.name:
        if not isinstance(payload, collection.CaseEvent):
            return
        _check_administration(received, payload)
        await apply_case_event(
            ctx, session, payload, correlation_id=envelope.correlation_id, causation_id=envelope.id
        )
    elif received.topic == PAYMENTS.name:
        if not isinstance(payload, PAYMENT_EVENTS):
            return
        _check_administration(received, payload)
        await apply_payment_event(
            ctx, session, payload, correlation_id=envelope.correlation_id, causation_id=envelope.id
        )
    elif received.topic == MESSAGES.name:
        if not isinstance(payload, MESSAGING_EVENTS):
            return
        _check_administration(received, payload)
        await apply_messaging_event(
            ctx, session, payload, correlation_id=envelope.correlation_id, causation_id=envelope.id
        )
    else:
        if not isinstance(payload, IMPORTER_FACTS):
            return  # another fact on these topics that dunning does not need
        _check_administration(received, payload)
        await apply_importer_fact(
            ctx, session, payload, correlation_id=envelope.correlation_id, causation_id=envelope.id
        )
