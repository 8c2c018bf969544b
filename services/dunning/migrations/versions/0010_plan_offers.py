"""plan_offers: the payment plans an administration offers in the portal by open amount

Revision ID: 0010
Revises: 0009
Create Date: 2027-01-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.String(64)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "plan_offers",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("min_open_amount", MONEY, nullable=False),
        sa.Column("max_open_amount", MONEY, nullable=False),
        sa.Column("max_instalments", sa.Integer, nullable=False),
        sa.Column("first_payment_within_days", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "position", name="pk_plan_offers"),
    )


def downgrade() -> None:
    op.drop_table("plan_offers")
