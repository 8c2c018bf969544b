"""what messaging reported about debtors: their mailbox and their replies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.String(64)
TZ_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "debtor_mailboxes",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("last_sent_at", TZ_TIME, nullable=True),
        sa.Column("last_undeliverable_at", TZ_TIME, nullable=True),
        sa.PrimaryKeyConstraint("administration_id", "debtor_id", name="pk_debtor_mailboxes"),
    )
    op.create_table(
        "debtor_replies",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("message_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("unread", sa.Boolean, nullable=False),
        sa.Column("marked_at", TZ_TIME, nullable=False),
        sa.PrimaryKeyConstraint("administration_id", "message_id", name="pk_debtor_replies"),
    )
    op.create_index(
        "ix_debtor_replies_debtor", "debtor_replies", ["administration_id", "debtor_id"]
    )


def downgrade() -> None:
    op.drop_table("debtor_replies")
    op.drop_table("debtor_mailboxes")
