"""A user's commands on cases (through the gateway), and the one way every change of a case is
stored: the case saved, its invoices held or released, a case paid off closed, and its events
staged in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import Store
from settle_collection.application.publishing import CaseNews
from settle_collection.domain import cases as rules
from settle_collection.domain import charges
from settle_collection.domain.balances import Balance, case_balance
from settle_collection.domain.cases import Case, Outcome, PaymentSource, Step
from settle_collection.domain.errors import CaseNotFound, InvalidCase, InvoiceNotFound
from settle_collection.domain.opening import open_by_hand
from settle_collection.domain.parties import AdministrationSettings, Debtor, unknown_debtor
from settle_collection.domain.wording import step_message
from settle_law.allocation import AllocationOrder, Part
from settle_law.interest import RateTable
from settle_shared.events import collection as events


def new_case_id() -> str:
    return str(uuid.uuid4())


async def store_case(
    store: Store,
    before: Case | None,
    after: Case,
    news: CaseNews,
    today: date,
    table: RateTable,
    settings: AdministrationSettings,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> tuple[Case, Balance]:
    """Store a changed case: closed when it is paid off, saved, its invoices held while it is
    active (released when it ends), its events staged. Returns the case and its balance."""
    balance = case_balance(after, today, table, settings.letter_delivery_days)
    paid_off = charges.close_when_paid(after, settings, balance, today)
    if paid_off is not None:
        after = paid_off
        balance = case_balance(after, today, table, settings.letter_delivery_days)
        news.add(events.CaseClosed, outcome=after.outcome, reason=after.entries[-1].reason)
    if before is None:
        await store.cases.add(after)
    else:
        await store.cases.save(after)
    if after.active:
        await store.invoices.hold(after.administration_id, after.invoice_ids, after.case_id)
    elif before is None or before.active:
        await store.invoices.hold(after.administration_id, after.invoice_ids, None)
    await store.stage(
        after.administration_id,
        news.events(after, balance, today),
        correlation_id=correlation_id,
        causation_id=causation_id,
    )
    return after, balance


async def debtor_of(store: Store, administration_id: str, debtor_id: str) -> Debtor:
    """The debtor as bookkeeping has it (a consumer until the importer says otherwise)."""
    return await store.debtors.get(administration_id, debtor_id) or unknown_debtor(debtor_id)


def sender_name(administration_id: str, settings: AdministrationSettings) -> str:
    return settings.creditor.name or administration_id


async def enter_step(
    store: Store,
    case: Case,
    step: Step,
    today: date,
    by: str,
    news: CaseNews,
    table: RateTable,
    settings: AdministrationSettings,
) -> Case:
    """Move a case to a step and request the step's message (on the case's timeline)."""
    previous = case.step
    case = rules.move_to(case, step, today, by)
    news.add(events.CaseStepChanged, previous_step=previous.value, by=by)
    debtor = await debtor_of(store, case.administration_id, case.debtor_id)
    balance = case_balance(case, today, table, settings.letter_delivery_days)
    message = step_message(case, step, debtor, balance, today)
    if step.sends_message and message is None:
        return case.with_entry(
            rules.Entry(
                rules.EntryKind.MESSAGE_REQUESTED,
                today,
                step=step,
                detail="no message: the debtor has neither an email address nor a postal address",
            )
        )
    if message is None:
        return case
    request_id = f"{case.case_id}:{step.value}"
    address = debtor.address
    news.also(
        events.CaseMessageRequested(
            message_request_id=request_id,
            administration_id=case.administration_id,
            case_id=case.case_id,
            step=step.value,
            business_date=today,
            debtor=events.CaseMessageDebtor(
                debtor_id=debtor.debtor_id,
                number=debtor.number,
                name=debtor.name,
                kind="consumer" if debtor.consumer else "business",
                emails=list(debtor.emails),
                address=events.CaseMessageAddress(
                    street=", ".join(address.lines),
                    postal_code=address.postal_code or "",
                    city=address.city or "",
                    country=address.country or "NL",
                )
                if address is not None and address.postable
                else None,
            ),
            invoice_ids=case.invoice_ids,
            channels=list(message.channels),
            language=message.language,
            subject_line=message.subject,
            body=message.body,
            sender_name=sender_name(case.administration_id, settings),
        )
    )
    return case.with_entry(
        rules.Entry(
            rules.EntryKind.MESSAGE_REQUESTED,
            today,
            step=step,
            reference=request_id,
            detail=message.subject,
        )
    )


async def load_case(store: Store, administration_id: str, case_id: str) -> Case:
    case = await store.cases.get(administration_id, case_id, lock=True)
    if case is None:
        raise CaseNotFound(case_id)
    return case


async def administration_context(
    store: Store, administration_id: str
) -> tuple[AdministrationSettings, RateTable]:
    return await store.settings.get(administration_id), await store.rates.table()


async def open_case(
    ctx: CollectionContext, administration_id: str, invoice_ids: Sequence[str]
) -> str:
    """A user opens a case for chosen invoices of one debtor."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        found = await store.invoices.many(administration_id, list(dict.fromkeys(invoice_ids)))
        missing = [i for i in invoice_ids if i not in found]
        if missing:
            raise InvoiceNotFound(missing[0])
        chosen = [found[i] for i in dict.fromkeys(invoice_ids)]
        debtor_ids = {i.debtor_id for i in chosen}
        if len(debtor_ids) > 1:
            raise InvalidCase(
                f"a case is for one debtor's invoices; these belong to {len(debtor_ids)} "
                f"debtors ({', '.join(sorted(debtor_ids))})"
            )
        debtor = await debtor_of(store, administration_id, next(iter(debtor_ids)))
        active = await store.cases.of_debtor(administration_id, debtor.debtor_id)
        case = open_by_hand(
            administration_id,
            chosen,
            {debtor.debtor_id: debtor},
            active,
            today,
            new_case_id(),
        )
        news = CaseNews()
        news.add(events.CaseOpened, how="by_hand")
        await store_case(store, None, case, news, today, table, settings)
    ctx.published()
    return case.case_id


async def approve_case(ctx: CollectionContext, administration_id: str, case_id: str) -> None:
    """Open a proposed case."""
    await _change(
        ctx,
        administration_id,
        case_id,
        lambda case, today, *_: rules.approve(case, today),
        events.CaseOpened,
        how="approved",
    )


async def decline_case(
    ctx: CollectionContext, administration_id: str, case_id: str, reason: str
) -> None:
    """Decline a proposed case; its invoices stay with dunning."""
    await _change(
        ctx,
        administration_id,
        case_id,
        lambda case, today, *_: rules.decline(case, today, reason),
        events.CaseDeclined,
        reason=reason,
    )


async def pause_case(
    ctx: CollectionContext, administration_id: str, case_id: str, reason: str | None
) -> None:
    await _change(
        ctx,
        administration_id,
        case_id,
        lambda case, today, *_: rules.pause(case, today, reason),
        events.CasePauseChanged,
    )


async def resume_case(ctx: CollectionContext, administration_id: str, case_id: str) -> None:
    await _change(
        ctx,
        administration_id,
        case_id,
        lambda case, today, *_: rules.resume(case, today),
        events.CasePauseChanged,
    )


async def step_case(
    ctx: CollectionContext, administration_id: str, case_id: str, to: Step | None
) -> None:
    """A user moves a case to its next own step now (or to a later own step)."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        target = to or case.step.following()
        if target is None:
            rules.require_open(case, "change its step")
            raise rules.NotAllowed(
                f"case {case_id} is at {case.step.value}: forward it to the partner"
            )
        news = CaseNews()
        changed = await enter_step(store, case, target, today, "user", news, table, settings)
        await store_case(store, case, changed, news, today, table, settings)
    ctx.published()


async def charge(
    ctx: CollectionContext,
    administration_id: str,
    case_id: str,
    part: Part,
    amount: Decimal | None,
    reason: str | None,
) -> None:
    """Charge costs (all the case may, or part) or claim interest."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        news = CaseNews()
        if part is Part.COSTS:
            changed = charges.charge_costs(case, settings, today, amount=amount, reason=reason)
            entry = changed.entries[-1]
            news.add(
                events.CaseCharged, part="costs", amount=entry.amount, vat=entry.vat, reason=reason
            )
        elif part is Part.INTEREST:
            changed = charges.charge_interest(case, today, reason)
            news.add(events.CaseCharged, part="interest", reason=reason)
        else:
            raise rules.NotAllowed("the principal is charged by the invoices themselves")
        await store_case(store, case, changed, news, today, table, settings)
    ctx.published()


async def remit(
    ctx: CollectionContext,
    administration_id: str,
    case_id: str,
    part: Part,
    amount: Decimal | None,
    reason: str,
) -> None:
    """Remit costs or interest, wholly (no amount) or in part."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        balance = case_balance(case, today, table, settings.letter_delivery_days)
        changed = charges.remit(case, part, amount, reason, balance, today)
        news = CaseNews()
        news.add(
            events.CaseRemitted,
            part=part.value,
            amount=changed.entries[-1].amount,
            reason=reason,
        )
        await store_case(store, case, changed, news, today, table, settings)
    ctx.published()


async def register_payment(
    ctx: CollectionContext,
    administration_id: str,
    case_id: str,
    amount: Decimal,
    received_on: date | None,
    order: AllocationOrder | None,
    reference: str | None,
) -> str:
    """A user registers money received outside bookkeeping (the import that books it later
    is recognised as the same money)."""
    today = ctx.business_date()
    on = received_on or today
    if on > today:
        raise rules.NotAllowed(f"a payment received on {on} lies after today ({today})")
    payment_id = f"manual-{uuid.uuid4()}"
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        rules.require_open(case, "take payments")
        changed = charges.receive_payment(
            case, payment_id, amount, PaymentSource.MANUAL, on, order=order, detail=reference
        )
        await store_case(
            store,
            case,
            changed,
            payment_news(changed, payment_id, today, table, settings),
            today,
            table,
            settings,
        )
    ctx.published()
    return payment_id


def payment_news(
    case: Case, payment_id: str, today: date, table: RateTable, settings: AdministrationSettings
) -> CaseNews:
    """The announcement of a payment with its allocation."""
    news = CaseNews()
    balance = case_balance(case, today, table, settings.letter_delivery_days)
    for allocation in balance.payments:
        if allocation.payment_id == payment_id:
            news.add(
                events.CasePaymentAllocated,
                payment_id=payment_id,
                source=allocation.source.value,
                amount=allocation.amount,
                costs=allocation.costs,
                interest=allocation.interest,
                principal=allocation.principal,
                surplus=allocation.surplus,
            )
    return news


def reversal_news(
    before: Case,
    after: Case,
    payment_id: str,
    source: PaymentSource,
    today: date,
    table: RateTable,
    settings: AdministrationSettings,
) -> CaseNews:
    """The announcement of money that went back (a refund, a chargeback, a payment booked
    back): a negative allocation, each part what it made owed again."""
    news = CaseNews()
    was = case_balance(before, today, table, settings.letter_delivery_days)
    now = case_balance(after, today, table, settings.letter_delivery_days)
    back = now.paid - was.paid
    if back == 0:
        return news
    news.add(
        events.CasePaymentAllocated,
        payment_id=payment_id,
        source=source.value,
        amount=back,
        costs=was.costs_open - now.costs_open,
        interest=was.interest_open - now.interest_open,
        principal=was.principal_open - now.principal_open,
        surplus=now.surplus - was.surplus,
    )
    return news


async def change_allocation(
    ctx: CollectionContext,
    administration_id: str,
    case_id: str,
    payment_id: str,
    order: AllocationOrder,
) -> None:
    """A user allocates one payment in another order than the law's default."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        changed = charges.change_allocation(case, payment_id, order, today)
        await store_case(
            store,
            case,
            changed,
            payment_news(changed, payment_id, today, table, settings),
            today,
            table,
            settings,
        )
    ctx.published()


async def close_case(
    ctx: CollectionContext, administration_id: str, case_id: str, outcome: Outcome, reason: str
) -> None:
    """A user withdraws a case (its invoices go back to dunning) or writes it off."""
    if outcome not in (Outcome.WITHDRAWN, Outcome.UNCOLLECTABLE):
        raise rules.NotAllowed(
            "a user closes a case as withdrawn or uncollectable; paid and remitted follow "
            "from the payments"
        )
    await _change(
        ctx,
        administration_id,
        case_id,
        lambda case, today, *_: _close_by_hand(case, outcome, today, reason),
        events.CaseClosed,
        outcome=outcome.value,
        reason=reason,
    )


def _close_by_hand(case: Case, outcome: Outcome, today: date, reason: str) -> Case:
    rules.require_no_plan(case, "be closed")
    return rules.close(case, outcome, today, reason)


async def _change(
    ctx: CollectionContext,
    administration_id: str,
    case_id: str,
    rule: object,
    kind: type[events.CaseEvent],
    **fields: object,
) -> None:
    today = ctx.business_date()
    async with ctx.transaction() as store:
        settings, table = await administration_context(store, administration_id)
        case = await load_case(store, administration_id, case_id)
        changed = rule(case, today, settings)  # type: ignore[operator]
        if changed == case:
            return
        news = CaseNews()
        news.add(kind, **fields)
        await store_case(store, case, changed, news, today, table, settings)
    ctx.published()
