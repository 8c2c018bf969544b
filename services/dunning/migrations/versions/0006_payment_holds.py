"""payment_holds: invoices held while an online payment waits to be booked

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-11
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "payment_holds",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("payment_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.Column("until", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date, nullable=True),
        sa.Column("ended_by", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint(
            "administration_id", "invoice_id", "payment_id", name="pk_payment_holds"
        ),
    )
    op.create_index("ix_payment_holds_until", "payment_holds", ["until"])


def downgrade() -> None:
    op.drop_table("payment_holds")
