"""snapshot_source: the source an administration's snapshot was last read from in full

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "snapshot_source",
        sa.Column("administration_id", ID, primary_key=True),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("source_digest", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("snapshot_source")
