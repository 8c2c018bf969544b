"""Payment plans as use cases: a person creates, approves, rejects, edits or ends a plan (the
internal API); a debtor proposes one (the portal, through the gateway); payments of its
instalments and the import's open amounts count toward it (the consumer); the daily run
sends its reminders and missed notices and lets it expire (rules in domain/plans.py).

Every change stores the plan and the states of its invoices in one transaction, with the
events that describe it: the plan as it stands (`dunning.plans.v1`), the invoices' plans
(`StepPlanned`, blocked by the plan), attention items and message requests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeAlias
from uuid import uuid4

from settle_dunning.application.context import DunningContext
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import DunningState, NotFound
from settle_dunning.domain.attention import AttentionChange
from settle_dunning.domain.errors import PlanRefused
from settle_dunning.domain.plan_offers import PlanOffer, starts_without_approval, validate_offers
from settle_dunning.domain.plans import (
    CONFIRMATION_TEMPLATE,
    MISSED_TEMPLATE,
    REJECTED_TEMPLATE,
    REMINDER_TEMPLATE,
    ZERO,
    CaseToCover,
    PaymentPlan,
    PlanNotice,
    PlanStatus,
    PlanTerms,
    ProposedBy,
    approve_plan,
    case_closed,
    case_paid,
    completed_if_settled,
    decided_attention,
    edit_plan,
    end_plan,
    expired_attention,
    expiry_resolved,
    hold_for_plan,
    make_plan,
    next_action_on,
    open_amount_imported,
    own_share,
    payment_failed,
    payment_paid,
    payment_reversed,
    payment_started,
    plan_day,
    plan_message,
    reject_plan,
    release_from_plan,
    requested_attention,
)
from settle_shared.db import transaction
from settle_shared.events import collection, payments
from settle_shared.events import plans as events
from settle_shared.logs import get_logger

log = get_logger(__name__)

# Plans the daily run handles per transaction.
DAY_BATCH = 200


@dataclass(frozen=True)
class PlanRequest:
    """A plan a person asks for, or a debtor proposes (`debtor_id` then is the debtor the
    portal link was signed for: every invoice must be theirs)."""

    invoice_ids: tuple[str, ...]
    terms: PlanTerms
    proposed_by: ProposedBy = ProposedBy.USER
    reason: str | None = None
    debtor_id: str | None = None
    cases: tuple[CaseToCover, ...] = ()


class _Change:
    """What one use case does to one plan, written in its transaction."""

    def __init__(self, ctx: DunningContext, repos: Repositories, outgoing: OutgoingEvents) -> None:
        self.ctx = ctx
        self.repos = repos
        self.outgoing = outgoing

    @property
    def administration_id(self) -> str:
        return self.outgoing.administration_id

    async def save(
        self,
        plan: PaymentPlan,
        event_type: type[events.PaymentPlanEvent] | None,
        *,
        new: bool = False,
    ) -> None:
        upcoming = next_action_on(plan, self.ctx.plan_settings)
        if new:
            await self.repos.payment_plans.add(self.administration_id, plan, upcoming)
        else:
            await self.repos.payment_plans.save(self.administration_id, plan, upcoming)
        if event_type is not None:
            self.outgoing.plan_changed(plan, event_type)

    async def states(self, plan: PaymentPlan) -> list[DunningState]:
        found = await self.repos.states.many(self.administration_id, list(plan.invoice_ids))
        return sorted(found, key=lambda s: plan.invoice_ids.index(s.invoice_id))

    async def hold(self, plan: PaymentPlan, states: Sequence[DunningState]) -> None:
        held = [hold_for_plan(s, plan) for s in states]
        await self.repos.states.update(self.administration_id, held)
        for before, after in zip(states, held, strict=True):
            self.outgoing.replanned(before, after)

    async def release(self, plan: PaymentPlan, business_date: date) -> None:
        """The plan no longer holds its invoices: their flows resume from `business_date`."""
        flows = {f.id: f for f in await self.repos.flows.all(self.administration_id)}
        states = await self.states(plan)
        released = []
        for state in states:
            if state.plan_hold is None or state.plan_hold.plan_id != plan.id:
                continue  # released meanwhile, or held by another plan since
            after = release_from_plan(state, flows[state.flow_id], business_date)
            released.append(after)
            self.outgoing.replanned(state, after)
        await self.repos.states.update(self.administration_id, released)

    async def attention(self, changes: Sequence[AttentionChange]) -> None:
        applied = await self.repos.attention.apply(self.administration_id, changes)
        self.outgoing.attention(applied)

    async def message(
        self,
        plan: PaymentPlan,
        template_key: str,
        business_date: date,
        instalment: int | None = None,
        states: Sequence[DunningState] | None = None,
    ) -> bool:
        """Ask messaging to write to the debtor about the plan; False when the debtor has
        neither an email address nor a postal address."""
        administration = await self.repos.administrations.get(self.administration_id)
        debtor = await self.repos.debtors.get(self.administration_id, plan.debtor_id)
        if administration is None or debtor is None:
            return False
        request = plan_message(
            plan,
            template_key,
            administration=administration,
            debtor=debtor,
            states=states if states is not None else await self.message_states(plan),
            business_date=business_date,
            instalment=instalment,
        )
        if request is None:
            log.warning("plan message reaches nobody", plan_id=plan.id, template=template_key)
            return False
        self.outgoing.message_requested(request)
        return True

    async def message_states(self, plan: PaymentPlan) -> list[DunningState]:
        """The states of every invoice a message about the plan lists: its own and its
        cases'."""
        ids = list(plan.all_invoice_ids)
        found = await self.repos.states.many(self.administration_id, ids)
        return sorted(found, key=lambda s: ids.index(s.invoice_id))

    async def numbers(self, plan: PaymentPlan) -> dict[str, str]:
        return {s.invoice_id: s.invoice.number for s in await self.states(plan)}


async def _existing(change: _Change, plan_id: str) -> PaymentPlan:
    plan = await change.repos.payment_plans.get(change.administration_id, plan_id, lock=True)
    if plan is None:
        raise NotFound("payment plan", plan_id)
    return plan


# --- a person's commands and the debtor's proposal ----------------------------------------


async def create_plan(
    ctx: DunningContext, administration_id: str, request: PlanRequest
) -> PaymentPlan:
    """Start a plan (a person, or a debtor within the administration's offer for what the
    debtor has open) or register a proposal (a debtor, outside any offer). Refused: an unknown
    administration or invoice (NotFound: an invoice of another administration is unknown
    here), invoices of another debtor than the proposal's, and everything `make_plan` and
    `build_schedule` refuse."""
    business_date = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        if await repos.administrations.get(administration_id) is None:
            raise NotFound("administration", administration_id)
        outgoing = OutgoingEvents(administration_id)
        change = _Change(ctx, repos, outgoing)
        ids = list(dict.fromkeys(request.invoice_ids))
        # The cases' invoices are locked too: two plans over one case at once meet here, and
        # the second sees the first holding the case.
        of_cases = [i for c in request.cases for i in c.invoice_ids]
        locked = await repos.states.many(administration_id, [*ids, *of_cases])
        found = {s.invoice_id: s for s in locked if s.invoice_id in ids}
        for invoice_id in ids:
            if invoice_id not in found:
                raise NotFound("invoice", invoice_id)
        states = [found[i] for i in ids]
        if request.debtor_id is not None:
            for state in states:
                if state.invoice.debtor_id != request.debtor_id:
                    raise PlanRefused(
                        f"invoice {state.invoice.number} is not this debtor's",
                        "invoice_of_another_debtor",
                    )
        within_offer = False
        if request.proposed_by is ProposedBy.DEBTOR and states:
            # The offer is the one for what the debtor has open, as the portal shows it, not
            # for the invoices chosen: a debtor above every offer could otherwise start plans
            # without approval by proposing one invoice at a time.
            first = states[0].invoice
            open_amount = await repos.states.debtor_open_amount(
                administration_id, first.debtor_id, first.currency
            )
            offers = await repos.plan_offers.all(administration_id)
            within_offer = starts_without_approval(
                offers, open_amount, request.terms, business_date
            )
        in_other_plans = (
            await repos.payment_plans.holding_cases(
                administration_id, [c.case_id for c in request.cases]
            )
            if request.cases
            else {}
        )
        plan = make_plan(
            str(uuid4()),
            states,
            list(request.invoice_ids),
            request.terms,
            business_date,
            proposed_by=request.proposed_by,
            reason=request.reason,
            within_offer=within_offer,
            cases=request.cases,
            in_other_plans=in_other_plans,
        )
        requested = plan.status is PlanStatus.REQUESTED
        await change.save(
            plan,
            events.PaymentPlanRequested if requested else events.PaymentPlanStarted,
            new=True,
        )
        await change.hold(plan, states)
        if requested:
            await change.attention(
                requested_attention(plan, {s.invoice_id: s.invoice.number for s in states})
            )
        else:
            await change.message(plan, CONFIRMATION_TEMPLATE, business_date)
        await outgoing.write(session, ctx.outbox)
    return plan


async def approve(
    ctx: DunningContext, administration_id: str, plan_id: str, terms: PlanTerms | None = None
) -> PaymentPlan:
    """Approve a debtor's proposal (with other terms: a change); the plan starts and the
    debtor gets the schedule."""
    business_date = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        change = _Change(ctx, ctx.repositories(session), OutgoingEvents(administration_id))
        plan = approve_plan(await _existing(change, plan_id), business_date, terms)
        await change.save(plan, events.PaymentPlanStarted)
        states = await change.states(plan)
        await change.hold(plan, states)  # requested -> active
        await change.attention(decided_attention(plan, "The payment plan was approved."))
        await change.message(plan, CONFIRMATION_TEMPLATE, business_date, states=states)
        await change.outgoing.write(session, ctx.outbox)
    return plan


async def reject(ctx: DunningContext, administration_id: str, plan_id: str) -> PaymentPlan:
    """Decline a debtor's proposal: the flows resume from today and the debtor is told."""
    business_date = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        change = _Change(ctx, ctx.repositories(session), OutgoingEvents(administration_id))
        plan = reject_plan(await _existing(change, plan_id), business_date)
        await change.save(plan, events.PaymentPlanRejected)
        await change.message(plan, REJECTED_TEMPLATE, business_date)
        await change.release(plan, business_date)
        await change.attention(decided_attention(plan, "The proposal was rejected."))
        await change.outgoing.write(session, ctx.outbox)
    return plan


async def edit(
    ctx: DunningContext, administration_id: str, plan_id: str, terms: PlanTerms
) -> PaymentPlan:
    """A new schedule for what is left of the same invoices; the debtor gets it."""
    business_date = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        change = _Change(ctx, ctx.repositories(session), OutgoingEvents(administration_id))
        before = await _existing(change, plan_id)
        plan = edit_plan(before, terms, business_date)
        await change.save(plan, events.PaymentPlanEdited)
        if before.status is PlanStatus.EXPIRED:
            await change.attention(
                expiry_resolved(plan, "The payment plan was given a new schedule.")
            )
        await change.message(plan, CONFIRMATION_TEMPLATE, business_date)
        await change.outgoing.write(session, ctx.outbox)
    return plan


async def end(ctx: DunningContext, administration_id: str, plan_id: str) -> PaymentPlan:
    """End an active or expired plan: each invoice's flow resumes from today, with the step
    that fell due meanwhile planned today and the rest after it."""
    business_date = ctx.business_date()
    async with transaction(ctx.sessions) as session:
        change = _Change(ctx, ctx.repositories(session), OutgoingEvents(administration_id))
        before = await _existing(change, plan_id)
        plan = end_plan(before, business_date)
        await change.save(plan, events.PaymentPlanEnded)
        await change.release(plan, business_date)
        if before.status is PlanStatus.EXPIRED:
            await change.attention(
                expiry_resolved(plan, "The payment plan was ended; reminders resumed.")
            )
        await change.outgoing.write(session, ctx.outbox)
    return plan


async def get_plan(ctx: DunningContext, administration_id: str, plan_id: str) -> PaymentPlan:
    async with transaction(ctx.sessions) as session:
        plan = await ctx.repositories(session).payment_plans.get(administration_id, plan_id)
    if plan is None:
        raise NotFound("payment plan", plan_id)
    return plan


async def list_plans(
    ctx: DunningContext,
    administration_id: str,
    *,
    debtor_id: str | None = None,
    invoice_id: str | None = None,
    statuses: Sequence[PlanStatus] = (),
) -> list[PaymentPlan]:
    async with transaction(ctx.sessions) as session:
        return await ctx.repositories(session).payment_plans.search(
            administration_id, debtor_id=debtor_id, invoice_id=invoice_id, statuses=statuses
        )


# --- the administration's offers ---------------------------------------------------------


async def get_offers(ctx: DunningContext, administration_id: str) -> tuple[PlanOffer, ...]:
    """The administration's plan offers, ordered by their ranges."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        if await repos.administrations.get(administration_id) is None:
            raise NotFound("administration", administration_id)
        return await repos.plan_offers.all(administration_id)


async def replace_offers(
    ctx: DunningContext, administration_id: str, offers: Sequence[PlanOffer]
) -> tuple[PlanOffer, ...]:
    """The administration's plan offers from now on (none: every proposal waits for a person).
    Refused as `validate_offers` says; plans already made keep their terms."""
    checked = validate_offers(offers)
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        if await repos.administrations.get(administration_id) is None:
            raise NotFound("administration", administration_id)
        await repos.plan_offers.replace(administration_id, checked)
    return checked


# --- payments and imports (the consumer's transaction) ------------------------------------


PlanPaymentEvent: TypeAlias = (
    payments.PaymentCreated
    | payments.PaymentStatusChanged
    | payments.PaymentRefunded
    | payments.PaymentChargedBack
)


async def apply_plan_payment(
    ctx: DunningContext, repos: Repositories, outgoing: OutgoingEvents, event: PlanPaymentEvent
) -> None:
    """A payment of an instalment: opened (the schedule waits for it), paid (it counts),
    failed (nothing counts) or reversed (it no longer counts)."""
    assert event.plan_id is not None
    change = _Change(ctx, repos, outgoing)
    plan = await repos.payment_plans.get(outgoing.administration_id, event.plan_id, lock=True)
    if plan is None:
        log.warning("payment of an unknown plan", plan_id=event.plan_id)
        return
    if isinstance(event, payments.PaymentCreated):
        after = payment_started(plan, event.payment_id)
    elif isinstance(event, payments.PaymentRefunded):
        after = payment_reversed(
            plan,
            event.payment_id,
            _own_reversed(plan, event, event.refunded_amount, event.total_refunded),
        )
    elif isinstance(event, payments.PaymentChargedBack):
        after = payment_reversed(
            plan,
            event.payment_id,
            _own_reversed(plan, event, event.charged_back_amount, event.charged_back_amount),
        )
    elif event.status == "paid":
        # The part paying the plan's cases counts when collection allocates it (case_paid).
        after = payment_paid(plan, event.payment_id, _own_share(plan, event))
    elif event.status in ("open", "pending", "authorized"):
        after = payment_started(plan, event.payment_id)
    elif event.status in ("failed", "canceled", "expired"):
        after = payment_failed(plan, event.payment_id)
    else:
        return  # refunded, charged back: counted by their own events, with their amounts
    if after == plan:
        return
    await change.save(
        after, events.PaymentPlanProgressed if after.version != plan.version else None
    )


def _own_share(plan: PaymentPlan, event: PlanPaymentEvent) -> Decimal:
    if not plan.cases:
        return event.amount
    return own_share(plan, ((c.invoice_id, c.amount) for c in event.invoices))


def _own_reversed(
    plan: PaymentPlan, event: PlanPaymentEvent, back: Decimal, total_back: Decimal
) -> Decimal:
    """What of money that went back (`back`, `total_back` with the earlier refunds) was the
    plan's own invoices'. Collection takes back a case's share first (as far as the money
    reaches) and counts it through `case_paid`; only the rest comes off the own share."""
    own = _own_share(plan, event)
    if not plan.cases:
        return min(back, own)
    of_cases = event.amount - own

    def own_part(total: Decimal) -> Decimal:
        return min(own, max(total - of_cases, ZERO))

    return own_part(total_back) - own_part(total_back - back)


async def case_event_applied(
    ctx: DunningContext,
    repos: Repositories,
    outgoing: OutgoingEvents,
    event: collection.CasePaymentAllocated | collection.CaseClosed,
) -> None:
    """Collection allocated money to a case a plan covers, or closed it: what it paid counts
    toward the plan; when every invoice and case is settled the plan is completed."""
    found = await repos.payment_plans.holding_cases(outgoing.administration_id, [event.case_id])
    plan_id = found.get(event.case_id)
    if plan_id is None:
        return
    plan = await repos.payment_plans.get(outgoing.administration_id, plan_id, lock=True)
    if plan is None or plan.status.finished:
        return
    if isinstance(event, collection.CaseClosed):
        counted = case_closed(plan, event.case_id)
    else:
        counted = case_paid(plan, event.case_id, event.amount)
    await _counted(_Change(ctx, repos, outgoing), plan, counted)


async def invoice_amount_imported(
    ctx: DunningContext,
    repos: Repositories,
    outgoing: OutgoingEvents,
    state: DunningState,
) -> None:
    """The import reported the open amount of an invoice a plan holds: what it went down by
    counts toward the plan; when every invoice is settled the plan is completed."""
    if state.plan_hold is None:
        return
    change = _Change(ctx, repos, outgoing)
    plan = await repos.payment_plans.get(
        outgoing.administration_id, state.plan_hold.plan_id, lock=True
    )
    if plan is None or plan.status.finished:
        return
    open_amount = ZERO if state.settled else state.invoice.open_amount
    counted = open_amount_imported(plan, state.invoice_id, open_amount)
    await _counted(change, plan, counted)


async def _counted(change: _Change, plan: PaymentPlan, counted: PaymentPlan) -> None:
    """Store what money did to a plan: progressed, or completed (its invoices released)."""
    business_date = change.ctx.business_date()
    after = completed_if_settled(counted, business_date)
    if after == plan:
        return
    if after.status is PlanStatus.COMPLETED:
        await change.save(after, events.PaymentPlanCompleted)
        if plan.status is PlanStatus.EXPIRED:
            await change.attention(expiry_resolved(after, "The invoices are settled."))
        if plan.status is PlanStatus.REQUESTED:
            await change.attention(decided_attention(after, "The invoices are settled."))
        await change.release(after, business_date)
    else:
        await change.save(after, events.PaymentPlanProgressed)


# --- the day ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlansDay:
    """What the day did to plans."""

    plans: int
    messages: int
    events: int


async def run_plans(ctx: DunningContext, administration_id: str, business_date: date) -> PlansDay:
    """Send the reminders and missed notices due by `business_date` and let plans expire,
    whatever pauses the administration or the debtors have (instalment reminders go on).

    Plans are handled in batches, each in one transaction with a statement per kind of read
    and write (docs/dunning.md, "Performance")."""
    handled = messages = published = 0
    seen: set[str] = set()
    while True:
        async with transaction(ctx.sessions) as session:
            repos = ctx.repositories(session)
            due = await repos.payment_plans.due(administration_id, business_date, DAY_BATCH)
            # A plan handled today has nothing left to do today; never loop over it again.
            due = [plan for plan in due if plan.id not in seen]
            seen.update(plan.id for plan in due)
            outgoing = OutgoingEvents(administration_id)
            messages += await _plans_day(_Change(ctx, repos, outgoing), due, business_date)
            published += await outgoing.write(session, ctx.outbox)
        handled += len(due)
        if len(due) < DAY_BATCH:
            return PlansDay(handled, messages, published)


async def _plans_day(change: _Change, plans: list[PaymentPlan], business_date: date) -> int:
    if not plans:
        return 0
    repos, administration_id = change.repos, change.administration_id
    settings = change.ctx.plan_settings
    invoice_ids = [invoice_id for plan in plans for invoice_id in plan.all_invoice_ids]
    states = {s.invoice_id: s for s in await repos.states.many(administration_id, invoice_ids)}
    administration = await repos.administrations.get(administration_id)
    debtors = await repos.debtors.many(administration_id, {plan.debtor_id for plan in plans})
    saved: list[tuple[PaymentPlan, date | None]] = []
    completed: list[PaymentPlan] = []
    attention: list[AttentionChange] = []
    sent = 0
    for plan in plans:
        day = plan_day(plan, business_date, settings)
        after = day.plan
        saved.append((after, next_action_on(after, settings)))
        if day.completed:
            change.outgoing.plan_changed(after, events.PaymentPlanCompleted)
            completed.append(after)
            continue
        covered = [states[i] for i in after.all_invoice_ids if i in states]
        debtor = debtors.get(after.debtor_id)
        for notice, number in day.notices:
            template = REMINDER_TEMPLATE if notice is PlanNotice.REMINDER else MISSED_TEMPLATE
            request = None
            if administration is not None and debtor is not None:
                request = plan_message(
                    after,
                    template,
                    administration=administration,
                    debtor=debtor,
                    states=covered,
                    business_date=business_date,
                    instalment=number,
                )
            if request is None:
                log.warning("plan message reaches nobody", plan_id=after.id, template=template)
                continue
            change.outgoing.message_requested(request)
            sent += 1
        if day.expired:
            change.outgoing.plan_changed(after, events.PaymentPlanExpired)
            numbers = {s.invoice_id: s.invoice.number for s in covered}
            attention += expired_attention(after, numbers)
        elif any(notice is PlanNotice.MISSED for notice, _ in day.notices):
            change.outgoing.plan_changed(after, events.PaymentPlanProgressed)
    await repos.payment_plans.save_many(administration_id, saved)
    for plan in completed:
        await change.release(plan, business_date)
    if attention:
        await change.attention(attention)
    return sent
