"""A case's story: what happened to the case and every message to or from its debtor about
it, in order; and the proof of the consumer's 14-day letter (when it went out, how, when its
term ended)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from settle_collection.domain.balances import letter_term
from settle_collection.domain.cases import Case, Entry, EntryKind
from settle_collection.domain.parties import AdministrationSettings, Message

DESCRIPTIONS = {
    EntryKind.PROPOSED: "case proposed, waiting for approval",
    EntryKind.OPENED: "case opened",
    EntryKind.DECLINED: "case declined",
    EntryKind.INVOICES_ADDED: "invoices added",
    EntryKind.STEP: "step",
    EntryKind.PAUSED: "case paused",
    EntryKind.RESUMED: "case resumed",
    EntryKind.COSTS_CHARGED: "collection costs charged",
    EntryKind.INTEREST_CHARGED: "statutory interest charged",
    EntryKind.REMITTED: "remitted",
    EntryKind.PAYMENT: "payment received",
    EntryKind.PAYMENT_REVERSED: "payment went back",
    EntryKind.ALLOCATION_CHANGED: "payment allocated otherwise",
    EntryKind.MESSAGE_REQUESTED: "message to the debtor requested",
    EntryKind.FORWARDED: "forwarded to the partner",
    EntryKind.PARTNER_UPDATE: "the partner reported",
    EntryKind.CLOSED: "case closed",
    EntryKind.PLAN_STARTED: "paused by a payment plan",
    EntryKind.PLAN_ENDED: "the payment plan ended; the case resumes",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a case's timeline."""

    at: date
    kind: str  # case or message
    channel: str | None = None
    direction: str | None = None
    subject: str | None = None
    state: str | None = None
    legally_required: bool = False
    detail: str | None = None
    message_id: str | None = None

    def as_fields(self) -> dict[str, Any]:
        """The fields the handoff document's timeline has."""
        return {
            "at": self.at,
            "kind": self.kind,
            "channel": self.channel,
            "direction": self.direction,
            "subject": self.subject,
            "state": self.state,
            "legally_required": self.legally_required,
            "detail": self.detail,
            "message_id": self.message_id,
        }


def describe(entry: Entry) -> str:
    """A case entry in words."""
    words = DESCRIPTIONS[entry.kind]
    parts = [words]
    if entry.step is not None:
        parts.append(entry.step.value)
    if entry.part is not None:
        parts.append(entry.part.value)
    if entry.amount is not None:
        parts.append(str(entry.amount))
    if entry.vat:
        parts.append(f"(VAT {entry.vat})")
    for extra in (entry.detail, entry.reason):
        if extra:
            parts.append(f"— {extra}")
    return " ".join(parts)


def relevant_messages(case: Case, messages: Sequence[Message]) -> list[Message]:
    """The debtor's messages that belong to the case's story: about its invoices, sent in the
    case, or an answer of the debtor."""
    invoices = set(case.invoice_ids)
    return [
        m
        for m in messages
        if m.case_id == case.case_id
        or invoices.intersection(m.invoice_ids)
        or (m.direction == "inbound" and m.case_id is None)
    ]


def case_timeline(case: Case, messages: Sequence[Message]) -> list[TimelineEntry]:
    """The case's entries and its messages, oldest first."""
    lines = [
        TimelineEntry(
            at=m.at.date(),
            kind="message",
            channel=m.channel,
            direction=m.direction,
            subject=m.subject,
            state=m.state,
            legally_required=m.legally_required,
            detail=m.detail,
            message_id=m.message_id,
        )
        for m in messages
    ]
    lines += [TimelineEntry(at=e.on, kind="case", detail=describe(e)) for e in case.entries]
    return sorted(lines, key=lambda line: (line.at, line.kind != "message"))


@dataclass(frozen=True)
class LetterProof:
    """The consumer's 14-day letter of a case: the latest one among its invoices (its term is
    the one that counts), and the messages that carried the letters."""

    sent_on: date
    received_on: date
    term_ends_on: date
    costs_from: date
    channels: tuple[str, ...]
    message_ids: tuple[str, ...]


def letter_proof(
    case: Case, messages: Sequence[Message], settings: AdministrationSettings
) -> LetterProof | None:
    """The proof of the 14-day letter, None for a business or when no invoice has one."""
    terms = [
        term
        for term in (
            letter_term(case, invoice, settings.letter_delivery_days) for invoice in case.invoices
        )
        if term is not None
    ]
    if not terms:
        return None
    latest = max(terms, key=lambda term: term.sent_on)
    letters = [
        m
        for m in messages
        if m.legally_required and m.direction == "outbound" and m.state != "failed"
    ]
    return LetterProof(
        sent_on=latest.sent_on,
        received_on=latest.received_on,
        term_ends_on=latest.term_ends_on,
        costs_from=max(term.costs_from for term in terms),
        channels=tuple(dict.fromkeys(m.channel for m in letters)),
        message_ids=tuple(m.message_id for m in letters),
    )
