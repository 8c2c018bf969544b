"""payment_plans: instalment schedules that hold their invoices' flows

Revision ID: 0008
Revises: 0007
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(64)
TZ_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "payment_plans",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("next_action_on", sa.Date, nullable=True),
        sa.Column("plan", sa.JSON, nullable=False),
        sa.Column("created_at", TZ_TIME, nullable=False),
        sa.Column("updated_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "plan_id", name="pk_payment_plans"),
    )
    op.create_index(
        "ix_payment_plans_due", "payment_plans", ["administration_id", "next_action_on"]
    )
    op.create_index("ix_payment_plans_debtor", "payment_plans", ["administration_id", "debtor_id"])
    op.create_table(
        "payment_plan_invoices",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "invoice_id", "plan_id", name="pk_payment_plan_invoices"
        ),
    )


def downgrade() -> None:
    op.drop_table("payment_plan_invoices")
    op.drop_table("payment_plans")
