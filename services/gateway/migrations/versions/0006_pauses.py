"""pauses of administrations and debtors in the read model

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_pauses",
        sa.Column("administration_id", sa.String(100), primary_key=True),
        sa.Column("subject_type", sa.String(20), primary_key=True),
        sa.Column("subject_id", sa.String(100), primary_key=True),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rm_pauses")
