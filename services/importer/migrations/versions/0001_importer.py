"""outbox, inbox and the importer tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23
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
ACTIVE = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    create_messaging_tables()
    op.create_table(
        "connections",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source_kind", sa.String(32), nullable=False),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("schedule", sa.String(16), nullable=False),
        sa.Column("schedule_time", sa.Time, nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=True),
        sa.Column("complete_list", sa.Boolean, nullable=False),
        sa.Column("ignore_invoice_numbers", sa.JSON, nullable=False),
        sa.Column("ignore_debtor_numbers", sa.JSON, nullable=False),
        sa.Column("ignore_payment_conditions", sa.JSON, nullable=False),
        sa.Column("last_scheduled_for", sa.Date, nullable=True),
        sa.Column("created_at", TZ_TIME, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "id", name="pk_connections"),
    )
    op.create_index("ix_connections_schedule", "connections", ["schedule"])
    op.create_table(
        "import_runs",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("id", ID, nullable=False),
        sa.Column("connection_id", ID, nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_name", sa.String(300), nullable=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("progress_done", sa.Integer, nullable=False),
        sa.Column("progress_total", sa.Integer, nullable=True),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.Column("notices", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", TZ_TIME, nullable=False),
        sa.Column("started_at", TZ_TIME, nullable=True),
        sa.Column("finished_at", TZ_TIME, nullable=True),
        sa.Column("heartbeat_at", TZ_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_runs"),
    )
    op.create_index(
        "ix_import_runs_listing", "import_runs", ["administration_id", "created_at", "id"]
    )
    op.create_index(
        "uq_import_runs_one_active",
        "import_runs",
        ["administration_id"],
        unique=True,
        postgresql_where=ACTIVE,
        sqlite_where=ACTIVE,
    )
    op.create_table(
        "rejected_records",
        sa.Column("run_id", ID, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("position", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_rejected_records"),
    )
    op.create_table(
        "documents",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("debtor_number", sa.String(100), nullable=False),
        sa.Column("invoice_date", sa.Date, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("payment_condition", sa.String(100), nullable=True),
        sa.Column("pdf_url", sa.String(2000), nullable=True),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "kind", "number", name="pk_documents"),
    )
    op.create_index("ix_documents_unsettled", "documents", ["administration_id", "settled"])
    op.create_table(
        "debtors",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "number", name="pk_debtors"),
    )


def downgrade() -> None:
    op.drop_table("debtors")
    op.drop_index("ix_documents_unsettled", table_name="documents")
    op.drop_table("documents")
    op.drop_table("rejected_records")
    op.drop_index("uq_import_runs_one_active", table_name="import_runs")
    op.drop_index("ix_import_runs_listing", table_name="import_runs")
    op.drop_table("import_runs")
    op.drop_index("ix_connections_schedule", table_name="connections")
    op.drop_table("connections")
    drop_messaging_tables()
