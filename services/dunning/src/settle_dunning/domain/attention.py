"""Attention items dunning raises and resolves, each with a reason code and a sentence.

The domain only says "raise" or "resolve"; the service stores items keyed by subject and
reason, so raising the same item twice is a no-op there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
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


class AttentionSubject(StrEnum):
    """What an attention item is about."""

    INVOICE = "invoice"
    DEBTOR = "debtor"


class AttentionAction(StrEnum):
    """Whether the item is raised or resolved."""

    RAISE = "raise"
    RESOLVE = "resolve"


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
