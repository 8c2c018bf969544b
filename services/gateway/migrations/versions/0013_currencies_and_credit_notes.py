"""read model: debtors' open amounts per currency (rm_debtor_totals instead of one sum over
currencies), a language a user chose, credit notes, and where an invoice's due date came from

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.String(100)
MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "rm_debtor_totals",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.PrimaryKeyConstraint(
            "administration_id", "debtor_id", "currency", name="pk_rm_debtor_totals"
        ),
    )
    # What the debtors' one open amount summed, per currency now.
    op.execute(
        "INSERT INTO rm_debtor_totals (administration_id, debtor_id, currency, count, total) "
        "SELECT administration_id, debtor_id, coalesce(currency, 'EUR'), count(*), "
        "sum(open_amount) FROM rm_invoices WHERE status = 'open' AND due_date IS NOT NULL "
        "AND debtor_id IS NOT NULL GROUP BY administration_id, debtor_id, coalesce(currency, 'EUR')"
    )
    with op.batch_alter_table("rm_debtors") as batch:
        batch.drop_column("open_amount")
        batch.add_column(sa.Column("chosen_language", sa.String(2), nullable=True))
    with op.batch_alter_table("rm_invoices") as batch:
        batch.add_column(sa.Column("due_date_source", sa.String(20), nullable=True))
    op.create_table(
        "rm_credit_notes",
        sa.Column("administration_id", ID, nullable=False),
        sa.Column("credit_note_id", ID, nullable=False),
        sa.Column("import_version", sa.Integer, nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("debtor_id", ID, nullable=False),
        sa.Column("invoice_date", sa.Date, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("open_amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("corrects_invoice_id", ID, nullable=True),
        sa.Column("corrects_invoice_number", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint(
            "administration_id", "credit_note_id", name="pk_rm_credit_notes"
        ),
    )
    op.create_index(
        "ix_rm_credit_notes_list", "rm_credit_notes", ["administration_id", "status", "number"]
    )
    op.create_index(
        "ix_rm_credit_notes_debtor", "rm_credit_notes", ["administration_id", "debtor_id"]
    )
    op.create_index(
        "ix_rm_credit_notes_corrects",
        "rm_credit_notes",
        ["administration_id", "corrects_invoice_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_rm_credit_notes_corrects", table_name="rm_credit_notes")
    op.drop_index("ix_rm_credit_notes_debtor", table_name="rm_credit_notes")
    op.drop_index("ix_rm_credit_notes_list", table_name="rm_credit_notes")
    op.drop_table("rm_credit_notes")
    with op.batch_alter_table("rm_invoices") as batch:
        batch.drop_column("due_date_source")
    with op.batch_alter_table("rm_debtors") as batch:
        batch.drop_column("chosen_language")
        batch.add_column(sa.Column("open_amount", MONEY, nullable=False, server_default="0"))
    op.drop_table("rm_debtor_totals")
