"""the outgoing email of a queued message, built when it is queued

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: messages queued before this revision are built by the sender, as before.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("mime", sa.LargeBinary, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("mime")
