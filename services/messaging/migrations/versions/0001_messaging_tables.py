"""outbox, inbox and the messaging tables

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from settle_shared.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "administration_profiles",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
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
        sa.PrimaryKeyConstraint("administration_id", name="pk_administration_profiles"),
    )
    op.create_table(
        "threads",
        sa.Column("thread_id", sa.String(36), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        _at("created_at", nullable=False),
        _at("last_message_at", nullable=False),
        _at("reply_expires_at", nullable=False),
        sa.PrimaryKeyConstraint("thread_id", name="pk_threads"),
    )
    op.create_index(
        "ix_threads_administration_debtor", "threads", ["administration_id", "debtor_id"]
    )
    op.create_table(
        "messages",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("thread_id", sa.String(36), nullable=False),
        sa.Column("message_request_id", sa.String(200), nullable=True),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=True),
        sa.Column("template_key", sa.String(64), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("tone", sa.String(10), nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=True),
        sa.Column("sender_name", sa.String(200), nullable=True),
        sa.Column("sender_address", sa.String(320), nullable=True),
        sa.Column("legally_required", sa.Boolean, nullable=False),
        sa.Column("request", sa.JSON, nullable=True),
        sa.Column("in_reply_to", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        _at("next_attempt_at"),
        sa.Column("failure_reason", sa.String(40), nullable=True),
        sa.Column("failure_detail", sa.Text, nullable=True),
        sa.Column("bounce_kind", sa.String(10), nullable=True),
        sa.Column("bounce_detail", sa.Text, nullable=True),
        sa.Column("correlation_id", sa.String(64), nullable=True),
        _at("created_at", nullable=False),
        _at("sent_at"),
        _at("failed_at"),
        _at("bounced_at"),
        _at("read_at"),
        sa.PrimaryKeyConstraint("message_id", name="pk_messages"),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["threads.thread_id"], name="fk_messages_thread_id_threads"
        ),
        sa.UniqueConstraint(
            "message_request_id", "channel", name="uq_messages_message_request_id"
        ),
    )
    op.create_index("ix_messages_queue", "messages", ["state", "channel", "next_attempt_at"])
    op.create_index("ix_messages_thread", "messages", ["thread_id", "created_at"])
    op.create_index(
        "ix_messages_debtor", "messages", ["administration_id", "debtor_id", "created_at"]
    )
    op.create_index(
        "ix_messages_inbox",
        "messages",
        ["administration_id", "direction", "state", "created_at"],
    )
    op.create_table(
        "recipients",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("message_id", "position", name="pk_recipients"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name="fk_recipients_message_id_messages"
        ),
    )
    op.create_table(
        "message_invoices",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "invoice_id", name="pk_message_invoices"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.message_id"],
            name="fk_message_invoices_message_id_messages",
        ),
    )
    op.create_index(
        "ix_message_invoices_invoice", "message_invoices", ["administration_id", "invoice_id"]
    )
    op.create_table(
        "attachments",
        sa.Column("attachment_id", sa.String(36), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("mime_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("attachment_id", name="pk_attachments"),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.message_id"], name="fk_attachments_message_id_messages"
        ),
    )
    op.create_index("ix_attachments_message", "attachments", ["message_id"])
    op.create_table(
        "template_overrides",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("template_key", sa.String(64), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body_text", sa.Text, nullable=False),
        sa.Column("body_html", sa.Text, nullable=True),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "template_key", "language", name="pk_template_overrides"
        ),
    )
    op.create_table(
        "inbound_replies",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("via", sa.String(20), nullable=False),
        sa.Column("sender_address", sa.String(320), nullable=True),
        sa.Column("smtp_message_id", sa.String(300), nullable=True),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        _at("received_at", nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_inbound_replies"),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.message_id"],
            name="fk_inbound_replies_message_id_messages",
        ),
    )
    op.create_table(
        "suppressed_addresses",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _at("created_at", nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "address", name="pk_suppressed_addresses"),
    )


def downgrade() -> None:
    for table in (
        "suppressed_addresses",
        "inbound_replies",
        "template_overrides",
        "attachments",
        "message_invoices",
        "recipients",
        "messages",
        "threads",
        "administration_profiles",
    ):
        op.drop_table(table)
    drop_messaging_tables()
