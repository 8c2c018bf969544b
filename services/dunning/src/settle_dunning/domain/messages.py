"""Message requests: everything messaging needs to render and send one reminder."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from settle_dunning.domain.flows import CHANNEL_ORDER, Channel, Step
from settle_dunning.domain.money import to_amount
from settle_dunning.domain.parties import (
    Administration,
    CreditNote,
    Debtor,
    DebtorType,
    PostalAddress,
    Tone,
    message_language,
)
from settle_dunning.domain.phases import Phase
from settle_dunning.domain.state import Invoice

# Fixed namespace so a request's id depends only on what it is about: a re-run after a crash
# produces the same id and messaging can drop the duplicate.
_REQUEST_NAMESPACE = uuid.UUID("6f1c4a52-5d0e-4c8e-9a57-2b0f3c1d8e11")


@dataclass(frozen=True)
class Recipient:
    """The debtor as a template addresses them. `language` is the debtor's own (chosen by a
    user, else bookkeeping's), None when they have none; `country` is bookkeeping's."""

    debtor_id: str
    number: str
    name: str
    debtor_type: DebtorType
    emails: tuple[str, ...]
    phone: str | None
    address: PostalAddress | None
    language: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class InvoiceLine:
    """One invoice in a reminder, with the step that reminds of it."""

    invoice_id: str
    number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    step_id: str
    phase: Phase
    legally_required: bool


@dataclass(frozen=True)
class PlanInstalmentLine:
    """One instalment of a payment plan in a message, with what of it is paid."""

    number: int
    due_on: date
    amount: Decimal
    paid_amount: Decimal


@dataclass(frozen=True)
class PlanMessage:
    """The payment plan a message is about (domain/plans.py): its schedule and, for a
    reminder or a missed notice, the instalment concerned."""

    plan_id: str
    total: Decimal
    left: Decimal
    currency: str
    instalments: tuple[PlanInstalmentLine, ...]
    instalment: int | None = None


@dataclass(frozen=True)
class CreditLine:
    """An open credit note of the debtor, stated in a reminder in its currency."""

    credit_note_id: str
    number: str
    invoice_date: date | None
    amount: Decimal
    open_amount: Decimal
    currency: str
    corrects_invoice_number: str | None


@dataclass(frozen=True)
class MessageRequest:
    """One message to one debtor covering one or more invoices (a bundle).

    `template_key` and `phase` come from the most advanced step in the bundle; each line
    keeps its own step and phase so a template can say which invoice is at which stage.
    `channels` only holds channels that reach the debtor (not call tasks). `credit_notes` are
    the debtor's open credit notes in the bundle's currency (reminders only), and
    `amount_due` what remains of the open amount after them: the amount the message asks for.
    """

    id: str
    administration_id: str
    flow_id: str
    business_date: date
    recipient: Recipient
    invoices: tuple[InvoiceLine, ...]
    currency: str
    total_open_amount: Decimal
    channels: tuple[Channel, ...]
    template_key: str
    phase: Phase
    legally_required: bool
    language: str
    fallback_language: str
    tone: Tone
    credit_notes: tuple[CreditLine, ...] = ()
    amount_due: Decimal = Decimal("0.00")
    payment_plan: PlanMessage | None = None


def invoice_line(invoice: Invoice, step: Step) -> InvoiceLine:
    """The line for `invoice` in a message sent by `step`."""
    return InvoiceLine(
        invoice_id=invoice.id,
        number=invoice.number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
        open_amount=invoice.open_amount,
        currency=invoice.currency,
        step_id=step.id,
        phase=step.target_phase,
        legally_required=step.legally_required,
    )


def credit_lines(credit_notes: Sequence[CreditNote], currency: str) -> tuple[CreditLine, ...]:
    """The open credit notes of `currency`, as a reminder in that currency states them (by
    date and number); amounts of another currency are never added to it."""
    notes = sorted(
        (n for n in credit_notes if n.is_open and n.currency == currency),
        key=lambda n: (n.invoice_date or date.min, n.number),
    )
    return tuple(
        CreditLine(
            credit_note_id=n.id,
            number=n.number,
            invoice_date=n.invoice_date,
            amount=n.amount,
            open_amount=n.open_amount,
            currency=n.currency,
            corrects_invoice_number=n.corrects_invoice_number,
        )
        for n in notes
    )


def message_request_id(
    administration_id: str,
    debtor_id: str,
    flow_id: str,
    business_date: date,
    invoice_ids: Sequence[str],
) -> str:
    """A deterministic id for the message about these invoices on this business date."""
    name = "|".join(
        [administration_id, debtor_id, flow_id, business_date.isoformat(), *sorted(invoice_ids)]
    )
    return str(uuid.uuid5(_REQUEST_NAMESPACE, name))


def build_message_request(
    *,
    administration: Administration,
    debtor: Debtor,
    flow_id: str,
    business_date: date,
    lines: Sequence[InvoiceLine],
    channels: Sequence[Channel],
    template_key: str,
    credit_notes: Sequence[CreditNote] = (),
) -> MessageRequest:
    """Assemble one message request for `lines` (all of one debtor and one currency).

    `template_key` is the template of the most advanced step among the lines; `credit_notes`
    the debtor's, of which the open ones in the lines' currency are stated (pass them for
    reminders only).
    """
    if not lines:
        raise ValueError("a message request needs at least one invoice")
    if len({line.currency for line in lines}) > 1:
        raise ValueError("a message request never adds amounts of two currencies")
    ordered = tuple(sorted(lines, key=lambda line: (line.due_date, line.number)))
    currency = ordered[0].currency
    total = to_amount(sum((x.open_amount for x in ordered), Decimal(0)))
    credits = credit_lines(credit_notes, currency)
    lead = max(ordered, key=lambda line: (line.phase, line.legally_required))
    wanted = set(channels)
    return MessageRequest(
        id=message_request_id(
            administration.id, debtor.id, flow_id, business_date, [x.invoice_id for x in ordered]
        ),
        administration_id=administration.id,
        flow_id=flow_id,
        business_date=business_date,
        recipient=Recipient(
            debtor_id=debtor.id,
            number=debtor.number,
            name=debtor.name,
            debtor_type=debtor.debtor_type,
            emails=debtor.emails,
            phone=debtor.phone,
            address=debtor.address,
            language=debtor.own_language,
            country=debtor.country or (debtor.address.country if debtor.address else None),
        ),
        invoices=ordered,
        currency=currency,
        total_open_amount=total,
        channels=tuple(c for c in CHANNEL_ORDER if c in wanted and c.reaches_debtor),
        template_key=template_key,
        phase=lead.phase,
        legally_required=any(x.legally_required for x in ordered),
        language=message_language(debtor, administration),
        fallback_language=administration.fallback_language,
        tone=administration.tone,
        credit_notes=credits,
        amount_due=to_amount(total + sum((c.open_amount for c in credits), Decimal(0))),
    )
