"""The messages' part of the read model: rm_messages and the invoices each is about, from
messaging's events, and as the commands accepted by messaging leave them until their events
come."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import BEFORE_ANY_EVENT, rm_message_invoices, rm_messages
from settle_shared.db import aware
from settle_shared.events import messaging

STATES: dict[type[messaging.MessageEvent], str] = {
    messaging.MessageSent: "sent",
    messaging.MessageFailed: "failed",
    messaging.MessageBounced: "bounced",
    messaging.LetterAwaitingPosting: "awaiting_posting",
    messaging.ReplyReceived: "received",
}


async def message_changed(
    session: AsyncSession, fact: messaging.MessageEvent, at: datetime
) -> None:
    """A message sent, failed, bounced, awaiting posting or received, unless a newer state
    is stored."""
    state = STATES.get(type(fact))
    if state is None:
        return
    inbound = isinstance(fact, messaging.ReplyReceived)
    values: dict[str, Any] = {"state": state, "state_at": at, "thread_id": fact.thread_id}
    if fact.subject_line:  # the subject as rendered (older producers did not carry it)
        values["subject"] = fact.subject_line[:500]
    if isinstance(fact, messaging.MessageSent | messaging.MessageFailed):
        values["channel"] = fact.channel
    if isinstance(fact, messaging.MessageFailed):
        values["detail"] = fact.detail
    if isinstance(fact, messaging.MessageBounced):
        values["detail"] = fact.reason
    if isinstance(fact, messaging.LetterAwaitingPosting):
        values["channel"] = "letter"
    if isinstance(fact, messaging.ReplyReceived):
        values["channel"] = "email" if fact.via == "email" else "reply_page"
    current = (
        await session.execute(
            sa.select(rm_messages.c.state_at).where(rm_messages.c.message_id == fact.message_id)
        )
    ).first()
    if current is None:
        await session.execute(
            sa.insert(rm_messages).values(
                message_id=fact.message_id,
                administration_id=fact.administration_id,
                debtor_id=fact.debtor_id,
                direction="inbound" if inbound else "outbound",
                invoice_ids=list(fact.invoice_ids),
                read=not inbound,  # our own messages need no reading
                created_at=at,
                **{"channel": None, "subject": None, "detail": None, **values},
            )
        )
        if fact.invoice_ids:
            await session.execute(
                sa.insert(rm_message_invoices),
                [
                    {
                        "message_id": fact.message_id,
                        "invoice_id": invoice_id,
                        "administration_id": fact.administration_id,
                    }
                    for invoice_id in dict.fromkeys(fact.invoice_ids)
                ],
            )
        return
    stored_at = aware(current.state_at)
    assert stored_at is not None
    if at >= stored_at:
        await session.execute(
            sa.update(rm_messages).where(rm_messages.c.message_id == fact.message_id).values(values)
        )
    elif "subject" in values:  # an older state, but the subject is the message's all along
        await session.execute(
            sa.update(rm_messages)
            .where(rm_messages.c.message_id == fact.message_id, rm_messages.c.subject.is_(None))
            .values(subject=values["subject"])
        )


async def message_read(session: AsyncSession, fact: messaging.MessageRead, at: datetime) -> None:
    """A reply marked read or unread, unless a newer mark is stored."""
    current = (
        await session.execute(
            sa.select(rm_messages.c.read_at).where(rm_messages.c.message_id == fact.message_id)
        )
    ).first()
    if current is None:
        return  # a read mark of a reply we never saw: nothing to show it on
    stored = aware(current.read_at)
    if stored is not None and at < stored:
        return
    await session.execute(
        sa.update(rm_messages)
        .where(rm_messages.c.message_id == fact.message_id)
        .values(read=fact.read, read_at=at)
    )


async def mark_read_locally(
    session: AsyncSession, administration_id: str, message_id: str, read: bool, at: datetime
) -> None:
    """After messaging accepted a read mark, show it at once; its event confirms it later."""
    await session.execute(
        sa.update(rm_messages)
        .where(
            rm_messages.c.administration_id == administration_id,
            rm_messages.c.message_id == message_id,
        )
        .values(read=read, read_at=at)
    )


async def record_written_locally(
    session: AsyncSession,
    *,
    administration_id: str,
    message_id: str,
    debtor_id: str,
    thread_id: str | None,
    subject: str,
    invoice_ids: list[str],
    at: datetime,
) -> None:
    """A message a user wrote, as soon as messaging queued it, so it shows in the debtor's
    thread at once. The events about it (sent, bounced) update its state and subject
    afterwards."""
    exists = await session.scalar(
        sa.select(rm_messages.c.message_id).where(rm_messages.c.message_id == message_id)
    )
    if exists is not None:  # its first event was quicker than this request
        await session.execute(
            sa.update(rm_messages)
            .where(rm_messages.c.message_id == message_id)
            .values(subject=subject)
        )
        return
    await session.execute(
        sa.insert(rm_messages).values(
            message_id=message_id,
            administration_id=administration_id,
            debtor_id=debtor_id,
            thread_id=thread_id or message_id,
            direction="outbound",
            state="queued",
            channel=None,
            subject=subject,
            detail=None,
            invoice_ids=invoice_ids,
            read=True,
            created_at=at,
            state_at=BEFORE_ANY_EVENT,
        )
    )
    if invoice_ids:
        await session.execute(
            sa.insert(rm_message_invoices),
            [
                {
                    "message_id": message_id,
                    "invoice_id": invoice_id,
                    "administration_id": administration_id,
                }
                for invoice_id in dict.fromkeys(invoice_ids)
            ],
        )
