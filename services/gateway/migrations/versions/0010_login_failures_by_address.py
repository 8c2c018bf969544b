"""login_failures: an index by client address, which the login limit now counts over all accounts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_login_failures_address", "login_failures", ["address", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_address", table_name="login_failures")
