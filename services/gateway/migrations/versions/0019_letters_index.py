"""ix_rm_messages_awaiting_posting: the letters waiting to be posted, read without scanning the
administration's other messages

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

AWAITING = "state = 'awaiting_posting' AND direction = 'outbound'"


def upgrade() -> None:
    op.create_index(
        "ix_rm_messages_awaiting_posting",
        "rm_messages",
        ["administration_id", "created_at", "message_id"],
        postgresql_where=sa.text(AWAITING),
        sqlite_where=sa.text(AWAITING),
    )


def downgrade() -> None:
    op.drop_index("ix_rm_messages_awaiting_posting", table_name="rm_messages")
