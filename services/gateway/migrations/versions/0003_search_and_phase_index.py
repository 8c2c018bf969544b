"""indexed text search (pg_trgm) and a phase index in keyset order

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEXES = {
    "ix_rm_debtors_search": ("rm_debtors", ["name", "number"]),
    "ix_rm_invoices_search": ("rm_invoices", ["number", "debtor_name"]),
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, columns) in TRIGRAM_INDEXES.items():
        op.create_index(
            name,
            table,
            columns,
            postgresql_using="gin",
            postgresql_ops=dict.fromkeys(columns, "gin_trgm_ops"),
            sqlite_where=sa.text("0"),
        )
    op.drop_index("ix_rm_invoices_phase", table_name="rm_invoices")
    op.create_index(
        "ix_rm_invoices_phase",
        "rm_invoices",
        ["administration_id", "phase", "status", "due_date", "invoice_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_rm_invoices_phase", table_name="rm_invoices")
    op.create_index("ix_rm_invoices_phase", "rm_invoices", ["administration_id", "phase", "due_date"])
    for name, (table, _) in TRIGRAM_INDEXES.items():
        op.drop_index(name, table_name=table)
