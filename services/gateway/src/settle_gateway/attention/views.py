"""The open attention items of an administration."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ServiceAnswer,
    proxy,
    ui_router,
)
from settle_gateway.attention import service
from settle_gateway.attention.models import AttentionPage, ResolveIn
from settle_gateway.auth.security import Reader, Worker

router = ui_router()


@router.get(ADMINISTRATION + "/attention", response_model=AttentionPage, responses=NOT_FOUND)
async def attention_items(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    reason: Annotated[str | None, Query(max_length=50)] = None,
    subject_type: Literal["invoice", "debtor"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> AttentionPage:
    """Open attention items, newest first: what a person should look at, and why."""
    return await service.attention_page(
        session,
        administration_id,
        reason=reason,
        subject_type=subject_type,
        limit=limit,
        cursor=cursor,
    )


@router.post(ADMINISTRATION + "/attention/resolve", responses=NOT_FOUND)
async def resolve_attention(
    administration_id: str,
    body: ResolveIn,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Resolve an open item that waits for a person: an assumed due date, a possible
    bookkeeping error, a call to make (the others resolve when their cause goes: 409). Answers
    the item as dunning resolved it; the list shows it once dunning's event arrives."""
    answer: ServiceAnswer = await proxy(
        request,
        context,
        "dunning",
        "POST",
        administration_id,
        "/attention/resolve",
        json={
            "subject": body.subject_type,
            "subject_id": body.subject_id,
            "reason": body.reason,
            "note": body.note,
        },
    )
    return answer
