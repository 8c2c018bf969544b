"""rm_steps: a step whose message reached the debtor on no channel shows as failed

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a step is executed until dunning reports it failed (StepFailed).
    with op.batch_alter_table("rm_steps") as batch:
        batch.add_column(sa.Column("failed_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("failure_reason", sa.String(40), nullable=True))
        batch.add_column(sa.Column("failure_detail", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rm_steps") as batch:
        batch.drop_column("failure_detail")
        batch.drop_column("failure_reason")
        batch.drop_column("failed_on")
