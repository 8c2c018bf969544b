"""What messaging's events about a debtor mean for dunning: attention items.

Messaging tells what happened to the messages dunning requested (sent, failed, bounced) and to
the debtor's replies (received, read). Dunning keeps, per debtor, when an email last went out
and when one last came back for good, and per reply whether it is unread, each with the time
of the fact that set it. Facts are applied in the order they happened, not the order they
arrived, so a redelivered or late older fact changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from settle_dunning.domain import attention
from settle_dunning.domain.attention import AttentionChange
from settle_dunning.domain.parties import Debtor

# A message that failed for one of these reasons will fail again until the address changes.
UNDELIVERABLE_FAILURES = frozenset({"invalid_email_address", "address_blocked"})
MISSING_FAILURES = frozenset({"email_missing"})


@dataclass(frozen=True)
class Mailbox:
    """One debtor's email as messaging reported it."""

    last_sent_at: datetime | None = None
    last_undeliverable_at: datetime | None = None


@dataclass(frozen=True)
class MailboxReaction:
    """The debtor's mailbox after a fact, and the attention changes it causes."""

    mailbox: Mailbox
    attention: tuple[AttentionChange, ...] = ()


def _is_later(at: datetime, than: datetime | None) -> bool:
    return than is None or at > than


def email_sent(mailbox: Mailbox, debtor_id: str, at: datetime) -> MailboxReaction:
    """An email to the debtor was accepted: an address that bounced before works again."""
    if not _is_later(at, mailbox.last_sent_at):
        return MailboxReaction(mailbox)  # a redelivery, or an older send reported late
    after = replace(mailbox, last_sent_at=at)
    if mailbox.last_undeliverable_at is not None and at > mailbox.last_undeliverable_at:
        return MailboxReaction(after, (attention.email_delivered(debtor_id),))
    # Nothing to resolve, but the time is kept so an older bounce arriving later is ignored.
    return MailboxReaction(after, ())


def _still_the_debtors(address: str | None, debtor: Debtor | None) -> bool:
    """False when bookkeeping has since replaced the address that failed."""
    if address is None or debtor is None or not debtor.has_email:
        return True  # nothing to compare with: believe messaging
    return address.strip().lower() in {e.strip().lower() for e in debtor.emails}


def email_undeliverable(
    mailbox: Mailbox,
    debtor_id: str,
    debtor: Debtor | None,
    address: str | None,
    at: datetime,
) -> MailboxReaction:
    """An email came back for good (a hard bounce, or an address messaging refuses).

    Raised unless an email went out after it (the bounce is older than that success) or the
    address is no longer the debtor's.
    """
    if not _is_later(at, mailbox.last_sent_at) or not _is_later(at, mailbox.last_undeliverable_at):
        return MailboxReaction(mailbox)
    if not _still_the_debtors(address, debtor):
        return MailboxReaction(mailbox)
    shown = address or (", ".join(debtor.emails) if debtor and debtor.has_email else None)
    change = attention.email_undeliverable(debtor_id, shown or "this debtor", hard=True)
    return MailboxReaction(replace(mailbox, last_undeliverable_at=at), (change,))


def email_missing(
    debtor_id: str, debtor: Debtor | None, invoice_ids: tuple[str, ...]
) -> tuple[AttentionChange, ...]:
    """Messaging had no address to send to. Nothing to do when the debtor has one by now:
    the next import brought it after the message was requested."""
    if debtor is not None and debtor.has_email:
        return ()
    return (attention.message_without_email(debtor_id, invoice_ids),)


@dataclass(frozen=True)
class ReplyMark:
    """Whether one reply is unread, and the time of the fact that said so."""

    unread: bool
    at: datetime


def reply_received(stored: ReplyMark | None, at: datetime) -> ReplyMark | None:
    """A new reply is unread; None when it is known already (a redelivery, or it was marked
    read before its arrival was reported)."""
    return ReplyMark(unread=True, at=at) if stored is None else None


def reply_marked(stored: ReplyMark | None, read: bool, at: datetime) -> ReplyMark | None:
    """A user marked a reply read (or unread again); None when nothing changes because the
    stored mark is newer or the same."""
    if stored is not None and (at < stored.at or stored.unread is not read):
        return None
    return ReplyMark(unread=not read, at=at)


def unread_replies(debtor_id: str, unread: int) -> AttentionChange:
    """Raise the unread-messages item while any reply is unread, resolve it at zero."""
    return attention.unread_messages(debtor_id, unread)
