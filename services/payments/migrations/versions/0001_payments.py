"""outbox, inbox and the payments tables: payments, the invoices they cover, payable invoices

Revision ID: 0001
Revises:
Create Date: 2027-01-11
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


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables()
    create_outbox_queue()
    create_outbox_batches()
    op.create_table(
        "payable_invoices",
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("open_minor", sa.BigInteger, nullable=False),
        sa.Column("settled", sa.Boolean, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "invoice_id", name="pk_payable_invoices"),
    )
    op.create_index(
        "ix_payable_invoices_debtor", "payable_invoices", ["administration_id", "debtor_id"]
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("debtor_id", sa.String(64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("redirect_url", sa.String(2000), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("psp", sa.String(20), nullable=False),
        sa.Column("psp_payment_id", sa.String(64), nullable=True),
        sa.Column("psp_status", sa.String(30), nullable=True),
        sa.Column("checkout_url", sa.String(2000), nullable=True),
        sa.Column("method", sa.String(40), nullable=True),
        sa.Column("refunds", sa.JSON, nullable=False),
        sa.Column("chargebacks", sa.JSON, nullable=False),
        _at("created_at", nullable=False),
        _at("status_changed_at"),
        _at("checked_at"),
        sa.Column("refresh_due", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("payment_id", name="pk_payments"),
        sa.UniqueConstraint(
            "administration_id", "idempotency_key", name="uq_payments_idempotency"
        ),
        sa.UniqueConstraint("psp", "psp_payment_id", name="uq_payments_psp_payment"),
    )
    op.create_index(
        "ix_payments_debtor", "payments", ["administration_id", "debtor_id", "created_at"]
    )
    op.create_index("ix_payments_refresh", "payments", ["status", "checked_at"])
    op.create_table(
        "payment_invoices",
        sa.Column("payment_id", sa.String(36), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("administration_id", sa.String(64), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("amount_minor", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("payment_id", "invoice_id", name="pk_payment_invoices"),
    )
    op.create_index(
        "ix_payment_invoices_invoice", "payment_invoices", ["administration_id", "invoice_id"]
    )


def downgrade() -> None:
    op.drop_table("payment_invoices")
    op.drop_table("payments")
    op.drop_table("payable_invoices")
    drop_outbox_batches()
    drop_outbox_queue()
    drop_messaging_tables()
