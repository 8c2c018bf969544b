"""identity: platform administrators, invitations to choose a password, who made an API
token and its last characters

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "platform_administrator", sa.Boolean, nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "invitations",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("user_id", sa.String(100), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_invitations_user", "invitations", ["user_id"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("created_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("hint", sa.String(8), nullable=True))
        batch.create_index("ix_api_tokens_administration", ["administration_id", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_administration")
        batch.drop_column("hint")
        batch.drop_column("created_by")
    op.drop_table("invitations")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("platform_administrator")
