"""Applying the importer's facts: new invoices enter dunning, changes re-plan it.

Every invoice fact carries the importer's `version`; an older or equal version than the one
applied changes nothing, so duplicates and out-of-order deliveries are harmless. A fact that
can never be applied (an unknown invoice, an impossible amount) raises InvalidFact, which
sends it to the dead-letter topic.

Imported invoices and debtor facts are taken in by the run (`apply_imported_invoices`,
`apply_debtor_facts`: a first day's import is mostly those), one fact alone being a run of one;
the other facts one at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import NamedTuple, TypeAlias

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_dunning.application.online_payments import end_holds
from settle_dunning.application.plans import invoice_amount_imported
from settle_dunning.application.ports import Repositories
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import (
    KIND_TO_TYPE,
    BookkeepingErrorSuspected,
    CreditNote,
    Debtor,
    DebtorType,
    DunningState,
    Flow,
    InvalidFact,
    Invoice,
    InvoiceReopened,
    InvoiceSettled,
    NoMatchingFlow,
    OpenAmountChanged,
    PostalAddress,
    Reaction,
    bookkeeping_error_suspected,
    debtor_changed,
    fact_version,
    invoice_reopened,
    invoice_settled,
    is_newer,
    new_dunning_state,
    open_amount_changed,
    plan_next_step,
    select_flow,
)
from settle_dunning.domain.attention import AttentionChange, due_date_assumed
from settle_dunning.domain.online_payments import HoldEnd, PaymentHold, held_on_arrival
from settle_shared.envelope import Envelope
from settle_shared.events import importer
from settle_shared.logs import get_logger

log = get_logger(__name__)

# Until the importer tells us who a debtor is, we treat them as a consumer: the consumer
# flow holds the 14-day letter, so the stricter legal rules apply rather than the looser.
PLACEHOLDER_TYPE = DebtorType.B2C

InvoiceFact: TypeAlias = (
    importer.InvoiceImported
    | importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged
)
# The importer's facts dunning applies; it ignores the others on the same topics.
ImporterFact: TypeAlias = InvoiceFact | importer.CreditNoteImported | importer.DebtorUpserted


async def apply_importer_fact(
    ctx: DunningContext,
    session: AsyncSession,
    fact: ImporterFact,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> None:
    """Apply one importer fact in the session's transaction (the consumer's)."""
    origin = Origin(correlation_id, causation_id)
    if isinstance(fact, importer.InvoiceImported):
        await apply_imported_invoices(ctx, session, [(fact, origin)])
        return
    if isinstance(fact, importer.DebtorUpserted):
        await apply_debtor_facts(ctx, session, [(fact, origin)])
        return
    administration_id = fact.administration_id
    repos = ctx.repositories(session)
    await ctx.ensure_administration(repos, administration_id)
    outgoing = OutgoingEvents(administration_id)
    business_date = ctx.business_date()
    if isinstance(fact, importer.CreditNoteImported):
        await _credit_note_imported(repos, outgoing, fact, business_date)
    else:
        await _invoice_fact(repos, outgoing, fact, business_date)
    if isinstance(
        fact,
        (
            importer.InvoiceChanged,
            importer.InvoiceSettled,
            importer.InvoiceReopened,
        ),
    ):
        # An invoice a payment plan holds: what the import says is open counts toward it.
        state = await repos.states.get(administration_id, fact.invoice_id, lock=False)
        if state is not None and state.plan_hold is not None:
            await invoice_amount_imported(ctx, repos, outgoing, state)
    await outgoing.write(
        session, ctx.outbox, correlation_id=correlation_id, causation_id=causation_id
    )


def _check_currency(currency: str) -> None:
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise InvalidFact(f"currency {currency!r} is not an ISO 4217 code")


async def _flows_by_id(repos: Repositories, administration_id: str) -> dict[str, Flow]:
    return {flow.id: flow for flow in await repos.flows.all(administration_id)}


async def _known_debtor(
    repos: Repositories, administration_id: str, debtor_id: str, number: str
) -> Debtor:
    """The debtor, or a placeholder stored until the importer's debtor fact arrives."""
    debtor = await repos.debtors.get(administration_id, debtor_id)
    if debtor is None:
        debtor = Debtor(id=debtor_id, number=number, name=number, debtor_type=PLACEHOLDER_TYPE)
        await repos.debtors.save_many(administration_id, [(debtor, 0)])
    return debtor


class Origin(NamedTuple):
    """The event a fact came in: what the events it causes carry as their correlation and
    causation."""

    correlation_id: str | None = None
    causation_id: str | None = None


async def apply_imported_invoices(
    ctx: DunningContext,
    session: AsyncSession,
    facts: Sequence[tuple[importer.InvoiceImported, Origin]],
) -> None:
    """Take in imported invoices of one administration, in order, in the session's
    transaction (the consumer's).

    A first day's import is a stream of these, so they are taken in together as the daily
    run handles its batches: every read and write is one statement for all of them, not one
    per invoice. An invalid fact raises InvalidFact before anything is written.
    """
    administration_id = facts[0][0].administration_id
    for fact, _ in facts:
        assert fact.administration_id == administration_id
        _check_imported(fact)
    repos = ctx.repositories(session)
    await ctx.ensure_administration(repos, administration_id)
    business_date = ctx.business_date()
    states = {
        state.invoice_id: state
        for state in await repos.states.many(administration_id, [f.invoice_id for f, _ in facts])
    }
    arriving = [fact for fact, _ in facts if fact.invoice_id not in states]
    debtors = await repos.debtors.many(administration_id, {f.debtor_id for f in arriving})
    holds = await repos.payment_holds.active_of(administration_id, [f.invoice_id for f in arriving])
    flows = await repos.flows.all(administration_id)
    flows_by_id = {flow.id: flow for flow in flows}

    placeholders: dict[str, Debtor] = {}
    added: dict[str, DunningState] = {}  # new invoices, inserted at the end
    changed: dict[str, DunningState] = {}  # invoices stored before, updated at the end
    attention: list[tuple[AttentionChange, Origin]] = []
    staged: list[tuple[str, Envelope]] = []
    for fact, origin in facts:
        outgoing = OutgoingEvents(administration_id)
        before = states.get(fact.invoice_id)
        if before is None:
            debtor = debtors.get(fact.debtor_id)
            if debtor is None:
                # Until the importer's debtor fact arrives; one per debtor, however many
                # of its invoices come first.
                debtor = Debtor(
                    id=fact.debtor_id,
                    number=fact.debtor_number,
                    name=fact.debtor_number,
                    debtor_type=PLACEHOLDER_TYPE,
                )
                debtors[debtor.id] = placeholders[debtor.id] = debtor
            state, raised = _arrived(fact, debtor, flows, holds.get(fact.invoice_id, []))
            added[fact.invoice_id] = state
            outgoing.step_planned(state)
        else:
            # Imported again (a replay, the importer lost its snapshot, or twice in one batch):
            # only the open amount can have moved, and only a newer fact may move it.
            reaction = open_amount_changed(
                before,
                flows_by_id[before.flow_id],
                OpenAmountChanged(fact.invoice_id, fact_version(fact.version), fact.open_amount),
                business_date,
            )
            if not reaction.applied:
                log.info("older or duplicate fact ignored", invoice_id=fact.invoice_id)
                continue
            state, raised = reaction.state, reaction.attention
            (added if fact.invoice_id in added else changed)[fact.invoice_id] = state
            outgoing.replanned(before, state)
        states[fact.invoice_id] = state
        attention += [(change, origin) for change in raised]
        staged += outgoing.envelopes(ctx.outbox, **origin._asdict())

    await repos.debtors.save_many(administration_id, [(d, 0) for d in placeholders.values()])
    await repos.states.add(administration_id, list(added.values()))
    await repos.refresh_planner_statistics()
    await repos.states.update(administration_id, list(changed.values()))
    staged += await _apply_attention(ctx, repos, administration_id, attention)
    last_origin = {fact.invoice_id: origin for fact, origin in facts}
    for invoice_id, origin in last_origin.items():
        if states[invoice_id].plan_hold is not None:
            # An invoice a payment plan holds: what the import says is open counts toward it.
            outgoing = OutgoingEvents(administration_id)
            await invoice_amount_imported(ctx, repos, outgoing, states[invoice_id])
            staged += outgoing.envelopes(ctx.outbox, **origin._asdict())
    await ctx.outbox.add_envelopes(session, staged)


def _check_imported(fact: importer.InvoiceImported) -> None:
    _check_currency(fact.currency)
    if fact.amount <= 0:
        raise InvalidFact(f"invoice {fact.number}: amount {fact.amount} is not positive")
    if fact.open_amount <= 0:
        raise InvalidFact(f"invoice {fact.number}: an imported invoice must be open")
    if fact.due_date < fact.invoice_date:
        raise InvalidFact(f"invoice {fact.number}: due date before the invoice date")


def _arrived(
    fact: importer.InvoiceImported,
    debtor: Debtor,
    flows: Sequence[Flow],
    holds: Sequence[PaymentHold],
) -> tuple[DunningState, tuple[AttentionChange, ...]]:
    """A new invoice's state, planned on the flow that fits it, and what it raises."""
    try:
        flow = select_flow(flows, fact.payment_condition, debtor.debtor_type)
    except NoMatchingFlow as exc:
        raise InvalidFact(str(exc)) from None
    invoice = Invoice(
        id=fact.invoice_id,
        number=fact.number,
        debtor_id=fact.debtor_id,
        invoice_date=fact.invoice_date,
        due_date=fact.due_date,
        amount=fact.amount,
        open_amount=fact.open_amount,
        currency=fact.currency,
        payment_condition=fact.payment_condition,
    )
    state = plan_next_step(new_dunning_state(invoice, flow.id, fact_version(fact.version)), flow)
    attention: tuple[AttentionChange, ...] = ()
    if holds:
        # Paid online before it reached dunning (see online_payments._hold).
        arrival = held_on_arrival(state, holds[0])
        state, attention = arrival.state, tuple(arrival.attention)
    if fact.due_date_source == "default_term":
        # Neither a due date nor terms came with it: its plan rests on an assumed date.
        assumed = due_date_assumed(fact.invoice_id, fact.number, fact.invoice_date, fact.due_date)
        attention += (assumed,)
    return state, attention


async def _invoice_fact(
    repos: Repositories,
    outgoing: OutgoingEvents,
    fact: importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged,
    business_date: date,
) -> None:
    administration_id = fact.administration_id
    state = await repos.states.get(administration_id, fact.invoice_id)
    if state is None:
        # The importer's facts about a document after its first say "invoice" for credit
        # notes too: a matched credit note arrives as InvoiceSettled or InvoiceChanged.
        note = await repos.debtors.credit_note(administration_id, fact.invoice_id)
        if note is None:
            raise InvalidFact(f"unknown invoice {fact.invoice_id} ({type(fact).__name__})")
        await _credit_note_changed(repos, outgoing, note, fact, business_date)
        return
    version = fact_version(fact.version)
    if isinstance(fact, importer.InvoiceSettled):
        reaction = invoice_settled(state, InvoiceSettled(fact.invoice_id, version))
    elif isinstance(fact, importer.InvoiceFixedFieldChanged):
        detail = (
            f"the {fact.field.replace('_', ' ')} of invoice {fact.number} changed in bookkeeping "
            f"from {fact.stored_value} to {fact.imported_value}"
        )
        reaction = bookkeeping_error_suspected(
            state, BookkeepingErrorSuspected(fact.invoice_id, version, detail)
        )
    else:
        _check_currency(fact.currency)
        if fact.currency != state.invoice.currency:
            raise InvalidFact(
                f"invoice {fact.number} is in {state.invoice.currency}, not {fact.currency}"
            )
        flow = (await _flows_by_id(repos, administration_id))[state.flow_id]
        if isinstance(fact, importer.InvoiceChanged):
            reaction = open_amount_changed(
                state,
                flow,
                OpenAmountChanged(fact.invoice_id, version, fact.open_amount),
                business_date,
            )
        else:
            if fact.open_amount <= 0:
                raise InvalidFact(f"invoice {fact.number} reopened without an open amount")
            reaction = invoice_reopened(
                state,
                flow,
                InvoiceReopened(fact.invoice_id, version, fact.open_amount),
                business_date,
            )
    await _store(repos, outgoing, state, reaction)
    if reaction.applied and reaction.state.settled and not state.settled:
        # The bookkeeping booked it: an online payment's hold of it ends.
        await end_holds(repos, outgoing, state.invoice_id, HoldEnd.BOOKED, business_date)


async def _store(
    repos: Repositories, outgoing: OutgoingEvents, before: DunningState, reaction: Reaction
) -> None:
    if not reaction.applied:
        log.info("older or duplicate fact ignored", invoice_id=before.invoice_id)
        return
    administration_id = outgoing.administration_id
    await repos.states.update(administration_id, [reaction.state])
    outgoing.replanned(before, reaction.state)
    outgoing.attention(await repos.attention.apply(administration_id, reaction.attention))


async def apply_debtor_facts(
    ctx: DunningContext,
    session: AsyncSession,
    facts: Sequence[tuple[importer.DebtorUpserted, Origin]],
) -> None:
    """Take in the importer's debtor facts of one administration, in order, in the session's
    transaction: a first day brings one per debtor, so the debtors' versions, details and
    open invoices are read with one statement each for all of them, and what changed is
    written at the end, as the imported invoices are."""
    administration_id = facts[0][0].administration_id
    assert all(fact.administration_id == administration_id for fact, _ in facts)
    repos = ctx.repositories(session)
    await ctx.ensure_administration(repos, administration_id)
    business_date = ctx.business_date()
    ids = sorted({fact.debtor_id for fact, _ in facts})
    versions = await repos.debtors.versions(administration_id, ids)
    known = set(versions)  # stored before this batch: the others are inserted
    debtors = await repos.debtors.many(administration_id, ids)
    flows = await _flows_by_id(repos, administration_id)
    # The open invoices of a debtor that turns out to be a business may move to another
    # flow; of the others' invoices only those waiting for something can change.
    moving = {
        fact.debtor_id
        for fact, _ in facts
        if versions.get(fact.debtor_id) == 0 and KIND_TO_TYPE[fact.kind] is not PLACEHOLDER_TYPE
    }
    states: dict[str, DunningState] = {}
    of_debtor: dict[str, list[str]] = {}
    for state in await repos.states.of_debtors(administration_id, ids, all_of=sorted(moving)):
        states[state.invoice_id] = state
        of_debtor.setdefault(state.invoice.debtor_id, []).append(state.invoice_id)

    saved: dict[str, tuple[Debtor, int]] = {}
    changed: set[str] = set()
    attention: list[tuple[AttentionChange, Origin]] = []
    staged: list[tuple[str, Envelope]] = []
    for fact, origin in facts:
        stored = versions.get(fact.debtor_id)
        if stored is not None and fact.version <= stored:
            log.info("older or duplicate debtor fact ignored", debtor_id=fact.debtor_id)
            continue
        previous = debtors.get(fact.debtor_id)
        current = _debtor_of(ctx, fact, previous)
        versions[current.id] = fact.version
        debtors[current.id] = current
        saved[current.id] = (current, fact.version)
        outgoing = OutgoingEvents(administration_id)
        own = [states[i] for i in of_debtor.get(current.id, [])]
        after = own
        if stored == 0 and current.debtor_type is not PLACEHOLDER_TYPE:
            after = _reselect_flows(own, current, flows)
        released, raised = _released(previous, current, after, flows, business_date)
        for before, state in zip(own, after, strict=True):
            state = released.get(state.invoice_id, state)
            if state is not before:
                states[state.invoice_id] = state
                changed.add(state.invoice_id)
                outgoing.replanned(before, state)
        attention += [(change, origin) for change in raised]
        staged += outgoing.envelopes(ctx.outbox, **origin._asdict())

    await repos.debtors.save_many(administration_id, list(saved.values()), known=known)
    await repos.refresh_planner_statistics()
    await repos.states.update(administration_id, [states[i] for i in sorted(changed)])
    staged += await _apply_attention(ctx, repos, administration_id, attention)
    await ctx.outbox.add_envelopes(session, staged)


def _debtor_of(
    ctx: DunningContext, fact: importer.DebtorUpserted, previous: Debtor | None
) -> Debtor:
    """The debtor as the fact describes it, with what dunning keeps of its own."""
    address = None
    if fact.address_lines and fact.postal_code and fact.city:
        address = PostalAddress(
            street=", ".join(fact.address_lines),
            postal_code=fact.postal_code,
            city=fact.city,
            country=fact.country or ctx.settings.default_country,
        )
    return Debtor(
        id=fact.debtor_id,
        number=fact.number,
        name=fact.name,
        debtor_type=KIND_TO_TYPE[fact.kind],
        emails=tuple(e for e in fact.emails if e.strip()),
        phone=fact.phone,
        language=fact.language,
        address=address,
        pause=previous.pause if previous else Debtor.pause,
        last_reminded_on=previous.last_reminded_on if previous else None,
        has_unmatched_credit_note=previous.has_unmatched_credit_note if previous else False,
        # A language a user chose stays: bookkeeping only has its own say.
        chosen_language=previous.chosen_language if previous else None,
        country=fact.country,
    )


def _reselect_flows(
    states: list[DunningState], debtor: Debtor, flows: dict[str, Flow]
) -> list[DunningState]:
    """The debtor turned out to be a business: invoices that have not started their flow
    move to the flow that fits; those already under way keep theirs."""
    result: list[DunningState] = []
    for state in states:
        if state.executed or state.skipped:
            result.append(state)
            continue
        try:
            flow = select_flow(flows.values(), state.invoice.payment_condition, debtor.debtor_type)
        except NoMatchingFlow:
            result.append(state)
            continue
        if flow.id == state.flow_id:
            result.append(state)
            continue
        result.append(plan_next_step(replace(state, flow_id=flow.id, next_step=None), flow))
    return result


def _released(
    previous: Debtor | None,
    current: Debtor,
    states: list[DunningState],
    flows: dict[str, Flow],
    business_date: date,
) -> tuple[dict[str, DunningState], list[AttentionChange]]:
    """The debtor's invoices what it waited for no longer holds back, and the attention."""
    reaction = debtor_changed(
        previous, current, [s for s in states if s.blocked_by], flows, business_date
    )
    return {s.invoice_id: s for s in reaction.states}, list(reaction.attention)


async def _apply_attention(
    ctx: DunningContext,
    repos: Repositories,
    administration_id: str,
    attention: list[tuple[AttentionChange, Origin]],
) -> list[tuple[str, Envelope]]:
    """Apply the attention changes of many facts at once; each stored change is published
    with the fact that caused it."""
    cause = {change.key: origin for change, origin in attention}
    staged: list[tuple[str, Envelope]] = []
    for change in await repos.attention.apply(administration_id, [c for c, _ in attention]):
        outgoing = OutgoingEvents(administration_id)
        outgoing.attention([change])
        staged += outgoing.envelopes(ctx.outbox, **cause[change.key]._asdict())
    return staged


async def _release(
    repos: Repositories,
    outgoing: OutgoingEvents,
    previous: Debtor | None,
    current: Debtor,
    states: list[DunningState],
    flows: dict[str, Flow],
    business_date: date,
) -> None:
    administration_id = outgoing.administration_id
    released, attention = _released(previous, current, states, flows, business_date)
    before = {s.invoice_id: s for s in states}
    await repos.states.update(administration_id, list(released.values()))
    for state in released.values():
        outgoing.replanned(before.get(state.invoice_id), state)
    outgoing.attention(await repos.attention.apply(administration_id, attention))


async def _credit_note_imported(
    repos: Repositories,
    outgoing: OutgoingEvents,
    fact: importer.CreditNoteImported,
    business_date: date,
) -> None:
    administration_id = fact.administration_id
    _check_currency(fact.currency)
    if fact.amount >= 0 or fact.open_amount > 0:
        raise InvalidFact(f"credit note {fact.number}: amounts must be negative")
    stored = await repos.debtors.credit_note(administration_id, fact.credit_note_id)
    if stored is not None and not is_newer(
        fact_version(fact.version), fact_version(stored.version)
    ):
        log.info("older or duplicate credit note fact ignored", credit_note_id=fact.number)
        return
    await _known_debtor(repos, administration_id, fact.debtor_id, fact.debtor_number)
    note = CreditNote(
        id=fact.credit_note_id,
        debtor_id=fact.debtor_id,
        number=fact.number,
        amount=fact.amount,
        open_amount=fact.open_amount,
        currency=fact.currency,
        version=fact.version,
        invoice_date=fact.invoice_date,
        corrects_invoice_id=fact.corrects_invoice_id,
        corrects_invoice_number=fact.corrects_invoice_number,
    )
    await _save_credit_note(repos, outgoing, note, business_date)


async def _credit_note_changed(
    repos: Repositories,
    outgoing: OutgoingEvents,
    note: CreditNote,
    fact: importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged,
    business_date: date,
) -> None:
    """A later fact about a credit note: matched (settled) or partly matched in bookkeeping."""
    if not is_newer(fact_version(fact.version), fact_version(note.version)):
        log.info("older or duplicate credit note fact ignored", credit_note_id=note.number)
        return
    if isinstance(fact, importer.InvoiceFixedFieldChanged):
        # Nothing of a credit note is planned on, so a changed fixed field changes nothing.
        open_amount = note.open_amount
    elif isinstance(fact, importer.InvoiceSettled):
        open_amount = Decimal(0)
    else:
        open_amount = fact.open_amount
    changed = replace(note, open_amount=open_amount, version=fact.version)
    await _save_credit_note(repos, outgoing, changed, business_date)


async def _save_credit_note(
    repos: Repositories, outgoing: OutgoingEvents, note: CreditNote, business_date: date
) -> None:
    """Store the credit note; when that matches or unmatches the debtor's last open one,
    re-decide what the debtor's invoices wait for."""
    administration_id = outgoing.administration_id
    previous = await repos.debtors.get(administration_id, note.debtor_id)
    await repos.debtors.save_credit_note(administration_id, note)
    current = await repos.debtors.get(administration_id, note.debtor_id)
    assert previous is not None and current is not None
    if current.has_unmatched_credit_note != previous.has_unmatched_credit_note:
        flows = await _flows_by_id(repos, administration_id)
        states = await repos.states.of_debtors(administration_id, [note.debtor_id])
        await _release(repos, outgoing, previous, current, states, flows, business_date)
