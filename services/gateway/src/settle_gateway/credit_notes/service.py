"""Queries of credit notes: a page of them, and those of one debtor or one invoice."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import decode_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_credit_notes
from settle_gateway.credit_notes.models import CreditNoteOut, CreditNotePage

_COLUMNS = (
    "credit_note_id",
    "number",
    "debtor_id",
    "invoice_date",
    "amount",
    "open_amount",
    "currency",
    "status",
    "corrects_invoice_id",
    "corrects_invoice_number",
)


def credit_note_out(row: Any) -> CreditNoteOut:
    """The credit note of an rm_credit_notes row."""
    columns = row._mapping
    return CreditNoteOut.model_validate({key: columns[key] for key in _COLUMNS})


async def credit_note_page(
    session: AsyncSession,
    administration_id: str,
    *,
    status: str,
    limit: int,
    cursor: str | None,
) -> CreditNotePage:
    """Credit notes by number, a page at a time (keyset)."""
    notes = rm_credit_notes.c
    query = sa.select(rm_credit_notes).where(notes.administration_id == administration_id)
    if status != "all":
        query = query.where(notes.status == status)
    if cursor:
        number, credit_note_id = decode_cursor(cursor, 2)
        query = query.where(
            sa.or_(
                notes.number > number,
                sa.and_(notes.number == number, notes.credit_note_id > credit_note_id),
            )
        )
    rows = list(
        await session.execute(query.order_by(notes.number, notes.credit_note_id).limit(limit + 1))
    )
    items = [credit_note_out(row) for row in rows[:limit]]
    more = len(rows) > limit
    return CreditNotePage(
        items=items,
        next_cursor=encode_cursor([items[-1].number, items[-1].credit_note_id])
        if more and items
        else None,
    )


async def credit_notes_of(
    session: AsyncSession,
    administration_id: str,
    *,
    debtor_id: str | None = None,
    corrects_invoice_id: str | None = None,
) -> list[CreditNoteOut]:
    """The open credit notes of a debtor, or every credit note correcting an invoice."""
    notes = rm_credit_notes.c
    query = sa.select(rm_credit_notes).where(notes.administration_id == administration_id)
    if debtor_id is not None:
        query = query.where(notes.debtor_id == debtor_id, notes.status == "open")
    if corrects_invoice_id is not None:
        query = query.where(notes.corrects_invoice_id == corrects_invoice_id)
    rows = await session.execute(query.order_by(notes.invoice_date, notes.number).limit(500))
    return [credit_note_out(row) for row in rows]
