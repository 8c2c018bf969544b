"""Applying messaging's events: bounces, failures, sends, replies and letters to post raise
and resolve attention items. The times the events carry decide, not their order of arrival
(domain/mailbox.py); soft bounces raise nothing (docs/dunning.md, "Messaging's events")."""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import AttentionChange
from settle_dunning.domain.attention import letter_posted, letter_to_post
from settle_dunning.domain.mailbox import (
    MISSING_FAILURES,
    UNDELIVERABLE_FAILURES,
    MailboxReaction,
    ReplyMark,
    email_missing,
    email_sent,
    email_undeliverable,
    reply_marked,
    reply_received,
    unread_replies,
)
from settle_shared.events import messaging
from settle_shared.logs import get_logger

log = get_logger(__name__)


# Messaging's events dunning applies; it ignores the others on the same topic.
MessagingEvent: TypeAlias = (
    messaging.MessageSent
    | messaging.MessageFailed
    | messaging.MessageBounced
    | messaging.ReplyReceived
    | messaging.MessageRead
    | messaging.LetterAwaitingPosting
)


async def apply_messaging_event(
    ctx: DunningContext,
    session: AsyncSession,
    event: MessagingEvent,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Apply one messaging event in the session's transaction (the consumer's)."""
    administration_id = event.administration_id
    repos = ctx.repositories(session)
    # Messaging only writes for administrations dunning requested messages for, or that the
    # gateway configured; one not seen yet is known from now on, like from an importer fact.
    await ctx.ensure_administration(repos, administration_id)
    if isinstance(event, messaging.ReplyReceived | messaging.MessageRead):
        raised = await _reply(repos, event)
    elif isinstance(event, messaging.LetterAwaitingPosting):
        raised = tuple(letter_to_post(invoice_id) for invoice_id in event.invoice_ids)
    elif isinstance(event, messaging.MessageSent) and event.channel == "letter":
        raised = tuple(letter_posted(invoice_id) for invoice_id in event.invoice_ids)
    else:
        raised = await _outbound(repos, event)
    outgoing = OutgoingEvents(administration_id)
    outgoing.attention(await repos.attention.apply(administration_id, raised))
    await outgoing.write(
        session, ctx.outbox, correlation_id=correlation_id, causation_id=causation_id
    )


async def _outbound(
    repos: Repositories,
    event: messaging.MessageSent | messaging.MessageFailed | messaging.MessageBounced,
) -> tuple[AttentionChange, ...]:
    administration_id, debtor_id = event.administration_id, event.debtor_id
    if isinstance(event, messaging.MessageSent | messaging.MessageFailed) and (
        event.channel != "email"
    ):
        return ()
    if isinstance(event, messaging.MessageFailed) and event.reason in MISSING_FAILURES:
        debtor = await repos.debtors.get(administration_id, debtor_id)
        return email_missing(debtor_id, debtor, tuple(event.invoice_ids))
    box = await repos.mailboxes.get(administration_id, debtor_id)
    reaction: MailboxReaction
    if isinstance(event, messaging.MessageSent):
        reaction = email_sent(box, debtor_id, event.sent_at)
    elif isinstance(event, messaging.MessageBounced):
        if event.kind != "hard":
            log.info("soft bounce: no attention", debtor_id=debtor_id)
            return ()
        debtor = await repos.debtors.get(administration_id, debtor_id)
        reaction = email_undeliverable(box, debtor_id, debtor, event.recipient, event.bounced_at)
    elif event.reason in UNDELIVERABLE_FAILURES:
        debtor = await repos.debtors.get(administration_id, debtor_id)
        reaction = email_undeliverable(box, debtor_id, debtor, None, event.failed_at)
    else:
        return ()  # a template error or a server that gave up says nothing about the address
    if reaction.mailbox != box:
        await repos.mailboxes.save(administration_id, debtor_id, reaction.mailbox)
    return reaction.attention


async def _reply(
    repos: Repositories, event: messaging.ReplyReceived | messaging.MessageRead
) -> tuple[AttentionChange, ...]:
    administration_id, debtor_id = event.administration_id, event.debtor_id
    stored = await repos.mailboxes.reply_mark(administration_id, event.message_id)
    mark: ReplyMark | None
    if isinstance(event, messaging.ReplyReceived):
        mark = reply_received(stored, event.received_at)
    else:
        mark = reply_marked(stored, event.read, event.at)
    if mark is None:
        log.info("older or repeated reply event ignored", message_id=event.message_id)
        return ()
    await repos.mailboxes.save_reply_mark(administration_id, event.message_id, debtor_id, mark)
    return (
        unread_replies(
            debtor_id, await repos.mailboxes.unread_replies(administration_id, debtor_id)
        ),
    )
