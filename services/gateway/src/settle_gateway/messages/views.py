"""The inbox of an administration, read marks on replies, and messages written to debtors."""

from __future__ import annotations

from fastapi import Request, Response

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ServiceAnswer,
    correlation,
    ui_router,
)
from settle_gateway.auth.security import Messenger, Reader
from settle_gateway.messages import service
from settle_gateway.messages.models import MessagePage, SendMessageIn

router = ui_router()


@router.get(ADMINISTRATION + "/inbox", response_model=MessagePage, responses=NOT_FOUND)
async def inbox(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    unread: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MessagePage:
    """Replies from debtors, newest first."""
    return await service.inbox_page(
        session, administration_id, unread=unread, limit=limit, cursor=cursor
    )


@router.post(ADMINISTRATION + "/messages/{message_id}/read", status_code=204, responses=NOT_FOUND)
async def mark_read(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: Messenger,
    context: Context,
) -> Response:
    """Mark a reply read (messaging records it; the inbox shows it at once)."""
    await service.mark(context, administration_id, message_id, True, correlation(request))
    return Response(status_code=204)


@router.post(ADMINISTRATION + "/messages/{message_id}/unread", status_code=204, responses=NOT_FOUND)
async def mark_unread(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: Messenger,
    context: Context,
) -> Response:
    """Mark a reply unread again."""
    await service.mark(context, administration_id, message_id, False, correlation(request))
    return Response(status_code=204)


@router.post(ADMINISTRATION + "/messages", status_code=202, responses=NOT_FOUND)
async def send_message(
    administration_id: str,
    body: SendMessageIn,
    request: Request,
    principal: Messenger,
    context: Context,
    session: ReadSession,
) -> ServiceAnswer:
    """Write to a debtor. The debtor's details come from the read model; messaging queues the
    email and answers with the message id. The message is in the debtor's thread at once."""
    return await service.send(
        context, session, administration_id, body, principal, correlation(request)
    )
