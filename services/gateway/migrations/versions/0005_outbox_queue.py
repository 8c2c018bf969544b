"""the outbox's pending queue replaces the published mark on every event row

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from settle_shared.migrations import create_outbox_queue, drop_outbox_queue

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_queue()


def downgrade() -> None:
    drop_outbox_queue()
