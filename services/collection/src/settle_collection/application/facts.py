"""Applying other services' events: the importer's facts (debtors, invoices, credit notes),
dunning's invoices ready for collection, messaging's messages and the payments service's
online payments. Collection keeps what it needs of them; a fact about an invoice in a case
moves the case (money in, money back)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from settle_collection.application.cases import (
    debtor_of,
    new_case_id,
    payment_news,
    reversal_news,
    store_case,
)
from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import Store
from settle_collection.application.publishing import CaseNews
from settle_collection.domain import charges
from settle_collection.domain.cases import Case, EntryKind, PaymentSource, Status
from settle_collection.domain.errors import InvalidFact
from settle_collection.domain.opening import place_ready_invoice
from settle_collection.domain.parties import Address, CreditNote, Debtor, Invoice, Message
from settle_law.interest import RateTable
from settle_shared.events import collection as events
from settle_shared.events import dunning, importer, messaging, payments
from settle_shared.logs import get_logger

log = get_logger(__name__)

ZERO = Decimal("0.00")
PAID = "paid"


class Origin:
    """The chain an event belongs to, for the events it causes."""

    def __init__(self, correlation_id: str | None = None, causation_id: str | None = None) -> None:
        self.correlation_id = correlation_id
        self.causation_id = causation_id


async def apply_fact(
    ctx: CollectionContext, store: Store, event: object, table: RateTable, origin: Origin
) -> None:
    """Apply one event of another service in the consumer's transaction."""
    if isinstance(event, importer.DebtorUpserted):
        await _debtor(store, event)
    elif isinstance(event, importer.InvoiceImported):
        await _imported(ctx, store, event, table, origin)
    elif isinstance(
        event, importer.InvoiceChanged | importer.InvoiceSettled | importer.InvoiceReopened
    ):
        await _changed(ctx, store, event, table, origin)
    elif isinstance(event, importer.CreditNoteImported):
        await store.credit_notes.save(
            event.administration_id,
            CreditNote(event.credit_note_id, event.debtor_id, event.open_amount, event.version),
        )
    elif isinstance(event, dunning.InvoiceReadyForCollection):
        await _ready(ctx, store, event, table, origin)
    elif isinstance(event, messaging.MessageEvent):
        await _message(store, event)
    elif isinstance(
        event,
        payments.PaymentStatusChanged | payments.PaymentRefunded | payments.PaymentChargedBack,
    ):
        await _payment(ctx, store, event, table, origin)


async def _debtor(store: Store, event: importer.DebtorUpserted) -> None:
    known = await store.debtors.get(event.administration_id, event.debtor_id)
    if known is not None and known.version >= event.version:
        return
    debtor = Debtor(
        debtor_id=event.debtor_id,
        number=event.number,
        name=event.name,
        kind=event.kind,
        emails=tuple(event.emails),
        phone=event.phone,
        address=Address(tuple(event.address_lines), event.postal_code, event.city, event.country)
        if event.address_lines or event.postal_code or event.city
        else None,
        language=event.language,
        version=event.version,
    )
    await store.debtors.save(event.administration_id, debtor)
    # A debtor first taken for a consumer turns out a business: its cases that charged
    # nothing yet follow (what was charged stays as it was charged).
    for case in await store.cases.of_debtor(event.administration_id, event.debtor_id):
        charged = any(
            e.kind in (EntryKind.COSTS_CHARGED, EntryKind.INTEREST_CHARGED) for e in case.entries
        )
        if case.consumer != debtor.consumer and not charged:
            await store.cases.save(replace(case, consumer=debtor.consumer))


async def _imported(
    ctx: CollectionContext,
    store: Store,
    event: importer.InvoiceImported,
    table: RateTable,
    origin: Origin,
) -> None:
    adm = event.administration_id
    known = await store.invoices.get(adm, event.invoice_id)
    if known is not None and known.imported and known.version >= event.version:
        return
    invoice = Invoice(
        invoice_id=event.invoice_id,
        debtor_id=event.debtor_id,
        number=event.number,
        invoice_date=event.invoice_date,
        due_date=event.due_date,
        amount=event.amount,
        open_amount=event.open_amount,
        currency=event.currency,
        version=event.version,
        pdf_url=event.pdf_url,
        settled=event.open_amount <= 0,
        # What dunning said first, when its fact came before the importer's.
        ready_on=known.ready_on if known else None,
        legal_letter_sent_on=known.legal_letter_sent_on if known else None,
        case_id=known.case_id if known else None,
    )
    await store.invoices.save(adm, invoice)
    if invoice.ready_on is not None and invoice.case_id is None:
        await place(ctx, store, adm, invoice, table, origin)


async def _changed(
    ctx: CollectionContext,
    store: Store,
    event: importer.InvoiceChanged | importer.InvoiceSettled | importer.InvoiceReopened,
    table: RateTable,
    origin: Origin,
) -> None:
    adm = event.administration_id
    known = await store.invoices.get(adm, event.invoice_id)
    if known is None or not known.imported:
        # Facts of one invoice arrive in order, so the import comes first; one without it is
        # about an invoice the importer never announced.
        raise InvalidFact(f"{event.event_type} for invoice {event.invoice_id!r} never imported")
    if known.version >= event.version:
        return
    before = known.open_amount
    if isinstance(event, importer.InvoiceSettled):
        changed = replace(known, open_amount=ZERO, settled=True, version=event.version)
    elif isinstance(event, importer.InvoiceReopened):
        changed = replace(
            known, open_amount=event.open_amount, settled=False, version=event.version
        )
    else:
        changed = replace(
            known,
            open_amount=event.open_amount,
            settled=event.open_amount <= 0,
            version=event.version,
            pdf_url=event.pdf_url or known.pdf_url,
        )
    await store.invoices.save(adm, changed)
    if known.case_id is None:
        return
    case = await store.cases.get(adm, known.case_id, lock=True)
    if case is None or case.status is not Status.OPEN:
        return
    settings = await store.settings.get(adm)
    today = ctx.business_date()
    payment_id = f"bookkeeping-{event.invoice_id}-{event.version}"
    if changed.open_amount < before:
        moved = charges.booked(case, before - changed.open_amount, payment_id, today)
        news = payment_news(moved, payment_id, today, table, settings)
    elif changed.open_amount > before:
        # Reopened, or booked back: what bookkeeping's payments of the invoice paid is owed
        # again, the latest first.
        moved, back = case, changed.open_amount - before
        for entry in reversed(case.entries):
            if back <= 0:
                break
            if (
                entry.kind is EntryKind.PAYMENT
                and entry.source is PaymentSource.BOOKKEEPING
                and (entry.payment_id or "").startswith(f"bookkeeping-{event.invoice_id}-")
                and entry.amount is not None
            ):
                share = min(back, entry.amount)
                moved = charges.reverse_payment(
                    moved, entry.payment_id or "", share, today, "booked back in bookkeeping"
                )
                back -= share
        news = reversal_news(
            case,
            moved,
            f"bookkeeping-{event.invoice_id}-{event.version}",
            PaymentSource.BOOKKEEPING,
            today,
            table,
            settings,
        )
    else:
        return
    if moved != case:
        await store_case(
            store,
            case,
            moved,
            news,
            today,
            table,
            settings,
            correlation_id=origin.correlation_id,
            causation_id=origin.causation_id,
        )


async def _ready(
    ctx: CollectionContext,
    store: Store,
    event: dunning.InvoiceReadyForCollection,
    table: RateTable,
    origin: Origin,
) -> None:
    adm = event.administration_id
    known = await store.invoices.get(adm, event.invoice_id)
    if known is not None and known.debtor_id and known.debtor_id != event.debtor_id:
        raise InvalidFact(
            f"invoice {event.invoice_id!r} is debtor {known.debtor_id!r}'s, "
            f"not {event.debtor_id!r}'s"
        )
    if known is None:
        # Dunning's fact came before the importer's: keep it, and place the invoice once the
        # importer's fact says what it is.
        known = Invoice(
            invoice_id=event.invoice_id,
            debtor_id=event.debtor_id,
            number="",
            invoice_date=None,
            due_date=None,
            amount=event.open_amount,
            open_amount=event.open_amount,
            currency=event.currency,
            version=0,
        )
    invoice = replace(known, ready_on=event.on, legal_letter_sent_on=event.legal_letter_sent_on)
    await store.invoices.save(adm, invoice)
    if invoice.imported and invoice.case_id is None:
        await place(ctx, store, adm, invoice, table, origin)


async def place(
    ctx: CollectionContext,
    store: Store,
    administration_id: str,
    invoice: Invoice,
    table: RateTable,
    origin: Origin,
) -> Case | None:
    """Put a ready invoice in its debtor's case, or start one (open or proposed)."""
    today = ctx.business_date()
    settings = await store.settings.get(administration_id)
    debtor = await debtor_of(store, administration_id, invoice.debtor_id)
    cases = await store.cases.of_debtor(administration_id, invoice.debtor_id)
    notes = await store.credit_notes.of_debtor(administration_id, invoice.debtor_id)
    placed = place_ready_invoice(
        administration_id, invoice, debtor, cases, settings, notes, today, new_case_id()
    )
    if placed is None:
        return None
    news = CaseNews()
    before = None
    if placed.created:
        if placed.case.status is Status.OPEN:
            news.add(events.CaseOpened, how="automatic")
        else:
            news.add(events.CaseProposed, why=placed.case.entries[0].reason or "")
    else:
        before = next(c for c in cases if c.case_id == placed.case.case_id)
        news.add(events.CaseInvoicesAdded, added_invoice_ids=[invoice.invoice_id])
    case, _ = await store_case(
        store,
        before,
        placed.case,
        news,
        today,
        table,
        settings,
        correlation_id=origin.correlation_id,
        causation_id=origin.causation_id,
    )
    return case


async def _message(store: Store, event: messaging.MessageEvent) -> None:
    kinds = {
        messaging.MessageSent: ("outbound", "sent"),
        messaging.MessageFailed: ("outbound", "failed"),
        messaging.MessageBounced: ("outbound", "bounced"),
        messaging.LetterAwaitingPosting: ("outbound", "awaiting_posting"),
        messaging.ReplyReceived: ("inbound", "received"),
    }
    found = kinds.get(type(event))
    if found is None:
        return  # read marks: not part of the communication timeline
    direction, state = found
    at = getattr(event, "sent_at", None) or getattr(event, "failed_at", None)
    at = at or getattr(event, "bounced_at", None) or getattr(event, "queued_at", None)
    at = at or getattr(event, "received_at", None)
    assert at is not None
    channel = getattr(event, "channel", None) or (
        "letter" if isinstance(event, messaging.LetterAwaitingPosting) else "email"
    )
    detail = getattr(event, "detail", None) or getattr(event, "reason", None)
    known = await store.messages.get(event.message_id)
    legally_required = bool(getattr(event, "legally_required", False)) or bool(
        known and known.legally_required
    )
    await store.messages.save(
        event.administration_id,
        Message(
            message_id=event.message_id,
            debtor_id=event.debtor_id,
            invoice_ids=tuple(event.invoice_ids),
            case_id=event.case_id,
            channel=channel,
            direction=direction,
            state=state,
            subject=event.subject_line,
            legally_required=legally_required,
            at=at,
            detail=str(detail) if detail else None,
        ),
    )


async def _payment(
    ctx: CollectionContext,
    store: Store,
    event: payments.PaymentStatusChanged | payments.PaymentRefunded | payments.PaymentChargedBack,
    table: RateTable,
    origin: Origin,
) -> None:
    adm = event.administration_id
    known = await store.invoices.many(adm, event.invoice_ids)
    by_case: dict[str, Decimal] = {}
    for covered in event.invoices:
        invoice = known.get(covered.invoice_id)
        if invoice is not None and invoice.case_id is not None:
            by_case[invoice.case_id] = by_case.get(invoice.case_id, ZERO) + covered.amount
    if not by_case:
        return
    today = ctx.business_date()
    settings = await store.settings.get(adm)
    payment_id = f"online-{event.payment_id}"
    for case_id, amount in by_case.items():
        case = await store.cases.get(adm, case_id, lock=True)
        if case is None or case.status is not Status.OPEN:
            continue
        news = CaseNews()
        if isinstance(event, payments.PaymentStatusChanged):
            if event.status != PAID:
                continue
            moved = charges.receive_payment(
                case, payment_id, amount, PaymentSource.ONLINE, today, detail="paid online"
            )
            news = payment_news(moved, payment_id, today, table, settings)
        else:
            back = (
                event.refunded_amount
                if isinstance(event, payments.PaymentRefunded)
                else event.charged_back_amount
            )
            share = min(back, amount)
            why = "refunded" if isinstance(event, payments.PaymentRefunded) else "charged back"
            moved = charges.reverse_payment(case, payment_id, share, today, why)
            news = reversal_news(
                case, moved, payment_id, PaymentSource.ONLINE, today, table, settings
            )
        if moved != case:
            await store_case(
                store,
                case,
                moved,
                news,
                today,
                table,
                settings,
                correlation_id=origin.correlation_id,
                causation_id=origin.causation_id,
            )
