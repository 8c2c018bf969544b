"""Credit notes of an administration (also invoices with a negative amount)."""

from __future__ import annotations

from typing import Literal

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Cursor,
    Limit,
    ReadSession,
    ui_router,
)
from settle_gateway.auth.security import Reader
from settle_gateway.credit_notes import service
from settle_gateway.credit_notes.models import CreditNotePage

router = ui_router()


@router.get(ADMINISTRATION + "/credit-notes", response_model=CreditNotePage, responses=NOT_FOUND)
async def list_credit_notes(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    status: Literal["open", "settled", "all"] = "open",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CreditNotePage:
    """Credit notes by number, each with its currency and the invoice it corrects: never
    reminded of, but stated in their debtor's reminders while open."""
    return await service.credit_note_page(
        session, administration_id, status=status, limit=limit, cursor=cursor
    )
