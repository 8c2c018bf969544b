"""From Kafka records to use cases: the consumer's handler unpacks a batch of received events,
checks each envelope against its payload and hands the payloads to the use cases that apply
them: a run of imported invoices together, every other event on its own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.administrations import learn_administration
from settle_dunning.application.collection_cases import apply_case_event
from settle_dunning.application.context import DunningContext
from settle_dunning.application.facts import (
    ImporterFact,
    Origin,
    apply_debtor_facts,
    apply_imported_invoices,
    apply_importer_fact,
)
from settle_dunning.application.messaging import MessagingEvent, apply_messaging_event
from settle_dunning.application.online_payments import (
    PAYMENT_EVENTS,
    PaymentEvent,
    apply_payment_event,
)
from settle_dunning.domain import InvalidFact
from settle_shared.consumer import ReceivedEvent, one_by_one
from settle_shared.events import collection, importer, messaging
from settle_shared.events.gateway import ADMINISTRATIONS, AdministrationEvent
from settle_shared.events.messaging import MESSAGES
from settle_shared.events.payments import PAYMENTS
from settle_shared.logs import log_context

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


# The facts applied together when several of one kind come in a row.
RUN_FACTS = (importer.InvoiceImported, importer.DebtorUpserted)
F = TypeVar("F", importer.InvoiceImported, importer.DebtorUpserted)


async def apply_batch(
    ctx: DunningContext, session: AsyncSession, events: Sequence[ReceivedEvent]
) -> None:
    """Apply a batch in order in the consumer's transaction: each run of consecutive imported
    invoices, or of debtor facts, of one administration together (a first day's import is
    mostly those), every other event on its own.

    A fact that fails fails the batch; the consumer then applies the batch event by event, so
    only that fact goes to the dead-letter topic."""
    alone = one_by_one(partial(apply_received, ctx))
    for run in _runs(events):
        if len(run) == 1 or _run_key(run[0]) is None:
            await alone(session, run)
            continue
        for received in run:
            assert isinstance(received.payload, RUN_FACTS)
            _check_administration(received, received.payload)
        envelope = run[0].envelope
        with log_context(
            correlation_id=envelope.correlation_id, administration_id=envelope.administration_id
        ):
            if isinstance(run[0].payload, importer.InvoiceImported):
                invoices = _with_origins(run, importer.InvoiceImported)
                await apply_imported_invoices(ctx, session, invoices)
            else:
                debtors = _with_origins(run, importer.DebtorUpserted)
                await apply_debtor_facts(ctx, session, debtors)


def _with_origins(run: list[ReceivedEvent], kind: type[F]) -> list[tuple[F, Origin]]:
    facts = []
    for received in run:
        assert isinstance(received.payload, kind)
        origin = Origin(received.envelope.correlation_id, received.envelope.id)
        facts.append((received.payload, origin))
    return facts


def _runs(events: Sequence[ReceivedEvent]) -> Iterator[list[ReceivedEvent]]:
    """The events in order, in runs: consecutive facts of a kind applied together, of one
    administration, in one run; every other event alone."""
    run: list[ReceivedEvent] = []
    for received in events:
        key = _run_key(received)
        if run and (key is None or key != _run_key(run[0])):
            yield run
            run = []
        run.append(received)
    if run:
        yield run


def _run_key(received: ReceivedEvent) -> tuple[type, str] | None:
    """(kind, administration) of a fact that may join a run of its kind, else None."""
    payload = received.payload
    if received.topic in (importer.INVOICES.name, importer.DEBTORS.name) and isinstance(
        payload, RUN_FACTS
    ):
        return type(payload), received.envelope.administration_id
    return None
