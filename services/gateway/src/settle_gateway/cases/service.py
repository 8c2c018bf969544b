"""Queries of cases in the read model: a page of the list (keyset by case id, filtered by
status, step and debtor) and the counts of active cases per step for the dashboard."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import decode_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_case_counts, rm_cases, rm_debtors
from settle_gateway.cases.models import CasePage, CaseRow, CaseStepCount

_COUNTS = (
    sa.select(rm_case_counts)
    .where(
        rm_case_counts.c.administration_id == sa.bindparam("administration_id"),
        rm_case_counts.c.count > 0,
    )
    .order_by(rm_case_counts.c.status, rm_case_counts.c.step)
)
STEPS = [
    "new",
    "reminder",
    "second_reminder",
    "notice_of_default",
    "ready_for_bailiff",
    "pre_court",
    "with_bailiff",
]


def case_row(row: Any) -> CaseRow:
    return CaseRow(
        case_id=row.case_id,
        debtor_id=row.debtor_id,
        debtor_name=row.debtor_name,
        status=row.status,
        step=row.step,
        paused=row.paused,
        invoice_ids=list(row.invoice_ids),
        principal=row.principal,
        costs=row.costs,
        interest=row.interest,
        total=row.total,
        currency=row.currency,
        balance_as_of=row.balance_as_of,
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        outcome=row.outcome,
        partner_id=row.partner_id,
        last_event=row.last_event,
        changed_on=row.changed_on,
    )


async def case_page(
    session: AsyncSession,
    administration_id: str,
    *,
    status: str | None,
    step: str | None,
    debtor_id: str | None,
    limit: int,
    cursor: str | None,
) -> CasePage:
    """Cases of the administration by id, a page at a time."""
    cases = rm_cases.c
    where: list[sa.ColumnElement[bool]] = [cases.administration_id == administration_id]
    if status:
        where.append(cases.status == status)
    if step:
        where.append(cases.step == step)
    if debtor_id:
        where.append(cases.debtor_id == debtor_id)
    if cursor:
        [last] = decode_cursor(cursor, 1)
        where.append(cases.case_id > last)
    query = (
        sa.select(rm_cases, rm_debtors.c.name.label("debtor_name"))
        .outerjoin(
            rm_debtors,
            sa.and_(
                rm_debtors.c.administration_id == cases.administration_id,
                rm_debtors.c.debtor_id == cases.debtor_id,
            ),
        )
        .where(*where)
        .order_by(cases.case_id)
        .limit(limit + 1)
    )
    rows = (await session.execute(query)).all()
    items = [case_row(row) for row in rows[:limit]]
    more = len(rows) > limit
    return CasePage(items=items, next_cursor=encode_cursor([items[-1].case_id]) if more else None)


async def counts_per_step(session: AsyncSession, administration_id: str) -> list[CaseStepCount]:
    """Active cases per status and step, in the order of the steps."""
    rows = await session.execute(_COUNTS, {"administration_id": administration_id})
    counts = [CaseStepCount(status=r.status, step=r.step, count=r.count) for r in rows]
    return sorted(counts, key=lambda c: (c.status != "proposed", STEPS.index(c.step)))
