"""administrations: the ones the gateway announced, whose settings messaging keeps

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty after an upgrade: the upgraded gateway announces every administration it has when
    # it starts, and this table fills from those events (docs/operations.md).
    op.create_table(
        "administrations",
        sa.Column("administration_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("known_since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("administrations")
