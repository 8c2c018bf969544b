"""documents: amounts in cents (BIGINT) instead of NUMERIC

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    # Exact either way; the database driver encodes an integer for COPY in a twentieth of
    # the time of a NUMERIC, and an import writes two per document.
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("amount_cents", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("open_amount_cents", sa.BigInteger, nullable=True))
    op.execute(
        "UPDATE documents SET amount_cents = CAST(round(amount * 100) AS BIGINT), "
        "open_amount_cents = CAST(round(open_amount * 100) AS BIGINT)"
    )
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("amount_cents", existing_type=sa.BigInteger, nullable=False)
        batch.alter_column("open_amount_cents", existing_type=sa.BigInteger, nullable=False)
        batch.drop_column("amount")
        batch.drop_column("open_amount")


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("amount", MONEY, nullable=True))
        batch.add_column(sa.Column("open_amount", MONEY, nullable=True))
    op.execute(
        # 100.0: a NUMERIC on PostgreSQL, where the division is exact; SQLite, which has no
        # decimal type, divides integers without a remainder otherwise.
        "UPDATE documents SET amount = amount_cents / 100.0, "
        "open_amount = open_amount_cents / 100.0"
    )
    with op.batch_alter_table("documents") as batch:
        batch.alter_column("amount", existing_type=MONEY, nullable=False)
        batch.alter_column("open_amount", existing_type=MONEY, nullable=False)
        batch.drop_column("amount_cents")
        batch.drop_column("open_amount_cents")
