"""rm_cases and rm_case_counts: collection cases in the read model, and the dashboard's counts
of cases per step

Revision ID: 0017
Revises: 0016
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.String(100)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "rm_cases",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step", sa.String(30), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("invoice_ids", sa.JSON, nullable=False),
        sa.Column("principal", MONEY, nullable=False),
        sa.Column("costs", MONEY, nullable=False),
        sa.Column("interest", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance_as_of", sa.Date, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=True),
        sa.Column("closed_on", sa.Date, nullable=True),
        sa.Column("outcome", sa.String(20), nullable=True),
        sa.Column("partner_id", ID, nullable=True),
        sa.Column("last_event", sa.String(60), nullable=False),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "case_id", name="pk_rm_cases"),
    )
    op.create_index(
        "ix_rm_cases_list", "rm_cases", ["administration_id", "status", "step", "case_id"]
    )
    op.create_index(
        "ix_rm_cases_debtor", "rm_cases", ["administration_id", "debtor_id", "case_id"]
    )
    op.create_table(
        "rm_case_counts",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("step", sa.String(30), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "status", "step", name="pk_rm_case_counts"
        ),
    )


def downgrade() -> None:
    op.drop_table("rm_case_counts")
    op.drop_table("rm_cases")
