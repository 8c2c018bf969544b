"""administrations: the ones the gateway announced, the only ones imported into

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty after an upgrade: the upgraded gateway announces every administration it has when
    # it starts, and this table fills from those events (docs/operations.md).
    op.create_table(
        "administrations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("known_since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("administrations")
