"""outbox, inbox and the collection tables: settings, copies of debtors, invoices, credit
notes and messages, cases, the statutory rate table, handoffs

Revision ID: 0001
Revises:
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

from settle_shared.migrations import (
    create_messaging_tables,
    create_outbox_batches,
    create_outbox_queue,
    drop_messaging_tables,
    drop_outbox_batches,
    drop_outbox_queue,
)

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables()
    create_outbox_queue()
    create_outbox_batches()
    op.create_table(
        "collection_settings",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("administration_id", name="pk_collection_settings"),
    )
    op.create_table(
        "debtors",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("emails", sa.JSON, nullable=False),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("address_lines", sa.JSON, nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("country", sa.String(2), nullable=True),
        sa.Column("language", sa.String(5), nullable=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "debtor_id", name="pk_debtors"),
    )
    op.create_table(
        "invoices",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("invoice_date", sa.Date, nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("pdf_url", sa.String(2000), nullable=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("ready_on", sa.Date, nullable=True),
        sa.Column("legal_letter_sent_on", sa.Date, nullable=True),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("administration_id", "invoice_id", name="pk_invoices"),
    )
    op.create_index("ix_invoices_debtor", "invoices", ["administration_id", "debtor_id"])
    op.create_table(
        "credit_notes",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("credit_note_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "credit_note_id", name="pk_credit_notes"),
    )
    op.create_index(
        "ix_credit_notes_debtor", "credit_notes", ["administration_id", "debtor_id"]
    )
    op.create_table(
        "messages",
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("invoice_ids", sa.JSON, nullable=False),
        sa.Column("case_id", sa.String(36), nullable=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("legally_required", sa.Boolean, nullable=False),
        _at("at", nullable=False),
        sa.Column("detail", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("message_id", name="pk_messages"),
    )
    op.create_index(
        "ix_messages_debtor", "messages", ["administration_id", "debtor_id", "at"]
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("consumer", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step", sa.String(30), nullable=False),
        sa.Column("step_on", sa.Date, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("unbooked", MONEY, nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=True),
        sa.Column("handoff_id", sa.String(36), nullable=True),
        sa.Column("partner_sequence", sa.Integer, nullable=False),
        sa.Column("partner_status", sa.String(20), nullable=True),
        sa.Column("invoices", sa.JSON, nullable=False),
        sa.Column("entries", sa.JSON, nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_cases"),
    )
    op.create_index("ix_cases_debtor", "cases", ["administration_id", "debtor_id", "status"])
    op.create_index("ix_cases_schedule", "cases", ["status", "step_on"])
    op.create_index(
        "ix_cases_list", "cases", ["administration_id", "status", "step", "case_id"]
    )
    op.create_table(
        "interest_rates",
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("rate_percent", sa.Numeric(7, 4), nullable=False),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.PrimaryKeyConstraint("kind", "valid_from", name="pk_interest_rates"),
    )
    op.create_table(
        "handoffs",
        sa.Column("handoff_id", sa.String(36), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("partner_id", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        _at("created_at", nullable=False),
        sa.Column("email_to", sa.String(320), nullable=True),
        _at("emailed_at"),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(2000), nullable=True),
        _at("next_attempt_at"),
        sa.PrimaryKeyConstraint("handoff_id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_case", "handoffs", ["administration_id", "case_id"])
    op.create_index("ix_handoffs_email_due", "handoffs", ["emailed_at", "next_attempt_at"])


def downgrade() -> None:
    for table in (
        "handoffs",
        "interest_rates",
        "cases",
        "messages",
        "credit_notes",
        "invoices",
        "debtors",
        "collection_settings",
    ):
        op.drop_table(table)
    drop_outbox_batches()
    drop_outbox_queue()
    drop_messaging_tables()
