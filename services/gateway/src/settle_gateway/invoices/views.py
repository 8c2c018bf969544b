"""Invoices of an administration: the filtered list and one invoice's detail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ui_router,
)
from settle_gateway.auth.security import Reader
from settle_gateway.invoices import service
from settle_gateway.invoices.models import InvoiceDetail, InvoicePage

router = ui_router()


@router.get(ADMINISTRATION + "/invoices", response_model=InvoicePage, responses=NOT_FOUND)
async def list_invoices(
    administration_id: str,
    principal: Reader,
    context: Context,
    session: ReadSession,
    status: Literal["open", "settled", "all"] = "open",
    phase: Annotated[str | None, Query(max_length=50)] = None,
    attention: Annotated[
        str | None, Query(max_length=50, description="an attention reason")
    ] = None,
    debtor_id: Annotated[str | None, Query(max_length=100)] = None,
    due_from: date | None = None,
    due_to: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    overdue: bool | None = None,
    paused: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="invoice number prefix or debtor name")
    ] = None,
    kind: Annotated[
        Literal["all", "invoice", "credit_note"],
        Query(description="credit notes are listed beside the invoices unless one kind is asked"),
    ] = "all",
    sort: Literal["due_date", "open_amount", "number", "invoice_date"] = "due_date",
    order: Literal["asc", "desc"] = "asc",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> InvoicePage:
    """Invoices and credit notes of the administration, filtered and sorted, a page at a time
    (keyset: pass `next_cursor` back as `cursor` with the same filters and sort). A credit
    note is marked `kind: credit_note`; by due date it sorts by its own date, and the filters
    of dunning (phase, attention, overdue, paused) leave it out."""
    query = service.InvoiceQuery(
        status=status,
        phase=phase,
        attention=attention,
        debtor_id=debtor_id,
        due_from=due_from,
        due_to=due_to,
        amount_min=amount_min,
        amount_max=amount_max,
        overdue=overdue,
        paused=paused,
        q=q,
        kind=kind,
        sort=sort,
        order=order,
        limit=limit,
        cursor=cursor,
    )
    return await service.invoice_page(session, administration_id, query, context.today())


@router.get(
    ADMINISTRATION + "/invoices/{invoice_id}", response_model=InvoiceDetail, responses=NOT_FOUND
)
async def invoice_detail(
    administration_id: str,
    invoice_id: str,
    principal: Reader,
    context: Context,
    session: ReadSession,
) -> InvoiceDetail:
    """One invoice: attention, the planned step, and the timeline of executed steps and
    messages, newest first."""
    return await service.invoice_detail(session, administration_id, invoice_id, context.today())
