"""import_runs: the replica and service instance that own a run

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(sa.Column("owner_replica", sa.String(100), nullable=True))
        batch.add_column(sa.Column("owner_instance", sa.String(32), nullable=True))
    op.create_index("ix_import_runs_owner", "import_runs", ["owner_replica", "status"])


def downgrade() -> None:
    op.drop_index("ix_import_runs_owner", table_name="import_runs")
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("owner_instance")
        batch.drop_column("owner_replica")
