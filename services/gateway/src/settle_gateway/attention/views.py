"""The open attention items of an administration."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Cursor,
    Limit,
    ReadSession,
    ui_router,
)
from settle_gateway.attention import service
from settle_gateway.attention.models import AttentionPage
from settle_gateway.auth.security import Reader

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
