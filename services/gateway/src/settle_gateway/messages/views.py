"""The inbox of an administration, read marks on replies, and messages written to debtors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ServiceAnswer,
    correlation,
    proxy,
    ui_router,
)
from settle_gateway.auth.security import Messenger, Reader
from settle_gateway.messages import service
from settle_gateway.messages.models import (
    BlockedAddressPage,
    MarkedRead,
    MessageDetail,
    MessagePage,
    SendMessageIn,
    ThreadOut,
    ThreadReplyIn,
    UnblockIn,
)

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


@router.get(
    ADMINISTRATION + "/messages/{message_id}", response_model=MessageDetail, responses=NOT_FOUND
)
async def message(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: Reader,
    context: Context,
) -> ServiceAnswer:
    """One message with its text (ours as sent, a debtor's reply as written), recipients,
    attachments and what became of it."""
    result: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, f"/messages/{message_id}"
    )
    return result


@router.get(
    ADMINISTRATION + "/messages/{message_id}/attachments/{attachment_id}",
    responses={
        **NOT_FOUND,
        200: {"content": {"application/pdf": {}}, "description": "the file as it was stored"},
    },
    response_class=Response,
)
async def attachment(
    administration_id: str,
    message_id: str,
    attachment_id: str,
    request: Request,
    principal: Reader,
    context: Context,
) -> Response:
    """An attachment of a message (a letter's PDF), as it was stored."""
    answer = await context.upstreams.call(
        "messaging",
        "GET",
        f"/internal/v1/administrations/{administration_id}/messages/{message_id}"
        f"/attachments/{attachment_id}",
        correlation_id=correlation(request),
    )
    return Response(
        content=answer.content,
        media_type=answer.headers.get("content-type", "application/octet-stream"),
        headers={
            "Content-Disposition": answer.headers.get("content-disposition", "attachment"),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(ADMINISTRATION + "/messages/{message_id}/posted", status_code=204, responses=NOT_FOUND)
async def letter_posted(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: Messenger,
    context: Context,
) -> Response:
    """A letter waiting to be posted was posted (messaging records it and says so)."""
    await proxy(
        request, context, "messaging", "POST", administration_id, f"/messages/{message_id}/posted"
    )
    return Response(status_code=204)


@router.get(ADMINISTRATION + "/letters", response_model=MessagePage, responses=NOT_FOUND)
async def letters(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> MessagePage:
    """Letters waiting to be posted, oldest first: each one's PDF is an attachment of the
    message (`…/messages/{id}`), and `…/messages/{id}/posted` says it went out."""
    return await service.letters_page(session, administration_id, limit=limit, cursor=cursor)


@router.get(
    ADMINISTRATION + "/blocked-addresses", response_model=BlockedAddressPage, responses=NOT_FOUND
)
async def blocked_addresses(
    administration_id: str,
    request: Request,
    principal: Reader,
    context: Context,
    limit: Limit = 50,
    after: Annotated[str | None, Query(max_length=320)] = None,
) -> ServiceAnswer:
    """Undeliverable addresses: no email goes to them since a hard bounce blocked them (the
    bounce policy), in address order."""
    params: dict[str, Any] = {"limit": limit}
    if after:
        params["after"] = after
    result: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, "/blocked-addresses", params=params
    )
    return result


@router.post(ADMINISTRATION + "/blocked-addresses/unblock", status_code=204, responses=NOT_FOUND)
async def unblock_address(
    administration_id: str,
    body: UnblockIn,
    request: Request,
    principal: Messenger,
    context: Context,
) -> Response:
    """Mail a blocked address again (it was corrected, or the mailbox works again); `404` when
    it is not blocked."""
    await proxy(
        request,
        context,
        "messaging",
        "POST",
        administration_id,
        "/blocked-addresses/unblock",
        json=body.model_dump(),
    )
    return Response(status_code=204)


@router.get(ADMINISTRATION + "/threads/{thread_id}", response_model=ThreadOut, responses=NOT_FOUND)
async def thread(
    administration_id: str,
    thread_id: str,
    request: Request,
    principal: Reader,
    context: Context,
    session: ReadSession,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """A thread with a debtor: every message with its text, newest first (keyset)."""
    found = await service.thread_of(session, administration_id, thread_id)
    params: dict[str, Any] = {"thread_id": thread_id, "limit": limit}
    if cursor:
        params["cursor"] = cursor
    page: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, "/messages", params=params
    )
    return {
        "thread_id": thread_id,
        "debtor_id": found.debtor_id,
        "debtor_name": found.debtor_name,
        "messages": page["items"],
        "next_cursor": page.get("next_cursor"),
    }


@router.post(ADMINISTRATION + "/threads/{thread_id}/messages", status_code=202, responses=NOT_FOUND)
async def reply_in_thread(
    administration_id: str,
    thread_id: str,
    body: ThreadReplyIn,
    request: Request,
    principal: Messenger,
    context: Context,
    session: ReadSession,
) -> ServiceAnswer:
    """Answer in a thread: a message to its debtor about the invoices of its last message,
    under "Re: " and its subject unless another is given. It is in the thread at once."""
    found = await service.thread_of(session, administration_id, thread_id)
    message_in = SendMessageIn(
        debtor_id=found.debtor_id,
        subject=body.subject or service.reply_subject(found.subject),
        body=body.body,
        invoice_ids=list(found.invoice_ids),
        thread_id=thread_id,
        language=body.language,
        tone=body.tone,
    )
    return await service.send(
        context, session, administration_id, message_in, principal, correlation(request)
    )


@router.post(
    ADMINISTRATION + "/threads/{thread_id}/read", response_model=MarkedRead, responses=NOT_FOUND
)
async def mark_thread_read(
    administration_id: str,
    thread_id: str,
    request: Request,
    principal: Messenger,
    context: Context,
    session: ReadSession,
) -> MarkedRead:
    """Mark every unread reply of the thread read."""
    await service.thread_of(session, administration_id, thread_id)
    unread = await service.unread_replies(session, administration_id, thread_id)
    for message_id in unread:
        await service.mark(context, administration_id, message_id, True, correlation(request))
    return MarkedRead(marked=len(unread))
