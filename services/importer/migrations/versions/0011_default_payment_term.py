"""connections: the default payment term for documents without a due date or terms

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(
            sa.Column(
                "default_payment_term_days", sa.Integer, nullable=False, server_default="30"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("default_payment_term_days")
