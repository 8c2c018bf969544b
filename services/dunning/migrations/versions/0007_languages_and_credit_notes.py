"""debtors: the language a user chose and the country; credit notes: their date and the
invoice they correct

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    with op.batch_alter_table("debtors") as batch:
        batch.add_column(sa.Column("chosen_language", sa.String(8), nullable=True))
        batch.add_column(sa.Column("country", sa.String(2), nullable=True))
    with op.batch_alter_table("credit_notes") as batch:
        batch.add_column(sa.Column("invoice_date", sa.Date, nullable=True))
        batch.add_column(sa.Column("corrects_invoice_id", ID, nullable=True))
        batch.add_column(sa.Column("corrects_invoice_number", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_notes") as batch:
        batch.drop_column("corrects_invoice_number")
        batch.drop_column("corrects_invoice_id")
        batch.drop_column("invoice_date")
    with op.batch_alter_table("debtors") as batch:
        batch.drop_column("country")
        batch.drop_column("chosen_language")
