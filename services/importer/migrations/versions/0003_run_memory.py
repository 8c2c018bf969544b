"""the memory of the run in progress: numbers read and debtors' standing, per run

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.String(64)


def _scratch() -> list[str]:
    # The memory of a run in progress need not survive a crash of the database (the run
    # fails with it): on PostgreSQL it skips the write-ahead log.
    return ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []


def upgrade() -> None:
    op.create_table(
        "import_run_numbers",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("position", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint(
            "number", "kind", "administration_id", "run_id", name="pk_import_run_numbers"
        ),
        prefixes=_scratch(),
    )
    op.create_table(
        "import_run_debtors",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("decided", sa.Boolean, nullable=False),
        sa.Column("open_document", sa.Boolean, nullable=False),
        sa.Column("waiting", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint(
            "number", "administration_id", "run_id", name="pk_import_run_debtors"
        ),
        prefixes=_scratch(),
    )
    op.create_index(
        "ix_rejected_records_reference", "rejected_records", ["run_id", "reference"]
    )


def downgrade() -> None:
    op.drop_index("ix_rejected_records_reference", table_name="rejected_records")
    op.drop_table("import_run_debtors")
    op.drop_table("import_run_numbers")
