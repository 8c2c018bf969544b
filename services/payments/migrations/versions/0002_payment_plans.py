"""payable_plans and payments of plan instalments

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "payable_plans",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("invoice_ids", sa.JSON, nullable=False),
        sa.Column("instalments", sa.JSON, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "plan_id", name="pk_payable_plans"),
    )
    with op.batch_alter_table("payments") as batch:
        batch.add_column(sa.Column("plan_id", ID, nullable=True))
        batch.add_column(sa.Column("instalment", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("instalment")
        batch.drop_column("plan_id")
    op.drop_table("payable_plans")
