"""The dashboard's part of the read model: open totals per phase and per due date, and open
attention items per reason, kept by the deltas of each batch (no invoice is read to show
them)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_attention_counts, rm_due_totals, rm_phase_totals
from settle_gateway.invoices.projection import ZERO, Batch, changes


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
    for (administration_id, phase, currency), (count, total) in phases.items():
        if count == 0 and total == 0:
            continue
        await add_to_counters(
            batch.session,
            rm_phase_totals,
            {"administration_id": administration_id, "phase": phase, "currency": currency},
            {"count": count, "total": total},
        )
    for (administration_id, due_date, currency), (count, total) in dues.items():
        if count == 0 and total == 0:
            continue
        await add_to_counters(
            batch.session,
            rm_due_totals,
            {"administration_id": administration_id, "due_date": due_date, "currency": currency},
            {"count": count, "total": total},
        )


async def apply_attention_counts(batch: Batch) -> None:
    """Add the batch's raised and resolved attention items to the counts per reason."""
    for (administration_id, subject_type, reason), delta in batch.attention.items():
        if delta:
            await add_to_counters(
                batch.session,
                rm_attention_counts,
                {
                    "administration_id": administration_id,
                    "subject_type": subject_type,
                    "reason": reason,
                },
                {"count": delta},
            )


async def add_to_counters(
    session: AsyncSession, table: sa.Table, key: dict[str, Any], deltas: dict[str, Any]
) -> None:
    """Add `deltas` to the counters of the row `key`, creating it when missing."""
    where = [table.c[name] == value for name, value in key.items()]
    result = await session.execute(
        sa.update(table)
        .where(*where)
        .values({name: table.c[name] + value for name, value in deltas.items()})
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(sa.insert(table).values(**key, **deltas))
