"""administrations: when each was announced to the other services (AdministrationCreated)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Left empty for the administrations already there: the gateway announces them when it
    # starts, so the other services learn of them after an upgrade.
    with op.batch_alter_table("administrations") as batch:
        batch.add_column(sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("administrations") as batch:
        batch.drop_column("announced_at")
