"""the outbox's pending queue replaces the published mark on every event row

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from settle_shared.migrations import create_outbox_queue, drop_outbox_queue

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_queue()


def downgrade() -> None:
    drop_outbox_queue()
