"""The inbox, and the commands on messages: a reply marked read or unread, a message
written to a debtor. Messaging owns the messages; the read model shows each command at once
through the messages' projection."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_time_cursor, encode_cursor
from settle_gateway.adapters.tables import rm_debtors, rm_messages
from settle_gateway.application.context import GatewayContext
from settle_gateway.debtors.service import debtor_row
from settle_gateway.domain.access import Principal
from settle_gateway.domain.errors import NotFound
from settle_gateway.messages import projection
from settle_gateway.messages.models import MessagePage, SendMessageIn, message_out
from settle_shared.db import transaction


async def inbox_page(
    session: AsyncSession,
    administration_id: str,
    *,
    unread: bool | None,
    limit: int,
    cursor: str | None,
) -> MessagePage:
    """Replies from debtors, newest first, a page at a time (keyset)."""
    messages = rm_messages.c
    where: list[sa.ColumnElement[bool]] = [
        messages.administration_id == administration_id,
        messages.direction == "inbound",
    ]
    if unread is not None:
        where.append(messages.read == (not unread))
    if cursor:
        moment, tie = decode_time_cursor(cursor)
        where.append(after(messages.created_at, messages.message_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_messages, rm_debtors.c.name.label("debtor_name"))
            .outerjoin(
                rm_debtors,
                sa.and_(
                    rm_debtors.c.administration_id == messages.administration_id,
                    rm_debtors.c.debtor_id == messages.debtor_id,
                ),
            )
            .where(*where)
            .order_by(messages.created_at.desc(), messages.message_id.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        items=[message_out(r) for r in rows],
        next_cursor=(
            encode_cursor([rows[-1].created_at.isoformat(), rows[-1].message_id])
            if more and rows
            else None
        ),
    )


async def letters_page(
    session: AsyncSession, administration_id: str, *, limit: int, cursor: str | None
) -> MessagePage:
    """Letters waiting to be posted, oldest first (post them in the order they were made),
    a page at a time (keyset)."""
    messages = rm_messages.c
    where: list[sa.ColumnElement[bool]] = [
        messages.administration_id == administration_id,
        messages.direction == "outbound",
        messages.state == "awaiting_posting",
    ]
    if cursor:
        moment, tie = decode_time_cursor(cursor)
        where.append(after(messages.created_at, messages.message_id, moment, tie, desc=False))
    rows = (
        await session.execute(
            sa.select(rm_messages, rm_debtors.c.name.label("debtor_name"))
            .outerjoin(
                rm_debtors,
                sa.and_(
                    rm_debtors.c.administration_id == messages.administration_id,
                    rm_debtors.c.debtor_id == messages.debtor_id,
                ),
            )
            .where(*where)
            .order_by(messages.created_at, messages.message_id)
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return MessagePage(
        items=[message_out(r) for r in rows],
        next_cursor=(
            encode_cursor([rows[-1].created_at.isoformat(), rows[-1].message_id])
            if more and rows
            else None
        ),
    )


async def mark(
    context: GatewayContext,
    administration_id: str,
    message_id: str,
    read: bool,
    correlation_id: str | None,
) -> None:
    """Have messaging mark the reply read (or unread), then show the mark at once; raises
    NotFound for a message of another administration."""
    async with context.sessions() as session:
        owner = await session.scalar(
            sa.select(rm_messages.c.administration_id).where(rm_messages.c.message_id == message_id)
        )
    if owner != administration_id:
        raise NotFound("message not found")
    await context.upstreams.call(
        "messaging",
        "POST",
        f"/internal/v1/administrations/{administration_id}/messages/{message_id}/"
        + ("read" if read else "unread"),
        correlation_id=correlation_id,
    )
    async with transaction(context.sessions) as session:
        await projection.mark_read_locally(
            session, administration_id, message_id, read, context.runtime.clock.now()
        )


async def send(
    context: GatewayContext,
    session: AsyncSession,
    administration_id: str,
    body: SendMessageIn,
    sender: Principal,
    correlation_id: str | None,
) -> dict[str, Any]:
    """Have messaging write to a debtor (its details from the read model), then show the
    message in the debtor's thread at once; messaging's answer, with the message id."""
    debtor = await debtor_row(session, administration_id, body.debtor_id)
    address = None
    if debtor.address_lines and debtor.postal_code and debtor.city:
        address = {
            "street": ", ".join(debtor.address_lines),
            "postal_code": debtor.postal_code,
            "city": debtor.city,
            "country": debtor.country or "NL",
        }
    payload = {
        "debtor": {
            "debtor_id": debtor.debtor_id,
            "number": debtor.number,
            "name": debtor.name,
            "kind": debtor.kind,
            "emails": list(debtor.emails),
            "phone": debtor.phone,
            "address": address,
            "language": debtor.chosen_language or debtor.language,
            "country": debtor.country,
        },
        # None: messaging writes in the debtor's country's language where the administration
        # has the template in it, else in the administration's.
        "language": body.language or debtor.chosen_language or debtor.language,
        "tone": body.tone,
        "subject": body.subject,
        "body": body.body,
        "sender_name": sender.name,
        "invoice_ids": body.invoice_ids,
        "thread_id": body.thread_id,
    }
    answer = await context.upstreams.call(
        "messaging",
        "POST",
        f"/internal/v1/administrations/{administration_id}/messages",
        json=payload,
        correlation_id=correlation_id,
    )
    result: dict[str, Any] = answer.json()
    async with transaction(context.sessions) as local:
        await projection.record_written_locally(
            local,
            administration_id=administration_id,
            message_id=str(result["message_id"]),
            debtor_id=body.debtor_id,
            thread_id=body.thread_id,
            subject=body.subject,
            invoice_ids=body.invoice_ids,
            at=context.runtime.clock.now(),
        )
    return result


async def thread_of(session: AsyncSession, administration_id: str, thread_id: str) -> Any:
    """(debtor_id, debtor name, subject, invoice ids) of a thread's newest message in the read
    model; NotFound for a thread of another administration or none at all."""
    row = (
        await session.execute(
            sa.select(
                rm_messages.c.debtor_id,
                rm_messages.c.subject,
                rm_messages.c.invoice_ids,
                rm_debtors.c.name.label("debtor_name"),
            )
            .outerjoin(
                rm_debtors,
                sa.and_(
                    rm_debtors.c.administration_id == rm_messages.c.administration_id,
                    rm_debtors.c.debtor_id == rm_messages.c.debtor_id,
                ),
            )
            .where(
                rm_messages.c.administration_id == administration_id,
                rm_messages.c.thread_id == thread_id,
            )
            .order_by(rm_messages.c.created_at.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        raise NotFound("thread not found")
    return row


def reply_subject(subject: str | None) -> str:
    """The subject of a message answering `subject`: "Re: " before it, once."""
    subject = (subject or "").strip()
    if not subject:
        return "Re: your message"
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"[:250]


async def unread_replies(
    session: AsyncSession, administration_id: str, thread_id: str
) -> list[str]:
    """The ids of the thread's replies nobody has read yet."""
    return list(
        await session.scalars(
            sa.select(rm_messages.c.message_id).where(
                rm_messages.c.administration_id == administration_id,
                rm_messages.c.thread_id == thread_id,
                rm_messages.c.direction == "inbound",
                sa.not_(rm_messages.c.read),
            )
        )
    )
