"""debtor search: stored lower-case name and number, and the name index covering them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # SQLite can add only a virtual generated column to an existing table; it scans anyway.
    op.add_column(
        "rm_debtors",
        sa.Column("name_folded", sa.String(300), sa.Computed("lower(name)", persisted=postgresql)),
    )
    op.add_column(
        "rm_debtors",
        sa.Column(
            "number_folded", sa.String(100), sa.Computed("lower(number)", persisted=postgresql)
        ),
    )
    op.drop_index("ix_rm_debtors_name", table_name="rm_debtors")
    op.create_index(
        "ix_rm_debtors_name",
        "rm_debtors",
        ["administration_id", "name", "debtor_id"],
        postgresql_include=["name_folded", "number_folded"],
    )
    op.drop_index("ix_rm_debtors_search", table_name="rm_debtors")
    op.create_index(
        "ix_rm_debtors_search",
        "rm_debtors",
        ["name_folded", "number_folded"],
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops", "number_folded": "gin_trgm_ops"},
        sqlite_where=sa.text("0"),
    )


def downgrade() -> None:
    op.drop_index("ix_rm_debtors_search", table_name="rm_debtors")
    op.create_index(
        "ix_rm_debtors_search",
        "rm_debtors",
        ["name", "number"],
        postgresql_using="gin",
        postgresql_ops={"name": "gin_trgm_ops", "number": "gin_trgm_ops"},
        sqlite_where=sa.text("0"),
    )
    op.drop_index("ix_rm_debtors_name", table_name="rm_debtors")
    op.create_index("ix_rm_debtors_name", "rm_debtors", ["administration_id", "name"])
    op.drop_column("rm_debtors", "number_folded")
    op.drop_column("rm_debtors", "name_folded")
