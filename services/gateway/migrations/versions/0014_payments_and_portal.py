"""online payments in the read model (rm_payments, rm_payment_invoices, rm_paid_online_totals,
rm_invoices.paid_online) and the debtor portal's failed links and payments

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)
TS = sa.DateTime(timezone=True)
ID = sa.String(100)


def upgrade() -> None:
    with op.batch_alter_table("rm_invoices") as batch:
        batch.add_column(sa.Column("paid_online", MONEY, nullable=True))
    op.create_table(
        "rm_payments",
        sa.Column("payment_id", ID, primary_key=True),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("method", sa.String(50), nullable=True),
        sa.Column("psp", sa.String(50), nullable=True),
        sa.Column("refunded_amount", MONEY, nullable=False),
        sa.Column("charged_back_amount", MONEY, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("status_at", TS, nullable=False),
    )
    op.create_index(
        "ix_rm_payments_debtor", "rm_payments", ["administration_id", "debtor_id", "created_at"]
    )
    op.create_index(
        "ix_rm_payments_created", "rm_payments", ["administration_id", "created_at", "payment_id"]
    )
    op.create_table(
        "rm_payment_invoices",
        sa.Column("payment_id", ID, primary_key=True),
        sa.Column("invoice_id", ID, primary_key=True),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
    )
    op.create_index(
        "ix_rm_payment_invoices_invoice",
        "rm_payment_invoices",
        ["administration_id", "invoice_id"],
    )
    op.create_table(
        "rm_paid_online_totals",
        sa.Column("administration_id", ID, primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", MONEY, nullable=False),
    )
    op.create_table(
        "portal_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("failed_at", TS, nullable=False),
    )
    op.create_index("ix_portal_failures_address", "portal_failures", ["address", "failed_at"])
    op.create_index("ix_portal_failures_at", "portal_failures", ["failed_at"])
    op.create_table(
        "portal_payments",
        sa.Column("idempotency_key", sa.String(64), primary_key=True),
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("portal_payments")
    op.drop_table("portal_failures")
    op.drop_table("rm_paid_online_totals")
    op.drop_table("rm_payment_invoices")
    op.drop_table("rm_payments")
    with op.batch_alter_table("rm_invoices") as batch:
        batch.drop_column("paid_online")

