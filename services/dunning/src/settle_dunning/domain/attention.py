"""Attention items dunning raises and resolves, each with a reason code and a sentence.

The rules say "raise" or "resolve" (an AttentionChange); `apply_attention` says what that
does to the open items: one open item per subject and reason, so raising an open item again
merges into it, and resolving an item that is not open does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class AttentionReason(StrEnum):
    """Why a person should look at an invoice or debtor."""

    EMAIL_MISSING = "email_missing"
    PHONE_MISSING = "phone_missing"
    BELOW_MINIMUM_AMOUNT = "below_minimum_amount"
    POSSIBLE_BOOKKEEPING_ERROR = "possible_bookkeeping_error"
    EMAIL_UNDELIVERABLE = "email_undeliverable"
    UNREAD_MESSAGES = "unread_messages"
    NEEDS_CALL = "needs_call"
    READY_FOR_COLLECTION = "ready_for_collection"
    UNMATCHED_CREDIT_NOTE = "unmatched_credit_note"
    LEGAL_LETTER_MISSING = "legal_letter_missing"
    LETTER_TO_POST = "letter_to_post"
    MESSAGE_FAILED = "message_failed"
    # Paid online, waiting for bookkeeping to book it (reminders wait meanwhile).
    ONLINE_PAYMENT_REGISTERED = "online_payment_registered"
    # The money went back (a refund or chargeback): reminders resumed.
    ONLINE_PAYMENT_REVERSED = "online_payment_reversed"
    # Paid online but not booked in time: reminders resumed.
    ONLINE_PAYMENT_NOT_BOOKED = "online_payment_not_booked"
    # A debtor proposed a payment plan in the portal: a person approves, changes or rejects it.
    PAYMENT_PLAN_REQUESTED = "payment_plan_requested"
    # A payment plan's last date passed unpaid: a person ends or edits it.
    PAYMENT_PLAN_EXPIRED = "payment_plan_expired"
    DUE_DATE_ASSUMED = "due_date_assumed"


#: Items a person resolves by saying they looked (the others resolve when their cause goes).
RESOLVED_BY_A_PERSON = frozenset(
    {
        AttentionReason.DUE_DATE_ASSUMED,
        AttentionReason.POSSIBLE_BOOKKEEPING_ERROR,
        AttentionReason.NEEDS_CALL,
    }
)


class AttentionSubject(StrEnum):
    """What an attention item is about."""

    INVOICE = "invoice"
    DEBTOR = "debtor"


class AttentionAction(StrEnum):
    """Whether the item is raised, resolved, or (an open one raised again) brought up to date."""

    RAISE = "raise"
    RESOLVE = "resolve"
    UPDATE = "update"


@dataclass(frozen=True)
class AttentionChange:
    """Raise or resolve one attention item.

    `key` identifies the item: one open item per subject and reason.
    """

    action: AttentionAction
    reason: AttentionReason
    subject: AttentionSubject
    subject_id: str
    sentence: str
    invoice_ids: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[AttentionSubject, str, AttentionReason]:
        """The identity of the item this change applies to."""
        return (self.subject, self.subject_id, self.reason)


def _raise(
    reason: AttentionReason,
    subject: AttentionSubject,
    subject_id: str,
    sentence: str,
    invoice_ids: tuple[str, ...] = (),
) -> AttentionChange:
    return AttentionChange(
        AttentionAction.RAISE, reason, subject, subject_id, sentence, invoice_ids
    )


def resolve(
    reason: AttentionReason, subject: AttentionSubject, subject_id: str, sentence: str
) -> AttentionChange:
    """Resolve the item of `reason` on a subject, with a sentence saying why it is resolved."""
    return AttentionChange(AttentionAction.RESOLVE, reason, subject, subject_id, sentence)


def email_missing(debtor_id: str, invoice_id: str, step_id: str) -> AttentionChange:
    """An email step is due for a debtor without an email address."""
    return _raise(
        AttentionReason.EMAIL_MISSING,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"Step {step_id!r} should go out by email, but this debtor has no email address. "
        "Add one in the bookkeeping; it arrives with the next import.",
        (invoice_id,),
    )


def message_without_email(debtor_id: str, invoice_ids: tuple[str, ...]) -> AttentionChange:
    """Messaging could not send an email: it had no address for the debtor."""
    return _raise(
        AttentionReason.EMAIL_MISSING,
        AttentionSubject.DEBTOR,
        debtor_id,
        "An email to this debtor could not be sent: there is no email address. Add one in the "
        "bookkeeping; it arrives with the next import.",
        invoice_ids,
    )


def phone_missing(debtor_id: str, invoice_id: str, step_id: str) -> AttentionChange:
    """An SMS step is due for a debtor without a phone number."""
    return _raise(
        AttentionReason.PHONE_MISSING,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"Step {step_id!r} should go out by SMS, but this debtor has no phone number. "
        "Add one in the bookkeeping; it arrives with the next import.",
        (invoice_id,),
    )


def below_minimum_amount(
    invoice_id: str, step_id: str, open_amount: Decimal, minimum: Decimal, currency: str
) -> AttentionChange:
    """A step is due but the open amount is below the step's minimum."""
    return _raise(
        AttentionReason.BELOW_MINIMUM_AMOUNT,
        AttentionSubject.INVOICE,
        invoice_id,
        f"Step {step_id!r} was not sent: the open amount {currency} {open_amount} is below "
        f"the step's minimum of {currency} {minimum}. Skip the step, or write the amount off.",
    )


def possible_bookkeeping_error(invoice_id: str, detail: str) -> AttentionChange:
    """Something about the invoice in bookkeeping looks wrong."""
    return _raise(
        AttentionReason.POSSIBLE_BOOKKEEPING_ERROR,
        AttentionSubject.INVOICE,
        invoice_id,
        f"Possible bookkeeping error: {detail}. Check the invoice in the bookkeeping.",
    )


def needs_call(debtor_id: str, invoice_id: str, step_id: str) -> AttentionChange:
    """A call-task step was executed: someone should phone the debtor."""
    return _raise(
        AttentionReason.NEEDS_CALL,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"Step {step_id!r} asks for a phone call to this debtor about their open invoices.",
        (invoice_id,),
    )


def ready_for_collection(debtor_id: str, invoice_id: str, on: date) -> AttentionChange:
    """An invoice reached the end of its flow."""
    return _raise(
        AttentionReason.READY_FOR_COLLECTION,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"The reminders for this debtor have run their course (on {on.isoformat()}); "
        "decide whether to open a collection case.",
        (invoice_id,),
    )


def unmatched_credit_note(debtor_id: str, invoice_id: str) -> AttentionChange:
    """An unmatched credit note holds back the automatic move to ready-for-collection."""
    return _raise(
        AttentionReason.UNMATCHED_CREDIT_NOTE,
        AttentionSubject.DEBTOR,
        debtor_id,
        "This debtor has a credit note that is not matched to an invoice, so their invoices do "
        "not move to collection automatically. Match the credit note in the bookkeeping.",
        (invoice_id,),
    )


def credit_notes_cover_reminder(
    debtor_id: str,
    invoice_ids: tuple[str, ...],
    currency: str,
    open_amount: Decimal,
    credit: Decimal,
) -> AttentionChange:
    """A reminder was held back: the debtor's open credit notes cover what it would ask for."""
    return _raise(
        AttentionReason.UNMATCHED_CREDIT_NOTE,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"A reminder was not sent: this debtor's open credit notes ({currency} {credit}) cover "
        f"the open invoices it is about ({currency} {open_amount}). Match the credit notes to "
        "the invoices in the bookkeeping; the next import settles them.",
        invoice_ids,
    )


def due_date_assumed(
    invoice_id: str, number: str, invoice_date: date, due_date: date
) -> AttentionChange:
    """The invoice came without a due date or payment terms: its due date was assumed from the
    connection's default payment term."""
    days = (due_date - invoice_date).days
    return _raise(
        AttentionReason.DUE_DATE_ASSUMED,
        AttentionSubject.INVOICE,
        invoice_id,
        f"Invoice {number} came without a due date or payment terms, so it was taken to be due "
        f"on {due_date.isoformat()}, the connection's default term of {days} days after the "
        "invoice date; its reminders are planned on that date. Check it against what was "
        "agreed with the debtor: resolve this item when it is right, or reschedule the "
        "invoice's next step when it is not.",
        (invoice_id,),
    )


def legal_letter_missing(debtor_id: str, invoice_id: str) -> AttentionChange:
    """A consumer's invoice would move to collection without the 14-day letter."""
    return _raise(
        AttentionReason.LEGAL_LETTER_MISSING,
        AttentionSubject.DEBTOR,
        debtor_id,
        "This consumer has not been sent the 14-day letter, so the invoice cannot move to "
        "collection. Put the invoice on a flow with the 14-day letter, or reset its flow.",
        (invoice_id,),
    )


def email_undeliverable(debtor_id: str, address: str, hard: bool) -> AttentionChange:
    """A message to the debtor bounced."""
    kind = "permanently" if hard else "temporarily"
    return _raise(
        AttentionReason.EMAIL_UNDELIVERABLE,
        AttentionSubject.DEBTOR,
        debtor_id,
        f"Email to {address} could not be delivered ({kind}). Check the address in the "
        "bookkeeping.",
    )


def email_delivered(debtor_id: str) -> AttentionChange:
    """A later message was delivered: the address works again."""
    return resolve(
        AttentionReason.EMAIL_UNDELIVERABLE,
        AttentionSubject.DEBTOR,
        debtor_id,
        "A later email to this debtor was delivered.",
    )


def letter_to_post(invoice_id: str) -> AttentionChange:
    """A letter about the invoice is rendered and waits for someone to post it."""
    return _raise(
        AttentionReason.LETTER_TO_POST,
        AttentionSubject.INVOICE,
        invoice_id,
        "A letter about this invoice is waiting to be posted: print its PDF from the message "
        "and mark the message as posted.",
        (invoice_id,),
    )


def letter_posted(invoice_id: str) -> AttentionChange:
    """The letter was marked as posted."""
    return resolve(
        AttentionReason.LETTER_TO_POST,
        AttentionSubject.INVOICE,
        invoice_id,
        "The letter was posted.",
    )


def step_not_delivered(
    invoice_id: str, step_id: str, executed_on: date, detail: str, *, planned_again: bool
) -> AttentionChange:
    """An executed step's message reached the debtor on none of its channels."""
    then = (
        "It is planned again and waits until the cause is cleared: a change of the debtor's "
        "email or postal address in the bookkeeping plans it at once; otherwise correct the "
        "cause and perform the step now, or skip it."
        if planned_again
        else "A later step has run since, so it is not planned again."
    )
    return _raise(
        AttentionReason.MESSAGE_FAILED,
        AttentionSubject.INVOICE,
        invoice_id,
        f"The message of step {step_id!r} ({executed_on.isoformat()}) could not be sent: "
        f"{detail}. {then}",
        (invoice_id,),
    )


def channel_unavailable(invoice_id: str, step_id: str, reasons: Sequence[str]) -> AttentionChange:
    """A step is due whose channels Settle cannot send (SMS without an SMS provider)."""
    return _raise(
        AttentionReason.MESSAGE_FAILED,
        AttentionSubject.INVOICE,
        invoice_id,
        f"Step {step_id!r} could not be sent: {'; '.join(reasons)}. Change the step in the "
        "flow to email or letter, or skip the step.",
        (invoice_id,),
    )


def message_failed_answered(invoice_id: str, why: str) -> AttentionChange:
    """A step held back because its message could not be sent no longer waits."""
    return resolve(AttentionReason.MESSAGE_FAILED, AttentionSubject.INVOICE, invoice_id, why)


def unread_messages(debtor_id: str, unread: int) -> AttentionChange:
    """The debtor's thread has `unread` unread replies: raise while any, resolve at zero."""
    if unread > 0:
        return _raise(
            AttentionReason.UNREAD_MESSAGES,
            AttentionSubject.DEBTOR,
            debtor_id,
            f"This debtor sent {unread} message{'s' if unread != 1 else ''} nobody has read.",
        )
    return resolve(
        AttentionReason.UNREAD_MESSAGES,
        AttentionSubject.DEBTOR,
        debtor_id,
        "All messages from this debtor have been read.",
    )


AttentionKey = tuple[AttentionSubject, str, AttentionReason]


@dataclass(frozen=True)
class AttentionItem:
    """An attention item as stored: open until `resolved_at` is set.

    `id` is None for an item raised by the changes being applied (not stored yet).
    """

    subject: AttentionSubject
    subject_id: str
    reason: AttentionReason
    sentence: str
    invoice_ids: tuple[str, ...]
    raised_at: datetime
    id: int | None = None
    resolved_at: datetime | None = None
    resolution: str | None = None

    @property
    def key(self) -> AttentionKey:
        """The identity of the item: one open item per subject and reason."""
        return (self.subject, self.subject_id, self.reason)


@dataclass(frozen=True)
class AttentionUpdate:
    """What applying attention changes does to the stored items.

    `effective` holds the changes that changed something (the ones to publish), in order, then
    an update per stored open item that was raised again;
    `raised` the new items (an item raised and resolved by the same changes is stored
    resolved); `merged` the stored open items whose invoices or sentence changed; `resolved`
    the stored items that were resolved.
    """

    effective: tuple[AttentionChange, ...]
    raised: tuple[AttentionItem, ...]
    merged: tuple[AttentionItem, ...]
    resolved: tuple[AttentionItem, ...]


def apply_attention(
    open_items: Iterable[AttentionItem], changes: Sequence[AttentionChange], now: datetime
) -> AttentionUpdate:
    """Apply `changes`, in order, to the open items of their subjects and reasons.

    Raising an item that is not open opens a new one. Raising an open item again raises
    nothing new: its new invoices are merged in and its sentence brought up to date (an
    unread count, say), and that update is published once, with the item as it ends up.
    Resolving an open item closes it with the change's sentence as the resolution; resolving an
    item that is not open does nothing.

    >>> from datetime import UTC
    >>> now = datetime(2025, 3, 20, tzinfo=UTC)
    >>> first = needs_call("deb-1", "inv-1", "call")
    >>> update = apply_attention([], [first, needs_call("deb-1", "inv-2", "call")], now)
    >>> [item.invoice_ids for item in update.raised], len(update.effective)
    ([('inv-1', 'inv-2')], 1)
    """
    current: dict[AttentionKey, AttentionItem] = {item.key: item for item in open_items}
    raised: list[AttentionItem] = []
    raised_at: dict[AttentionKey, int] = {}  # where an open new item is in `raised`
    merged: dict[AttentionKey, AttentionItem] = {}
    resolved: list[AttentionItem] = []
    effective: list[AttentionChange] = []
    for change in changes:
        key = change.key
        item = current.get(key)
        if change.action is AttentionAction.RAISE:
            if item is None:
                item = AttentionItem(
                    change.subject,
                    change.subject_id,
                    change.reason,
                    change.sentence,
                    change.invoice_ids,
                    raised_at=now,
                )
                current[key] = item
                raised_at[key] = len(raised)
                raised.append(item)
                effective.append(change)
                continue
            extra = tuple(i for i in change.invoice_ids if i not in item.invoice_ids)
            if not extra and change.sentence == item.sentence:
                continue
            item = replace(item, sentence=change.sentence, invoice_ids=item.invoice_ids + extra)
            current[key] = item
            if item.id is None:
                raised[raised_at[key]] = item
            else:
                merged[key] = item
        elif item is not None:
            del current[key]
            effective.append(change)
            closed = replace(item, resolved_at=now, resolution=change.sentence)
            if item.id is None:
                raised[raised_at.pop(key)] = closed
            else:
                merged.pop(key, None)
                resolved.append(closed)
    effective += [
        AttentionChange(
            AttentionAction.UPDATE,
            item.reason,
            item.subject,
            item.subject_id,
            item.sentence,
            item.invoice_ids,
        )
        for item in merged.values()
    ]
    return AttentionUpdate(tuple(effective), tuple(raised), tuple(merged.values()), tuple(resolved))
