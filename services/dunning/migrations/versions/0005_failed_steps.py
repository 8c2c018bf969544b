"""executed steps whose message reached the debtor on no channel are marked failed

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a step stays delivered until messaging reports every channel of it failed.
    with op.batch_alter_table("executed_steps") as batch:
        batch.add_column(sa.Column("failed_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("failure_detail", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("executed_steps") as batch:
        batch.drop_column("failure_detail")
        batch.drop_column("failure_reason")
        batch.drop_column("failed_on")
