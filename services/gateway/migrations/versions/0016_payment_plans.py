"""rm_payment_plans: payment plans in the read model

Revision ID: 0016
Revises: 0015
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ID = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "rm_payment_plans",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_on", sa.Date, nullable=False),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "plan_id", name="pk_rm_payment_plans"),
    )
    op.create_index(
        "ix_rm_payment_plans_status",
        "rm_payment_plans",
        ["administration_id", "status", "created_on"],
    )
    op.create_index(
        "ix_rm_payment_plans_debtor", "rm_payment_plans", ["administration_id", "debtor_id"]
    )
    op.create_table(
        "rm_payment_plan_invoices",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "invoice_id", "plan_id", name="pk_rm_payment_plan_invoices"
        ),
    )


def downgrade() -> None:
    op.drop_table("rm_payment_plan_invoices")
    op.drop_table("rm_payment_plans")
