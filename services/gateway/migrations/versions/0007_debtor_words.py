"""debtor search by word starts: rm_debtor_words replaces the trigram index and folded columns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from settle_gateway.debtors.projection import word_rows

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WORD = sa.String(300).with_variant(sa.String(300, collation="C"), "postgresql")


def upgrade() -> None:
    words = op.create_table(
        "rm_debtor_words",
        sa.Column("administration_id", sa.String(100), primary_key=True),
        sa.Column("debtor_id", sa.String(100), primary_key=True),
        sa.Column("word", WORD, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
    )
    bind = op.get_bind()
    debtors = bind.execute(
        sa.text("SELECT administration_id, debtor_id, number, name FROM rm_debtors")
    )
    for chunk in debtors.partitions(5000):
        rows = [
            row
            for d in chunk
            for row in word_rows(d.administration_id, [(d.debtor_id, d.number, d.name)])
        ]
        if rows:
            bind.execute(sa.insert(words), rows)
    op.create_index(
        "ix_rm_debtor_words_word",
        "rm_debtor_words",
        ["administration_id", "word", "name", "debtor_id"],
    )
    op.drop_index("ix_rm_debtors_search", table_name="rm_debtors")
    op.drop_index("ix_rm_debtors_name", table_name="rm_debtors")
    op.drop_column("rm_debtors", "name_folded")
    op.drop_column("rm_debtors", "number_folded")
    op.create_index("ix_rm_debtors_name", "rm_debtors", ["administration_id", "name", "debtor_id"])


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.drop_index("ix_rm_debtors_name", table_name="rm_debtors")
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
    op.create_index(
        "ix_rm_debtors_name",
        "rm_debtors",
        ["administration_id", "name", "debtor_id"],
        postgresql_include=["name_folded", "number_folded"],
    )
    op.create_index(
        "ix_rm_debtors_search",
        "rm_debtors",
        ["name_folded", "number_folded"],
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops", "number_folded": "gin_trgm_ops"},
        sqlite_where=sa.text("0"),
    )
    op.drop_table("rm_debtor_words")
