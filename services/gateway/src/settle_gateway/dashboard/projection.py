"""The dashboard's part of the read model: open totals per phase and per due date, open
attention items per reason and what was invoiced per month, kept by the deltas of each batch
(no invoice is read to show them); and the open invoices per aging bucket at each month end,
written from the totals per due date when the business month turns."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import (
    month_end_aging,
    month_ends_closed,
    rm_attention_counts,
    rm_due_totals,
    rm_monthly_invoiced,
    rm_phase_totals,
)
from settle_gateway.dashboard.service import aging_at
from settle_gateway.domain.series import last_month_end, month_ends_after
from settle_gateway.invoices.projection import ZERO, Batch, changes, invoiced_contribution


async def apply_totals(batch: Batch) -> None:
    """Add the batch's changes of open invoices to the totals per phase and per due date."""
    phases: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    dues: dict[tuple[str, date, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for administration_id, sign, (phase, currency, _, due_date, amount) in changes(batch):
        for totals in (
            phases[(administration_id, phase, currency)],
            dues[(administration_id, due_date, currency)],
        ):
            totals[0] += sign
            totals[1] += sign * amount
    await add_to_counter_rows(
        batch.session,
        rm_phase_totals,
        [
            {
                "administration_id": administration_id,
                "phase": phase,
                "currency": currency,
                "count": count,
                "total": total,
            }
            for (administration_id, phase, currency), (count, total) in phases.items()
            if count != 0 or total != 0
        ],
    )
    await add_to_counter_rows(
        batch.session,
        rm_due_totals,
        [
            {
                "administration_id": administration_id,
                "due_date": due_date,
                "currency": currency,
                "count": count,
                "total": total,
            }
            for (administration_id, due_date, currency), (count, total) in dues.items()
            if count != 0 or total != 0
        ],
    )


async def apply_invoiced(batch: Batch) -> None:
    """Add the batch's new invoices (and any whose amount, date or currency it changed) to what
    was invoiced in their invoice date's month."""
    months: dict[tuple[str, date, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for key, row in batch.invoices.items():
        before, after = batch.invoiced_before[key], invoiced_contribution(row)
        if before == after:
            continue
        for sign, part in ((-1, before), (1, after)):
            if part is not None:
                month, currency, amount = part
                totals = months[(key[0], month, currency)]
                totals[0] += sign
                totals[1] += sign * amount
    await add_to_counter_rows(
        batch.session,
        rm_monthly_invoiced,
        [
            {
                "administration_id": administration_id,
                "month": month,
                "currency": currency,
                "count": count,
                "total": total,
            }
            for (administration_id, month, currency), (count, total) in months.items()
            if count != 0 or total != 0
        ],
    )


async def close_month_ends(session: AsyncSession, today: date) -> set[str]:
    """Before a batch changes the totals: for every administration whose month ends up to the
    last one before `today` are not written yet, write its open invoices per aging bucket at
    each of them. The totals per due date have not changed since those month ends (a batch
    would have closed them), so they are what was open then. Returns the administrations that
    are followed."""
    target = last_month_end(today)
    followed = {
        row.administration_id: row.closed_through
        for row in await session.execute(sa.select(month_ends_closed))
    }
    for administration_id, closed_through in followed.items():
        if closed_through >= target:
            continue
        # Claimed first: a consumer running a batch beside this one waits on the row, then
        # finds it closed and writes nothing twice.
        claimed = await session.execute(
            sa.update(month_ends_closed)
            .where(
                month_ends_closed.c.administration_id == administration_id,
                month_ends_closed.c.closed_through == closed_through,
            )
            .values(closed_through=target)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        for end in month_ends_after(closed_through, target):
            buckets = await aging_at(session, administration_id, end)
            if buckets:
                await session.execute(
                    sa.insert(month_end_aging),
                    [
                        {
                            "administration_id": administration_id,
                            "month_end": end,
                            "currency": bucket.currency,
                            "bucket": bucket.bucket,
                            "count": bucket.count,
                            "total": bucket.total,
                        }
                        for bucket in buckets
                    ],
                )
    return set(followed)


async def follow_month_ends(batch: Batch, followed: set[str], today: date) -> None:
    """Start keeping month ends for the administrations whose first open invoices this batch
    brought: nothing of theirs was open at the month ends before `today`'s month."""
    new = {administration_id for administration_id, _, _ in changes(batch)} - followed
    if new:
        await batch.session.execute(
            sa.insert(month_ends_closed),
            [
                {
                    "administration_id": administration_id,
                    "closed_through": last_month_end(today),
                    "followed_after": last_month_end(today),
                }
                for administration_id in sorted(new)
            ],
        )


async def apply_attention_counts(batch: Batch) -> None:
    """Add the batch's raised and resolved attention items to the counts per reason."""
    await add_to_counter_rows(
        batch.session,
        rm_attention_counts,
        [
            {
                "administration_id": administration_id,
                "subject_type": subject_type,
                "reason": reason,
                "count": delta,
            }
            for (administration_id, subject_type, reason), delta in batch.attention.items()
            if delta
        ],
    )


async def add_to_counters(
    session: AsyncSession, table: sa.Table, key: dict[str, Any], deltas: dict[str, Any]
) -> None:
    """Add `deltas` to the counters of the row `key`, creating it when missing."""
    await add_to_counter_rows(session, table, [{**key, **deltas}])


async def add_to_counter_rows(
    session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Add each row's counters to the row of its key (the table's primary key), creating the
    rows that are missing: one statement for all of them. Each key at most once."""
    if not rows:
        return
    key = [column.name for column in table.primary_key]
    counters = [name for name in rows[0] if name not in key]
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=key,
            set_={name: table.c[name] + insert.excluded[name] for name in counters},
        ),
        list(rows),
    )
