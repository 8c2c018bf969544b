"""Queries of attention items: a page of the open ones, and those of one invoice or debtor."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_time_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_attention
from settle_gateway.attention.models import AttentionOut, AttentionPage
from settle_shared.db import aware

_OPEN_ATTENTION = (
    sa.select(rm_attention)
    .where(
        rm_attention.c.administration_id == sa.bindparam("administration_id"),
        rm_attention.c.subject_type == sa.bindparam("subject_type"),
        rm_attention.c.subject_id == sa.bindparam("subject_id"),
        rm_attention.c.open,
    )
    .order_by(rm_attention.c.at.desc())
)


def attention_out(row: Any) -> AttentionOut:
    """The attention item of an rm_attention row."""
    return AttentionOut(
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        reason=row.reason,
        sentence=row.sentence,
        since=aware(row.at),
    )


async def open_attention(
    session: AsyncSession, administration_id: str, subject_type: str, subject_id: str
) -> list[AttentionOut]:
    """The open attention items of one invoice or debtor, newest first."""
    rows = await session.execute(
        _OPEN_ATTENTION,
        {
            "administration_id": administration_id,
            "subject_type": subject_type,
            "subject_id": subject_id,
        },
    )
    return [attention_out(r) for r in rows]


async def attention_page(
    session: AsyncSession,
    administration_id: str,
    *,
    reason: str | None,
    subject_type: str | None,
    limit: int,
    cursor: str | None,
) -> AttentionPage:
    """Open attention items, newest first, a page at a time (keyset)."""
    attention = rm_attention.c
    where: list[sa.ColumnElement[bool]] = [
        attention.administration_id == administration_id,
        attention.open,
    ]
    if reason:
        where.append(attention.reason == reason)
    if subject_type:
        where.append(attention.subject_type == subject_type)
    # Ties on the time are broken by subject and reason, joined in one sortable key.
    tie = attention.subject_type + ":" + attention.subject_id + ":" + attention.reason
    if cursor:
        moment, tie_value = decode_time_cursor(cursor)
        where.append(after(attention.at, tie, moment, tie_value, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_attention, tie.label("tie"))
            .where(*where)
            .order_by(attention.at.desc(), tie.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return AttentionPage(
        items=[attention_out(r) for r in rows],
        next_cursor=(
            encode_cursor([rows[-1].at.isoformat(), rows[-1].tie]) if more and rows else None
        ),
    )
