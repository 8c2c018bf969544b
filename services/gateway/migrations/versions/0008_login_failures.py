"""failed logins in the database, so every replica counts the same

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(320), nullable=False),
        sa.Column("address", sa.String(100), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_login_failures_key", "login_failures", ["account", "address", "failed_at"]
    )
    op.create_index("ix_login_failures_at", "login_failures", ["failed_at"])


def downgrade() -> None:
    op.drop_table("login_failures")
