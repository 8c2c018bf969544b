"""payable_plans.cases: the collection cases a plan covers, with what is open of each

Revision ID: 0003
Revises: 0002
Create Date: 2027-02-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payable_plans", sa.Column("cases", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("payable_plans", "cases")
