"""Applying messaging's events: bounces, failures, sends, replies and letters to post raise
and resolve attention items. The times the events carry decide, not their order of arrival
(domain/mailbox.py); soft bounces raise nothing (docs/dunning.md, "Messaging's events"). A
failure or hard bounce of a step's message is also a fact about the step: one that reached
the debtor on no channel failed (domain/delivery.py)."""

from __future__ import annotations

from datetime import date
from typing import TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import AttentionChange, DebtorReminded, DunningState
from settle_dunning.domain.attention import letter_posted, letter_to_post
from settle_dunning.domain.delivery import ChannelFailure, channel_failed, last_reminded_on
from settle_dunning.domain.flows import Channel
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
    outgoing = OutgoingEvents(administration_id)
    if isinstance(event, messaging.ReplyReceived | messaging.MessageRead):
        raised = await _reply(repos, event)
    elif isinstance(event, messaging.LetterAwaitingPosting):
        raised = tuple(letter_to_post(invoice_id) for invoice_id in event.invoice_ids)
    elif isinstance(event, messaging.MessageSent) and event.channel == "letter":
        raised = tuple(letter_posted(invoice_id) for invoice_id in event.invoice_ids)
    else:
        raised = await _outbound(repos, event)
        failure = _channel_failure(event)
        if failure is not None:
            raised += await _steps_not_delivered(ctx, repos, outgoing, event, failure)
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


def _channel_failure(
    event: messaging.MessageSent | messaging.MessageFailed | messaging.MessageBounced,
) -> ChannelFailure | None:
    """The event as a report about a step's message on one channel, when it is one."""
    if event.message_request_id is None:
        return None  # a message a user wrote: no step waits for it
    if isinstance(event, messaging.MessageFailed):
        return ChannelFailure(
            event.message_request_id, Channel(event.channel), event.reason, event.detail
        )
    if isinstance(event, messaging.MessageBounced) and event.kind == "hard":
        return ChannelFailure(
            event.message_request_id,
            Channel.EMAIL,
            "bounced",
            f"the email came back: {event.reason}",
            replaced_by=Channel.LETTER if event.fallback_letter_message_id else None,
        )
    return None


async def _steps_not_delivered(
    ctx: DunningContext,
    repos: Repositories,
    outgoing: OutgoingEvents,
    event: messaging.MessageEvent,
    failure: ChannelFailure,
) -> tuple[AttentionChange, ...]:
    """Record the failure with the step of each invoice the message was about; a step that
    reached the debtor on no channel fails, and its invoice is planned again."""
    administration_id = event.administration_id
    business_date = ctx.business_date()
    raised: list[AttentionChange] = []
    failed_on: set[date] = set()
    for invoice_id in dict.fromkeys(event.invoice_ids):
        state = await repos.states.get(administration_id, invoice_id)
        if state is None:
            continue
        flow = await repos.flows.get(administration_id, state.flow_id)
        if flow is None:
            continue
        debtor = await repos.debtors.get(administration_id, state.invoice.debtor_id)
        reaction = channel_failed(state, flow, debtor, failure, business_date)
        if reaction.state == state:
            continue
        await repos.states.update(administration_id, [reaction.state])
        if reaction.failed is not None:
            await repos.states.record_failure(administration_id, reaction.failed)
            outgoing.step_failed(reaction.failed, reaction.state)
            failed_on.add(reaction.failed.step.executed_on)
            log.warning(
                "step not delivered",
                invoice_id=invoice_id,
                step_id=reaction.failed.step.step_id,
                reason=failure.reason,
            )
        if reaction.phase_change is not None:
            outgoing.phase_changed(reaction.phase_change, reaction.state)
        outgoing.replanned(state, reaction.state)
        raised += reaction.attention
    await _recount_last_reminder(repos, administration_id, event.debtor_id, failed_on)
    return tuple(raised)


async def _recount_last_reminder(
    repos: Repositories, administration_id: str, debtor_id: str, failed_on: set[date]
) -> None:
    """A reminder that reached nobody does not hold the debtor's next one back: when it was
    the debtor's last, the last one is what their invoices' delivered reminders say."""
    debtor = await repos.debtors.get(administration_id, debtor_id)
    if debtor is None or debtor.last_reminded_on not in failed_on:
        return
    states: list[DunningState] = []
    after: str | None = None
    while page := await repos.states.page(
        administration_id, after=after, limit=1000, debtor_id=debtor_id
    ):
        states += page
        after = page[-1].invoice_id
    last = last_reminded_on(states)
    if last != debtor.last_reminded_on:
        await repos.debtors.set_last_reminded(administration_id, [DebtorReminded(debtor_id, last)])


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
