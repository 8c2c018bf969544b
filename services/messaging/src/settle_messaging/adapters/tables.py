"""The messaging service's database: messages with their state, threads, recipients, the
invoices a message is about, attachments (letter PDFs), administrations' sender profiles and
template overrides, inbound replies and blocked addresses. SQLAlchemy Core on the service's own
metadata, next to the outbox and inbox."""

from __future__ import annotations

import sqlalchemy as sa

from settle_shared.db import new_metadata

metadata = new_metadata()

_ID = 64
_ADDRESS = 320  # the longest an email address can be (RFC 3696 errata)


def _at(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


# The administrations the gateway announced (gateway.administrations.v1): their settings
# (profile, templates) are kept and read for these only. One administration's events arrive in
# order (they share a key), so the latest name is the one last received.
administrations = sa.Table(
    "administrations",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    _at("known_since", nullable=False),
)

administration_profiles = sa.Table(
    "administration_profiles",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("name", sa.String(200), nullable=True),
    sa.Column("email", sa.String(_ADDRESS), nullable=True),
    sa.Column("phone", sa.String(50), nullable=True),
    sa.Column("website", sa.String(200), nullable=True),
    sa.Column("street", sa.String(200), nullable=True),
    sa.Column("postal_code", sa.String(20), nullable=True),
    sa.Column("city", sa.String(100), nullable=True),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("iban", sa.String(50), nullable=True),
    sa.Column("chamber_of_commerce", sa.String(50), nullable=True),
    sa.Column("default_language", sa.String(2), nullable=False),
    sa.Column("fallback_language", sa.String(2), nullable=False),
    sa.Column("bounce_policy", sa.String(10), nullable=True),
    _at("updated_at", nullable=False),
)

threads = sa.Table(
    "threads",
    metadata,
    sa.Column("thread_id", sa.String(36), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("case_id", sa.String(_ID), nullable=True),
    sa.Column("subject", sa.String(300), nullable=False),
    _at("created_at", nullable=False),
    _at("last_message_at", nullable=False),
    # Reply tokens are derived from the thread id and this expiry, so none is stored.
    _at("reply_expires_at", nullable=False),
    sa.Index("ix_threads_administration_debtor", "administration_id", "debtor_id"),
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("message_id", sa.String(_ID), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Column("thread_id", sa.String(36), sa.ForeignKey("threads.thread_id"), nullable=False),
    # The idempotency key of the request; with the channel it is unique, so a redelivered
    # request can never queue a second email or letter.
    sa.Column("message_request_id", sa.String(200), nullable=True),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("debtor_id", sa.String(_ID), nullable=False),
    sa.Column("case_id", sa.String(_ID), nullable=True),
    sa.Column("template_key", sa.String(64), nullable=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("tone", sa.String(10), nullable=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=True),
    sa.Column("sender_name", sa.String(200), nullable=True),
    sa.Column("sender_address", sa.String(_ADDRESS), nullable=True),
    sa.Column("legally_required", sa.Boolean, nullable=False),
    # The request as received, so a bounced email can fall back to a letter of the same step.
    sa.Column("request", sa.JSON, nullable=True),
    # The complete outgoing email, built when the message is queued: the sender only sends,
    # and a resend is byte for byte the first mail. Cleared once the message is done with.
    sa.Column("mime", sa.LargeBinary, nullable=True),
    sa.Column("in_reply_to", sa.String(_ID), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    _at("next_attempt_at"),
    sa.Column("failure_reason", sa.String(40), nullable=True),
    sa.Column("failure_detail", sa.Text, nullable=True),
    sa.Column("bounce_kind", sa.String(10), nullable=True),
    sa.Column("bounce_detail", sa.Text, nullable=True),
    sa.Column("correlation_id", sa.String(_ID), nullable=True),
    _at("created_at", nullable=False),
    _at("sent_at"),
    _at("failed_at"),
    _at("bounced_at"),
    _at("read_at"),
    sa.UniqueConstraint("message_request_id", "channel", name="uq_messages_message_request_id"),
    sa.Index("ix_messages_queue", "state", "channel", "next_attempt_at"),
    sa.Index("ix_messages_thread", "thread_id", "created_at"),
    sa.Index("ix_messages_debtor", "administration_id", "debtor_id", "created_at"),
    sa.Index("ix_messages_inbox", "administration_id", "direction", "state", "created_at"),
)

recipients = sa.Table(
    "recipients",
    metadata,
    sa.Column("message_id", sa.String(_ID), sa.ForeignKey("messages.message_id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(4), nullable=False),
    sa.Column("address", sa.String(_ADDRESS), nullable=False),
    sa.Column("name", sa.String(200), nullable=True),
)

message_invoices = sa.Table(
    "message_invoices",
    metadata,
    sa.Column("message_id", sa.String(_ID), sa.ForeignKey("messages.message_id"), primary_key=True),
    sa.Column("invoice_id", sa.String(_ID), primary_key=True),
    sa.Column("administration_id", sa.String(_ID), nullable=False),
    sa.Index("ix_message_invoices_invoice", "administration_id", "invoice_id"),
)

attachments = sa.Table(
    "attachments",
    metadata,
    sa.Column("attachment_id", sa.String(36), primary_key=True),
    sa.Column("message_id", sa.String(_ID), sa.ForeignKey("messages.message_id"), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False),
    sa.Column("mime_type", sa.String(100), nullable=False),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    _at("created_at", nullable=False),
    sa.Index("ix_attachments_message", "message_id"),
)

template_overrides = sa.Table(
    "template_overrides",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("template_key", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(2), primary_key=True),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=True),
    _at("updated_at", nullable=False),
)

inbound_replies = sa.Table(
    "inbound_replies",
    metadata,
    sa.Column("message_id", sa.String(_ID), sa.ForeignKey("messages.message_id"), primary_key=True),
    sa.Column("via", sa.String(20), nullable=False),
    sa.Column("sender_address", sa.String(_ADDRESS), nullable=True),
    sa.Column("smtp_message_id", sa.String(300), nullable=True),
    sa.Column("size_bytes", sa.Integer, nullable=False),
    _at("received_at", nullable=False),
)

suppressed_addresses = sa.Table(
    "suppressed_addresses",
    metadata,
    sa.Column("administration_id", sa.String(_ID), primary_key=True),
    sa.Column("address", sa.String(_ADDRESS), primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    _at("created_at", nullable=False),
)
