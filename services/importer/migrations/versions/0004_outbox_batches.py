"""outbox_batches: many events of one write in one outbox row

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from settle_shared.migrations import create_outbox_batches, drop_outbox_batches

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_batches()


def downgrade() -> None:
    drop_outbox_batches()
