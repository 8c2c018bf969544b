"""the outbox's pending queue replaces the published mark on every event row

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from settle_shared.migrations import create_outbox_queue, drop_outbox_queue

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_queue()


def downgrade() -> None:
    drop_outbox_queue()
