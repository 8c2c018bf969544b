"""payment_plan_cases: the collection cases each payment plan ever covered

Revision ID: 0011
Revises: 0010
Create Date: 2027-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "payment_plan_cases",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "case_id", "plan_id", name="pk_payment_plan_cases"
        ),
    )


def downgrade() -> None:
    op.drop_table("payment_plan_cases")
