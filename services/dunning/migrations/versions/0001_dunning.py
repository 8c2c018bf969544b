"""outbox, inbox and the dunning tables

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

ID = sa.String(64)
MONEY = sa.Numeric(14, 2)
TZ_TIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "administrations",
        sa.Column("id", ID, nullable=False),
        sa.Column("default_language", sa.String(8), nullable=False),
        sa.Column("fallback_language", sa.String(8), nullable=False),
        sa.Column("tone", sa.String(16), nullable=False),
        sa.Column("pause", sa.String(32), nullable=False),
        sa.Column("paused_on", sa.Date, nullable=True),
        sa.Column("last_run_date", sa.Date, nullable=True),
        sa.Column("created_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_administrations"),
    )
    op.create_table(
        "debtors",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("emails", sa.JSON, nullable=False),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("address", sa.JSON, nullable=True),
        sa.Column("pause", sa.String(32), nullable=False),
        sa.Column("last_reminded_on", sa.Date, nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "id", name="pk_debtors"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "id", name="pk_credit_notes"),
    )
    op.create_index(
        "ix_credit_notes_debtor", "credit_notes", ["administration_id", "debtor_id"]
    )
    op.create_table(
        "flows",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "id", name="pk_flows"),
    )
    op.create_table(
        "dunning_states",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("flow_id", ID, nullable=False),
        sa.Column("phase", sa.String(40), nullable=False),
        sa.Column("next_step_date", sa.Date, nullable=True),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("on_hold", sa.Boolean, nullable=False),
        sa.Column("blocked_by", sa.String(40), nullable=True),
        sa.Column("fact_version", sa.Integer, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "invoice_id", name="pk_dunning_states"),
    )
    op.create_index(
        "ix_dunning_states_due", "dunning_states", ["administration_id", "next_step_date"]
    )
    op.create_index(
        "ix_dunning_states_debtor", "dunning_states", ["administration_id", "debtor_id"]
    )
    op.create_index("ix_dunning_states_flow", "dunning_states", ["administration_id", "flow_id"])
    op.create_table(
        "executed_steps",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("flow_id", ID, nullable=False),
        sa.Column("step_id", ID, nullable=False),
        sa.Column("executed_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("phase", sa.String(40), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("legally_required", sa.Boolean, nullable=False),
        sa.Column("message_request_id", ID, nullable=True),
        sa.Column("recorded_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_executed_steps"),
    )
    op.create_index(
        "ix_executed_steps_invoice", "executed_steps", ["administration_id", "invoice_id"]
    )
    op.create_table(
        "attention_items",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("subject_id", ID, nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("sentence", sa.Text, nullable=False),
        sa.Column("invoice_ids", sa.JSON, nullable=False),
        sa.Column("raised_at", TZ_TIME, nullable=False),
        sa.Column("resolved_at", TZ_TIME, nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attention_items"),
    )
    op.create_index(
        "uq_attention_items_open",
        "attention_items",
        ["administration_id", "subject", "subject_id", "reason"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index(
        "ix_attention_items_list", "attention_items", ["administration_id", "resolved_at", "id"]
    )
    op.create_table(
        "daily_runs",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("started_at", TZ_TIME, nullable=False),
        sa.Column("finished_at", TZ_TIME, nullable=True),
        sa.Column("steps_executed", sa.Integer, nullable=False),
        sa.Column("messages_requested", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "business_date", name="pk_daily_runs"),
    )


def downgrade() -> None:
    for table in (
        "daily_runs",
        "attention_items",
        "executed_steps",
        "dunning_states",
        "flows",
        "credit_notes",
        "debtors",
        "administrations",
    ):
        op.drop_table(table)
    drop_messaging_tables()
