"""Debtors of an administration: the list (and search), and one debtor's detail."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    proxy,
    ui_router,
)
from settle_gateway.auth.security import Reader, Worker
from settle_gateway.debtors import service
from settle_gateway.debtors.models import DebtorDetail, DebtorLanguageIn, DebtorPage

router = ui_router()


@router.get(ADMINISTRATION + "/debtors", response_model=DebtorPage, responses=NOT_FOUND)
async def list_debtors(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    attention: Annotated[str | None, Query(max_length=50)] = None,
    has_open_invoices: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name or number")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> DebtorPage:
    """Debtors by name, a page at a time (keyset). `q` finds debtors with a word of the name
    (or the number) starting with each word of `q`."""
    return await service.debtor_page(
        session,
        administration_id,
        attention=attention,
        has_open_invoices=has_open_invoices,
        q=q,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    ADMINISTRATION + "/debtors/{debtor_id}", response_model=DebtorDetail, responses=NOT_FOUND
)
async def debtor_detail(
    administration_id: str,
    debtor_id: str,
    principal: Reader,
    context: Context,
    session: ReadSession,
) -> DebtorDetail:
    """A debtor with addresses and contacts, its open invoices (with their planned steps),
    attention and messages."""
    return await service.debtor_detail(session, administration_id, debtor_id, context.today())


@router.put(ADMINISTRATION + "/debtors/{debtor_id}/language", status_code=204, responses=NOT_FOUND)
async def choose_debtor_language(
    administration_id: str,
    debtor_id: str,
    body: DebtorLanguageIn,
    request: Request,
    principal: Worker,
    context: Context,
) -> Response:
    """Write to the debtor in this language from now on, whatever bookkeeping says (no import
    changes it); null gives the say back to bookkeeping."""
    await proxy(
        request,
        context,
        "dunning",
        "PUT",
        administration_id,
        f"/debtors/{debtor_id}/language",
        json=body.model_dump(),
    )
    await service.show_language(context, administration_id, debtor_id, body.language)
    return Response(status_code=204)
