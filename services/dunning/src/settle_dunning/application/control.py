"""What a person does through the API: flows, pausing and manual step control.

Each use case runs in one transaction and stages the events it causes in the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from settle_dunning.application.context import DunningContext
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import (
    Administration,
    AdministrationPause,
    DebtorPause,
    DebtorReminded,
    DunningState,
    ExecutedStep,
    Flow,
    FlowDraft,
    FlowExists,
    FlowInUse,
    NotFound,
    NotResolvedByHand,
    UnknownAdministration,
    attention,
    build_flow,
    perform_step_now,
    plan_next_step,
    put_on_hold,
    release_hold,
    reschedule_step,
    reset_flow,
    resume_planning,
    skip_step,
)
from settle_dunning.domain.attention import (
    RESOLVED_BY_A_PERSON,
    AttentionChange,
    AttentionItem,
    AttentionReason,
    AttentionSubject,
)
from settle_dunning.domain.delivery import channel_block_lifted, message_block_lifted
from settle_shared.db import transaction

PAGE = 1000


async def _administration(
    ctx: DunningContext, repos: Repositories, administration_id: str
) -> Administration:
    """The administration; UnknownAdministration for one the gateway has not announced (and
    no import has brought). Nothing creates one here: the gateway owns administrations."""
    administration = await repos.administrations.get(administration_id)
    if administration is None:
        raise UnknownAdministration(administration_id)
    return administration


async def _replan_pages(
    ctx: DunningContext,
    repos: Repositories,
    outgoing: OutgoingEvents,
    administration_id: str,
    replan: Callable[[DunningState], DunningState],
    **filters: Any,
) -> int:
    """Re-plan every open state matching `filters`, a page at a time; returns how many moved."""
    moved = 0
    after: str | None = None
    while page := await repos.states.page(administration_id, after=after, limit=PAGE, **filters):
        after = page[-1].invoice_id
        changed = []
        for state in page:
            new = replan(state)
            if new != state:
                changed.append(new)
                outgoing.replanned(state, new)
        await repos.states.update(administration_id, changed)
        moved += len(changed)
    return moved


# --- flows ------------------------------------------------------------------------------


async def list_flows(ctx: DunningContext, administration_id: str) -> list[Flow]:
    """The administration's flows in their order."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        return await repos.flows.all(administration_id)


async def get_flow(ctx: DunningContext, administration_id: str, flow_id: str) -> Flow:
    """One flow."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        flow = await repos.flows.get(administration_id, flow_id)
        if flow is None:
            raise NotFound("flow", flow_id)
        return flow


async def create_flow(ctx: DunningContext, administration_id: str, draft: FlowDraft) -> Flow:
    """Add a flow; InvalidFlow lists every problem of the draft."""
    flow = build_flow(draft, ctx.template_keys)
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        if await repos.flows.get(administration_id, flow.id) is not None:
            raise FlowExists(flow.id)
        await repos.flows.add(administration_id, flow, None)
    return flow


async def replace_flow(ctx: DunningContext, administration_id: str, draft: FlowDraft) -> Flow:
    """Change a flow. Open invoices on it follow the new flow from their next step on."""
    flow = build_flow(draft, ctx.template_keys)
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        if await repos.flows.get(administration_id, flow.id) is None:
            raise NotFound("flow", flow.id)
        await repos.flows.replace(administration_id, flow)
        outgoing = OutgoingEvents(administration_id)
        answered: list[AttentionChange] = []

        def replan(state: DunningState) -> DunningState:
            # A step held back for a channel that cannot be sent is decided again on the
            # changed flow by the next run.
            after = plan_next_step(channel_block_lifted(state), flow)
            answered.extend(message_block_lifted(state, after, "The flow was changed."))
            return after

        await _replan_pages(ctx, repos, outgoing, administration_id, replan, flow_id=flow.id)
        outgoing.attention(await repos.attention.apply(administration_id, answered))
        await outgoing.write(session, ctx.outbox)
    return flow


async def delete_flow(ctx: DunningContext, administration_id: str, flow_id: str) -> None:
    """Remove a flow no open invoice runs on (and never the last one)."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        flows = await repos.flows.all(administration_id)
        if flow_id not in {f.id for f in flows}:
            raise NotFound("flow", flow_id)
        if len(flows) == 1:
            raise FlowInUse(flow_id, "an administration needs at least one flow")
        if await repos.states.any_open_on_flow(administration_id, flow_id):
            raise FlowInUse(flow_id, "open invoices run on it; move them first")
        await repos.flows.delete(administration_id, flow_id)


# --- pausing ----------------------------------------------------------------------------


async def pause_administration(
    ctx: DunningContext, administration_id: str, mode: AdministrationPause
) -> None:
    """Pause reminders (the invoice itself still goes out) or everything."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        on = ctx.business_date() if mode is not AdministrationPause.ACTIVE else None
        await repos.administrations.set_pause(administration_id, mode, on)
        outgoing = OutgoingEvents(administration_id)
        outgoing.administration_pause(mode.value, on)
        await outgoing.write(session, ctx.outbox)


async def resume_administration(ctx: DunningContext, administration_id: str) -> int:
    """Make the administration active again; steps that fell due during the pause are
    planned from today. Returns how many invoices were re-planned."""
    today = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        await repos.administrations.set_pause(administration_id, AdministrationPause.ACTIVE, None)
        flows = {f.id: f for f in await repos.flows.all(administration_id)}
        outgoing = OutgoingEvents(administration_id)
        outgoing.administration_pause(AdministrationPause.ACTIVE.value, None)
        moved = await _replan_pages(
            ctx,
            repos,
            outgoing,
            administration_id,
            lambda s: resume_planning(s, flows[s.flow_id], today),
            planned_before=today,
        )
        await outgoing.write(session, ctx.outbox)
    return moved


async def pause_debtor(
    ctx: DunningContext, administration_id: str, debtor_id: str, mode: DebtorPause
) -> None:
    """Pause one debtor fully or only their reminders."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        if await repos.debtors.version(administration_id, debtor_id) is None:
            raise NotFound("debtor", debtor_id)
        await repos.debtors.set_pause(administration_id, debtor_id, mode)
        outgoing = OutgoingEvents(administration_id)
        outgoing.debtor_pause(debtor_id, mode.value)
        await outgoing.write(session, ctx.outbox)


async def resume_debtor(ctx: DunningContext, administration_id: str, debtor_id: str) -> int:
    """Lift a debtor's pause; their steps that fell due meanwhile are planned from today."""
    today = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        if await repos.debtors.version(administration_id, debtor_id) is None:
            raise NotFound("debtor", debtor_id)
        await repos.debtors.set_pause(administration_id, debtor_id, DebtorPause.ACTIVE)
        flows = {f.id: f for f in await repos.flows.all(administration_id)}
        outgoing = OutgoingEvents(administration_id)
        outgoing.debtor_pause(debtor_id, DebtorPause.ACTIVE.value)
        moved = await _replan_pages(
            ctx,
            repos,
            outgoing,
            administration_id,
            lambda s: resume_planning(s, flows[s.flow_id], today),
            debtor_id=debtor_id,
            planned_before=today,
        )
        await outgoing.write(session, ctx.outbox)
    return moved


# --- one invoice ------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceView:
    """An invoice's dunning as the API shows it."""

    state: DunningState
    flow: Flow
    executed: list[ExecutedStep]


InvoiceAction = Callable[[DunningState, Flow, date], DunningState]


async def _change_invoice(
    ctx: DunningContext,
    administration_id: str,
    invoice_id: str,
    action: InvoiceAction,
    why: str = "A person changed the invoice's plan.",
) -> DunningState:
    today = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        state = await repos.states.get(administration_id, invoice_id)
        if state is None:
            raise NotFound("invoice", invoice_id)
        flow = await repos.flows.get(administration_id, state.flow_id)
        assert flow is not None
        new = action(state, flow, today)
        await repos.states.update(administration_id, [new])
        outgoing = OutgoingEvents(administration_id)
        outgoing.replanned(state, new)
        answered = message_block_lifted(state, new, why)
        outgoing.attention(await repos.attention.apply(administration_id, answered))
        await outgoing.write(session, ctx.outbox)
    return new


async def pause_invoice(ctx: DunningContext, administration_id: str, invoice_id: str) -> None:
    """Put an invoice on hold (refused when it is settled)."""
    await _change_invoice(ctx, administration_id, invoice_id, lambda s, _f, _d: put_on_hold(s))


async def resume_invoice(ctx: DunningContext, administration_id: str, invoice_id: str) -> None:
    """Take an invoice off hold; its next step is planned from today at the earliest."""
    await _change_invoice(ctx, administration_id, invoice_id, release_hold)


async def skip_invoice_step(ctx: DunningContext, administration_id: str, invoice_id: str) -> None:
    """Pass over the invoice's next step."""
    await _change_invoice(
        ctx, administration_id, invoice_id, skip_step, "The step was skipped on request."
    )


async def reschedule_invoice_step(
    ctx: DunningContext, administration_id: str, invoice_id: str, to: date
) -> None:
    """Move the invoice's next step to a date."""
    await _change_invoice(
        ctx, administration_id, invoice_id, lambda s, f, d: reschedule_step(s, f, to, d)
    )


async def reset_invoice_flow(ctx: DunningContext, administration_id: str, invoice_id: str) -> None:
    """Start the invoice's flow again from its first step."""
    await _change_invoice(
        ctx, administration_id, invoice_id, reset_flow, "The flow was started again on request."
    )


async def perform_invoice_step_now(
    ctx: DunningContext, administration_id: str, invoice_id: str
) -> DunningState:
    """Execute the invoice's next step today, requesting its message at once."""
    today = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        administration = await _administration(ctx, repos, administration_id)
        state = await repos.states.get(administration_id, invoice_id)
        if state is None:
            raise NotFound("invoice", invoice_id)
        flow = await repos.flows.get(administration_id, state.flow_id)
        debtor = await repos.debtors.get(administration_id, state.invoice.debtor_id)
        assert flow is not None and debtor is not None
        credit_notes = (
            await repos.debtors.open_credit_notes(administration_id, [debtor.id])
            if debtor.has_unmatched_credit_note
            else {}
        )
        performed = perform_step_now(
            state, flow, debtor, administration, today, credit_notes.get(debtor.id, ())
        )
        execution = performed.execution
        await repos.states.update(administration_id, [execution.state])
        await repos.states.add_executed(administration_id, [execution.executed])
        if performed.debtor_reminded:
            await repos.debtors.set_last_reminded(
                administration_id, [DebtorReminded(debtor.id, today)]
            )
        outgoing = OutgoingEvents(administration_id)
        outgoing.step_executed(execution.executed, execution.state)
        if execution.phase_change is not None:
            outgoing.phase_changed(execution.phase_change, execution.state)
        if execution.ready_for_collection is not None:
            outgoing.ready_for_collection(execution.ready_for_collection)
        if performed.message_request is not None:
            outgoing.message_requested(performed.message_request)
        outgoing.attention(await repos.attention.apply(administration_id, execution.attention))
        await outgoing.write(session, ctx.outbox)
    return execution.state


async def invoice_view(ctx: DunningContext, administration_id: str, invoice_id: str) -> InvoiceView:
    """An invoice's state, its flow and its executed steps."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        state = await repos.states.get(administration_id, invoice_id, lock=False)
        if state is None:
            raise NotFound("invoice", invoice_id)
        flow = await repos.flows.get(administration_id, state.flow_id)
        assert flow is not None
        executed = await repos.states.executed(administration_id, invoice_id)
    return InvoiceView(state, flow, executed)


async def attention_page(
    ctx: DunningContext, administration_id: str, *, open_only: bool, after: int | None, limit: int
) -> list[AttentionItem]:
    """A page of attention items, newest first."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        return await repos.attention.page(
            administration_id, open_only=open_only, after=after, limit=limit
        )


async def resolve_attention(
    ctx: DunningContext,
    administration_id: str,
    subject: AttentionSubject,
    subject_id: str,
    reason: AttentionReason,
    note: str | None,
) -> AttentionItem:
    """A person looked at the open item of a subject and reason that waits for a person (an
    assumed due date, a possible bookkeeping error, a call to make) and resolves it. Items
    that resolve themselves when their cause goes are refused (NotResolvedByHand); NotFound
    when no such item is open."""
    if reason not in RESOLVED_BY_A_PERSON:
        raise NotResolvedByHand(reason.value)
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        item = await repos.attention.open_item(administration_id, subject, subject_id, reason)
        if item is None:
            raise NotFound(
                f"open {reason.value.replace('_', ' ')} item of {subject.value}", subject_id
            )
        sentence = "Resolved by a user" + (f": {note.strip()}" if note and note.strip() else ".")
        change = attention.resolve(reason, subject, subject_id, sentence)
        outgoing = OutgoingEvents(administration_id)
        outgoing.attention(await repos.attention.apply(administration_id, [change]))
        await outgoing.write(session, ctx.outbox)
    return replace(item, resolved_at=ctx.clock.now(), resolution=sentence)


async def choose_debtor_language(
    ctx: DunningContext, administration_id: str, debtor_id: str, language: str | None
) -> None:
    """Write to a debtor in `language` from now on, whatever bookkeeping says; None gives the
    say back to bookkeeping (and, without a language there, to the debtor's country)."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await _administration(ctx, repos, administration_id)
        debtor = await repos.debtors.get(administration_id, debtor_id)
        if debtor is None:
            raise NotFound("debtor", debtor_id)
        if debtor.chosen_language == language:
            return
        await repos.debtors.set_chosen_language(administration_id, debtor_id, language)
        outgoing = OutgoingEvents(administration_id)
        outgoing.debtor_language(debtor_id, language)
        await outgoing.write(session, ctx.outbox)


async def administration_view(ctx: DunningContext, administration_id: str) -> Administration:
    """The administration (pause, last run)."""
    async with transaction(ctx.sessions) as session:
        return await _administration(ctx, ctx.repositories(session), administration_id)
