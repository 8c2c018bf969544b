"""collection_holds: invoices held by a collection case

Revision ID: 0009
Revises: 0008
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "collection_holds",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("held_on", sa.Date, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "invoice_id", name="pk_collection_holds"),
    )


def downgrade() -> None:
    op.drop_table("collection_holds")
