"""The consumer of the other services' events: each batch is handed, event by event, to the
projection of the concept it concerns, then the batch's rows and aggregates are written once.

Idempotent twice over: the shared consumer skips an event whose id is in the inbox, and every
row remembers how new its facts are, so an older fact arriving late never overwrites a newer
one (see invoices/projection.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import READ_MODEL, metadata, rm_debtors, rm_invoices
from settle_gateway.attention import projection as attention
from settle_gateway.cases import projection as cases
from settle_gateway.control import projection as control
from settle_gateway.credit_notes import projection as credit_notes
from settle_gateway.dashboard import projection as dashboard
from settle_gateway.debtors import projection as debtors
from settle_gateway.imports import projection as imports
from settle_gateway.invoices import projection as invoices
from settle_gateway.messages import projection as messages
from settle_gateway.payments import projection as payments_projection
from settle_gateway.plans import projection as plans
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import aware, inbox_table
from settle_shared.events import collection, dunning, importer, messaging, payments
from settle_shared.events import plans as plan_events
from settle_shared.planner_statistics import refresh_when_grown

TOPICS = [
    importer.INVOICES.name,
    importer.DEBTORS.name,
    importer.RUNS.name,
    dunning.STEPS.name,
    dunning.ATTENTION.name,
    dunning.PAUSES.name,
    dunning.DEBTORS.name,
    messaging.MESSAGES.name,
    payments.PAYMENTS.name,
    plan_events.PLANS.name,
    collection.CASES.name,
]


async def project(session: AsyncSession, events: Sequence[ReceivedEvent], today: date) -> None:
    """The batch handler of the gateway's consumer group, on the business date `today`."""
    followed = await dashboard.close_month_ends(session, today)
    batch = invoices.Batch(session)
    payloads = [received.payload for received in events]
    keys = set()
    for event in payloads:
        if isinstance(event, importer.InvoiceFact | dunning.InvoiceStepEvent):
            keys.add((event.administration_id, event.invoice_id))
        elif isinstance(event, payments.PaymentEvent):
            keys |= {(event.administration_id, invoice_id) for invoice_id in event.invoice_ids}
    await batch.prefetch(keys)
    await batch.prefetch_debtors(
        {
            (event.administration_id, event.debtor_id)
            for event in payloads
            if isinstance(event, importer.DebtorUpserted | importer.InvoiceImported)
        }
    )
    await credit_notes.prefetch(
        batch,
        {
            (event.administration_id, event.invoice_id)
            for event in payloads
            if isinstance(event, importer.InvoiceFact)
        },
    )
    for received in events:
        await apply(batch, received)
    await batch.write()
    await debtors.write_debtors(batch)
    await dashboard.apply_totals(batch)
    await dashboard.apply_invoiced(batch)
    await dashboard.follow_month_ends(batch, followed, today)
    await debtors.apply_open_totals(batch)
    await dashboard.apply_attention_counts(batch)
    await debtors.apply_new_and_renamed(batch)
    await payments_projection.apply_paid_online_totals(batch)
    if batch.invoices or batch.debtor_rows:
        await refresh_when_grown(session, [rm_invoices, rm_debtors])


async def apply(batch: invoices.Batch, received: ReceivedEvent) -> None:
    """One event, applied by the projection of its concept."""
    event = received.payload
    at = aware(received.envelope.time)
    assert at is not None
    if isinstance(event, importer.DebtorUpserted):
        await debtors.debtor_upserted(batch, event)
    elif isinstance(event, importer.ImportRunFinished):
        await imports.run_finished(batch.session, event)
    elif isinstance(event, importer.CreditNoteImported):
        await credit_notes.credit_note_imported(batch, event)
    elif isinstance(event, importer.InvoiceFact):
        if (event.administration_id, event.invoice_id) in batch.credit_notes:
            await credit_notes.credit_note_fact(batch.session, event)
        else:
            await invoices.invoice_fact(batch, event)
    elif isinstance(event, dunning.StepExecuted):
        await invoices.step_executed(batch, event, received.envelope.id, at)
    elif isinstance(event, dunning.StepFailed):
        await invoices.step_failed(batch, event)
    elif isinstance(event, dunning.StepPlanned | dunning.PhaseChanged):
        await invoices.dunning_state(batch, event, at)
    elif isinstance(
        event, dunning.AttentionRaised | dunning.AttentionUpdated | dunning.AttentionResolved
    ):
        await attention.attention_changed(batch, event, at)
    elif isinstance(event, dunning.DebtorLanguageChosen):
        await debtors.language_chosen(batch.session, event)
    elif isinstance(event, dunning.AdministrationPauseChanged | dunning.DebtorPauseChanged):
        await control.pause_changed(batch.session, event, at)
    elif isinstance(event, plan_events.PaymentPlanEvent):
        await plans.plan_changed(batch.session, event)
    elif isinstance(event, collection.CaseEvent):
        await cases.case_changed(batch.session, event, at)
    elif isinstance(event, messaging.MessageRead):
        await messages.message_read(batch.session, event, at)
    elif isinstance(event, messaging.MessageEvent):
        await messages.message_changed(batch.session, event, at)
    elif isinstance(event, payments.PaymentEvent):
        await payments_projection.payment_changed(batch, event, at)


async def empty(session: AsyncSession, consumer_groups: Sequence[str]) -> int:
    """Delete every row of the read model and forget the events these consumer groups
    processed, so the read model is projected again from the start of every topic (`settle
    gateway rebuild`); returns how many processed events were forgotten."""
    for table in READ_MODEL:
        await session.execute(sa.delete(table))
    inbox = inbox_table(metadata)
    result = await session.execute(
        sa.delete(inbox).where(inbox.c.consumer_group.in_(list(consumer_groups)))
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
