"""cases.plan_id: the payment plan (dunning's) pausing a case

Revision ID: 0003
Revises: 0002
Create Date: 2027-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("plan_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "plan_id")
