"""The messages the service keeps and what happens to them.

A message (outbound or a debtor's reply) belongs to a thread, has its recipients, the invoices
it is about and, for a letter, its PDF. Its state changes only through the methods here, which
follow the state machine of ``states`` (docs/domain.md, Messages); each records what it
changed, so a repository writes back exactly that.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from settle_messaging.domain.bounces import Bounce, BounceKind
from settle_messaging.domain.email_builder import Mailbox
from settle_messaging.domain.states import Direction, MessageState, can_transition, is_unread

# Longest failure or bounce detail kept with a message.
MAX_DETAIL = 2000


@dataclass
class Thread:
    """A conversation with a debtor: the messages sent and the replies that came back."""

    thread_id: str
    administration_id: str
    debtor_id: str
    case_id: str | None
    subject: str
    created_at: datetime
    last_message_at: datetime
    # Reply tokens are derived from the thread id and this expiry, so none is stored.
    reply_expires_at: datetime

    def title_from(self, messages: Iterable[Message]) -> None:
        """A thread opened for a reminder is titled by the subject its first message was
        rendered with (until then it has only the template's key)."""
        for message in messages:
            if message.template_key and message.subject != message.template_key:
                self.subject = message.subject[:300]
                return


def new_thread(
    administration_id: str,
    debtor_id: str,
    case_id: str | None,
    subject: str,
    now: datetime,
    reply_days: int,
) -> Thread:
    """A thread opened now whose reply links stay valid for ``reply_days``."""
    # Whole seconds: the token carries the expiry in seconds and must be derivable again.
    expires_at = (now + timedelta(days=reply_days)).replace(microsecond=0)
    return Thread(
        thread_id=str(uuid.uuid4()),
        administration_id=administration_id,
        debtor_id=debtor_id,
        case_id=case_id,
        subject=subject[:300],
        created_at=now,
        last_message_at=now,
        reply_expires_at=expires_at,
    )


@dataclass(frozen=True)
class StoredAttachment:
    """A file kept with a message (a letter's PDF); ``content`` is None when only its
    description was read."""

    attachment_id: str
    message_id: str
    filename: str
    mime_type: str
    size_bytes: int
    created_at: datetime
    content: bytes | None = None


# How much of a reply's Message-ID header is kept (the column's width).
SMTP_MESSAGE_ID_CHARS = 300


def stored_smtp_message_id(header: str) -> str:
    """A Message-ID header as stored, so a lookup compares what was kept."""
    return header[:SMTP_MESSAGE_ID_CHARS]


@dataclass(frozen=True)
class ReplyReceipt:
    """How a debtor's reply arrived."""

    via: str
    sender_address: str | None
    smtp_message_id: str | None
    size_bytes: int
    received_at: datetime


@dataclass
class Message:
    """One message of a thread: what it says, to whom, and where it stands."""

    message_id: str
    administration_id: str
    thread_id: str
    direction: Direction
    channel: str
    state: MessageState
    debtor_id: str
    case_id: str | None
    subject: str
    body_text: str
    created_at: datetime
    # The idempotency key of the request (with the channel it is unique).
    message_request_id: str | None = None
    template_key: str | None = None
    language: str | None = None
    tone: str | None = None
    body_html: str | None = None
    sender_name: str | None = None
    sender_address: str | None = None
    legally_required: bool = False
    # The request as received, so a bounced email can fall back to a letter of the same step.
    request: dict[str, Any] | None = None
    # The complete outgoing email, built when queued; cleared once the message is done with.
    mime: bytes | None = None
    in_reply_to: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    failure_reason: str | None = None
    failure_detail: str | None = None
    bounce_kind: str | None = None
    bounce_detail: str | None = None
    correlation_id: str | None = None
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    bounced_at: datetime | None = None
    read_at: datetime | None = None
    invoice_ids: list[str] = field(default_factory=list)
    recipients: list[Mailbox] = field(default_factory=list)
    attachments: list[StoredAttachment] = field(default_factory=list)
    receipt: ReplyReceipt | None = None
    # The fields changed since the message was loaded (what a repository writes back).
    changed: set[str] = field(default_factory=set, compare=False, repr=False)

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, name, value)
        self.changed.update(values)

    @property
    def unread(self) -> bool:
        """Whether the message counts as unread (a reply nobody has read yet)."""
        return is_unread(self.state)

    def event_fields(self) -> dict[str, Any]:
        """The fields every messaging event about this message carries."""
        return {
            "administration_id": self.administration_id,
            "message_id": self.message_id,
            "message_request_id": self.message_request_id,
            "debtor_id": self.debtor_id,
            "invoice_ids": self.invoice_ids,
            "case_id": self.case_id,
            "thread_id": self.thread_id,
            "subject_line": self.subject,
        }

    def sent(self, now: datetime) -> None:
        """The server took the email: sent, and the stored mail has done its job (the bodies
        stay for the timeline, the bytes need not)."""
        self._set(
            state=MessageState.SENT,
            sent_at=now,
            attempts=self.attempts + 1,
            next_attempt_at=None,
            mime=None,
        )

    def fail(self, reason: str, detail: str, now: datetime) -> None:
        """The email is refused for good (``reason`` is a stable code)."""
        self._set(
            state=MessageState.FAILED,
            failed_at=now,
            failure_reason=reason,
            failure_detail=detail[:MAX_DETAIL],
            attempts=self.attempts + 1,
            mime=None,
        )

    def gives_up(self, now: datetime, after: timedelta) -> bool:
        """Whether an email still refused for now has been tried for too long."""
        return now - self.created_at > after

    def defer(self, reason: str, next_attempt_at: datetime) -> None:
        """Refused for now: tried once more, and again at ``next_attempt_at``."""
        self._set(
            attempts=self.attempts + 1,
            next_attempt_at=next_attempt_at,
            failure_detail=reason[:MAX_DETAIL],
        )

    def posted(self, now: datetime) -> bool:
        """A person posted the letter: it counts as sent from now on. False when it already
        was (nothing changes, nothing is announced)."""
        if self.state == MessageState.SENT:
            return False
        self._set(state=MessageState.SENT, sent_at=now)
        return True

    def bounce(self, bounce: Bounce, reason: str, now: datetime) -> None:
        """A hard bounce makes the message bounced (when its state allows); the first bounce
        of any kind is kept as its bounce detail."""
        hard = bounce.kind is BounceKind.HARD
        state = self.state
        if hard and state != MessageState.BOUNCED and can_transition(state, MessageState.BOUNCED):
            self._set(
                state=MessageState.BOUNCED,
                bounced_at=now,
                bounce_kind=bounce.kind.value,
                bounce_detail=reason[:MAX_DETAIL],
            )
        elif self.bounce_kind is None:
            self._set(bounce_kind=bounce.kind.value, bounce_detail=reason[:MAX_DETAIL])

    def mark_read(self, read: bool, now: datetime) -> bool:
        """Mark a reply read (or unread again); False when it already is as asked."""
        if self.unread != read:
            return False
        target = MessageState.READ if read else MessageState.RECEIVED
        self._set(state=target, read_at=now if read else None)
        return True


@dataclass(frozen=True)
class QueuedEmail:
    """An email due to be sent, with its thread's reply expiry (for a mail built only now)."""

    message: Message
    reply_expires_at: datetime


def bounce_reason(bounce: Bounce) -> str:
    """What a bounce says, in one line."""
    return " ".join(part for part in (bounce.status, bounce.diagnostic) if part) or "bounced"


def new_reply(
    thread: Thread,
    *,
    via: str,
    subject: str,
    text: str,
    sender: str | None,
    sender_name: str | None,
    smtp_message_id: str | None,
    in_reply_to: str | None,
    invoice_ids: Sequence[str],
    size_bytes: int,
    now: datetime,
) -> Message:
    """A debtor's reply as an unread inbound message of its thread."""
    message_id = uuid.uuid4().hex
    sender_address = (sender or "")[:320] or None
    return Message(
        message_id=message_id,
        administration_id=thread.administration_id,
        thread_id=thread.thread_id,
        direction=Direction.INBOUND,
        channel="email",
        state=MessageState.RECEIVED,
        debtor_id=thread.debtor_id,
        case_id=thread.case_id,
        subject=subject[:300] or thread.subject,
        body_text=text,
        sender_name=(sender_name or "")[:200] or None,
        sender_address=sender_address,
        in_reply_to=in_reply_to,
        created_at=now,
        invoice_ids=list(invoice_ids),
        receipt=ReplyReceipt(
            via=via,
            sender_address=sender_address,
            smtp_message_id=stored_smtp_message_id(smtp_message_id) if smtp_message_id else None,
            size_bytes=size_bytes,
            received_at=now,
        ),
    )
