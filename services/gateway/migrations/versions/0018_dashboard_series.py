"""rm_monthly_invoiced, month_end_aging and month_ends_closed: the dashboard's series (DSO,
open amount and aging per month)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

ID = sa.String(100)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "rm_monthly_invoiced",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "month", "currency", name="pk_rm_monthly_invoiced"
        ),
    )
    op.create_table(
        "month_end_aging",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("month_end", sa.Date, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("bucket", sa.String(10), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "month_end", "currency", "bucket", name="pk_month_end_aging"
        ),
    )
    op.create_table(
        "month_ends_closed",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("closed_through", sa.Date, nullable=False),
        sa.Column("followed_after", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", name="pk_month_ends_closed"),
    )


def downgrade() -> None:
    op.drop_table("month_ends_closed")
    op.drop_table("month_end_aging")
    op.drop_table("rm_monthly_invoiced")
