"""Online payments of an administration: the list, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Cursor,
    Limit,
    ReadSession,
    ui_router,
)
from settle_gateway.auth.security import Reader
from settle_gateway.payments import service
from settle_gateway.payments.models import PaymentPage
from settle_shared.events.payments import PaymentStatus

router = ui_router()


@router.get(ADMINISTRATION + "/payments", response_model=PaymentPage, responses=NOT_FOUND)
async def list_payments(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    debtor_id: Annotated[str | None, Query(max_length=100)] = None,
    status: PaymentStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> PaymentPage:
    """Online payments debtors made in the portal, newest first, a page at a time (keyset),
    with the invoices each covers and the status the payments service last reported."""
    return await service.payment_page(
        session,
        administration_id,
        debtor_id=debtor_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
