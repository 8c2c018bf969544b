"""rm_payment_plan_cases: the collection cases each payment plan covers, to list plans by case

Revision ID: 0020
Revises: 0019
Create Date: 2027-02-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

ID = sa.String(100)


def upgrade() -> None:
    op.create_table(
        "rm_payment_plan_cases",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "case_id", "plan_id", name="pk_rm_payment_plan_cases"
        ),
    )


def downgrade() -> None:
    op.drop_table("rm_payment_plan_cases")
