"""the published history of the statutory interest rates (settle_law's data file as shipped
with this release), loaded into interest_rates; an operator adds newer rates with
`settle collection rates add` or `settle collection rates load`

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-18
"""

import sqlalchemy as sa
from alembic import op

from settle_law.published import published_rates

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = sa.table(
        "interest_rates",
        sa.column("kind", sa.String),
        sa.column("valid_from", sa.Date),
        sa.column("valid_until", sa.Date),
        sa.column("rate_percent", sa.Numeric(7, 4)),
        sa.column("confirmed", sa.Boolean),
        sa.column("source", sa.String),
    )
    # The file is checked as it is read: a gap or an overlap would stop the migration.
    op.bulk_insert(
        table,
        [
            {
                "kind": period.kind.value,
                "valid_from": period.valid_from,
                "valid_until": period.valid_until,
                "rate_percent": period.rate,
                "confirmed": period.confirmed,
                "source": period.source,
            }
            for period in published_rates().all_periods()
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM interest_rates")
