"""Applying the importer's facts: new invoices enter dunning, changes re-plan it.

Every invoice fact carries the importer's `version`; an older or equal version than the one
applied changes nothing, so duplicates and out-of-order deliveries are harmless. A fact that
can never be applied (an unknown invoice, an impossible amount) raises PermanentError and
goes to the dead-letter topic.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.adapters.codec import KIND_TO_TYPE, fact_version
from settle_dunning.adapters.repository import DunningRepository
from settle_dunning.application.context import DunningContext
from settle_dunning.application.publishing import Changes
from settle_dunning.domain import (
    BookkeepingErrorSuspected,
    Debtor,
    DebtorType,
    DunningState,
    Flow,
    Invoice,
    InvoiceReopened,
    InvoiceSettled,
    NoMatchingFlow,
    OpenAmountChanged,
    PostalAddress,
    Reaction,
    bookkeeping_error_suspected,
    debtor_changed,
    invoice_reopened,
    invoice_settled,
    is_newer,
    new_dunning_state,
    open_amount_changed,
    plan_next_step,
    select_flow,
)
from settle_shared.consumer import PermanentError, ReceivedEvent
from settle_shared.events import importer
from settle_shared.logs import get_logger

log = get_logger(__name__)

# Until the importer tells us who a debtor is, we treat them as a consumer: the consumer
# flow holds the 14-day letter, so the stricter legal rules apply rather than the looser.
PLACEHOLDER_TYPE = DebtorType.B2C

InvoiceFact = (
    importer.InvoiceImported
    | importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged
)


async def apply_importer_fact(
    ctx: DunningContext, session: AsyncSession, received: ReceivedEvent
) -> None:
    """The consumer's handler: one importer event, in the consumer's transaction."""
    payload = received.payload
    envelope = received.envelope
    if not isinstance(
        payload,
        importer.InvoiceImported
        | importer.InvoiceChanged
        | importer.InvoiceSettled
        | importer.InvoiceReopened
        | importer.InvoiceFixedFieldChanged
        | importer.CreditNoteImported
        | importer.DebtorUpserted,
    ):
        return  # another fact on these topics that dunning does not need
    administration_id = payload.administration_id
    if envelope.administration_id != administration_id:
        raise PermanentError(
            f"header administration_id {envelope.administration_id!r} differs from the "
            f"payload's {administration_id!r}"
        )
    repo = ctx.repository(session)
    await ctx.ensure_administration(repo, administration_id)
    changes = Changes(administration_id)
    business_date = ctx.business_date()
    if isinstance(payload, importer.DebtorUpserted):
        await _debtor_upserted(ctx, repo, changes, payload, business_date)
    elif isinstance(payload, importer.CreditNoteImported):
        await _credit_note_imported(repo, changes, payload, business_date)
    elif isinstance(payload, importer.InvoiceImported):
        await _invoice_imported(repo, changes, payload, business_date)
    else:
        await _invoice_fact(repo, changes, payload, business_date)
    await changes.write(
        session, ctx.outbox, correlation_id=envelope.correlation_id, causation_id=envelope.id
    )


def _check_currency(currency: str) -> None:
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise PermanentError(f"currency {currency!r} is not an ISO 4217 code")


async def _flows_by_id(repo: DunningRepository, administration_id: str) -> dict[str, Flow]:
    return {flow.id: flow for flow in await repo.flows(administration_id)}


async def _known_debtor(
    repo: DunningRepository, administration_id: str, debtor_id: str, number: str
) -> Debtor:
    """The debtor, or a placeholder stored until the importer's debtor fact arrives."""
    debtor = await repo.debtor(administration_id, debtor_id)
    if debtor is None:
        debtor = Debtor(id=debtor_id, number=number, name=number, debtor_type=PLACEHOLDER_TYPE)
        await repo.save_debtor(administration_id, debtor, version=0)
    return debtor


async def _invoice_imported(
    repo: DunningRepository,
    changes: Changes,
    fact: importer.InvoiceImported,
    business_date: date,
) -> None:
    adm = fact.administration_id
    _check_currency(fact.currency)
    if fact.amount <= 0:
        raise PermanentError(f"invoice {fact.number}: amount {fact.amount} is not positive")
    if fact.open_amount <= 0:
        raise PermanentError(f"invoice {fact.number}: an imported invoice must be open")
    if fact.due_date < fact.invoice_date:
        raise PermanentError(f"invoice {fact.number}: due date before the invoice date")
    existing = await repo.state(adm, fact.invoice_id)
    if existing is not None:
        # Imported again (a replay, or the importer lost its snapshot): only the open amount
        # can have moved, and only a newer fact may move it.
        flows = await _flows_by_id(repo, adm)
        reaction = open_amount_changed(
            existing,
            flows[existing.flow_id],
            OpenAmountChanged(fact.invoice_id, fact_version(fact.version), fact.open_amount),
            business_date,
        )
        await _store(repo, changes, existing, reaction)
        return
    debtor = await _known_debtor(repo, adm, fact.debtor_id, fact.debtor_number)
    try:
        flow = select_flow(await repo.flows(adm), fact.payment_condition, debtor.debtor_type)
    except NoMatchingFlow as exc:
        raise PermanentError(str(exc)) from None
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
    await repo.insert_state(adm, state)
    changes.step_planned(state)


async def _invoice_fact(
    repo: DunningRepository,
    changes: Changes,
    fact: importer.InvoiceChanged
    | importer.InvoiceSettled
    | importer.InvoiceReopened
    | importer.InvoiceFixedFieldChanged,
    business_date: date,
) -> None:
    adm = fact.administration_id
    state = await repo.state(adm, fact.invoice_id)
    if state is None:
        raise PermanentError(f"unknown invoice {fact.invoice_id} ({type(fact).__name__})")
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
            raise PermanentError(
                f"invoice {fact.number} is in {state.invoice.currency}, not {fact.currency}"
            )
        flow = (await _flows_by_id(repo, adm))[state.flow_id]
        if isinstance(fact, importer.InvoiceChanged):
            reaction = open_amount_changed(
                state,
                flow,
                OpenAmountChanged(fact.invoice_id, version, fact.open_amount),
                business_date,
            )
        else:
            if fact.open_amount <= 0:
                raise PermanentError(f"invoice {fact.number} reopened without an open amount")
            reaction = invoice_reopened(
                state,
                flow,
                InvoiceReopened(fact.invoice_id, version, fact.open_amount),
                business_date,
            )
    await _store(repo, changes, state, reaction)


async def _store(
    repo: DunningRepository, changes: Changes, before: DunningState, reaction: Reaction
) -> None:
    if not reaction.applied:
        log.info("older or duplicate fact ignored", invoice_id=before.invoice_id)
        return
    adm = changes.administration_id
    await repo.update_states(adm, [reaction.state])
    changes.replanned(before, reaction.state)
    changes.attention(await repo.apply_attention(adm, reaction.attention))


async def _debtor_upserted(
    ctx: DunningContext,
    repo: DunningRepository,
    changes: Changes,
    fact: importer.DebtorUpserted,
    business_date: date,
) -> None:
    adm = fact.administration_id
    row = await repo.debtor_row(adm, fact.debtor_id)
    if row is not None and fact.version <= row.version:
        log.info("older or duplicate debtor fact ignored", debtor_id=fact.debtor_id)
        return
    previous = await repo.debtor(adm, fact.debtor_id)
    address = None
    if fact.address_lines and fact.postal_code and fact.city:
        address = PostalAddress(
            street=", ".join(fact.address_lines),
            postal_code=fact.postal_code,
            city=fact.city,
            country=fact.country or ctx.settings.default_country,
        )
    current = Debtor(
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
    )
    await repo.save_debtor(adm, current, fact.version)
    flows = await _flows_by_id(repo, adm)
    states = await _debtor_states(repo, adm, fact.debtor_id)
    if row is not None and row.version == 0 and current.debtor_type is not PLACEHOLDER_TYPE:
        states = await _reselect_flows(repo, changes, states, current, flows)
    await _release(repo, changes, previous, current, states, flows, business_date)


async def _reselect_flows(
    repo: DunningRepository,
    changes: Changes,
    states: list[DunningState],
    debtor: Debtor,
    flows: dict[str, Flow],
) -> list[DunningState]:
    """The debtor turned out to be a business: invoices that have not started their flow
    move to the flow that fits; those already under way keep theirs."""
    moved: list[DunningState] = []
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
        after = plan_next_step(replace(state, flow_id=flow.id, next_step=None), flow)
        moved.append(after)
        changes.replanned(state, after)
        result.append(after)
    await repo.update_states(changes.administration_id, moved)
    return result


async def _debtor_states(
    repo: DunningRepository, administration_id: str, debtor_id: str
) -> list[DunningState]:
    states: list[DunningState] = []
    after: str | None = None
    while page := await repo.states_page(
        administration_id, after=after, limit=1000, debtor_id=debtor_id
    ):
        states += page
        after = page[-1].invoice_id
    return states


async def _release(
    repo: DunningRepository,
    changes: Changes,
    previous: Debtor | None,
    current: Debtor,
    states: list[DunningState],
    flows: dict[str, Flow],
    business_date: date,
) -> None:
    adm = changes.administration_id
    reaction = debtor_changed(
        previous, current, [s for s in states if s.blocked_by], flows, business_date
    )
    before = {s.invoice_id: s for s in states}
    await repo.update_states(adm, reaction.states)
    for state in reaction.states:
        changes.replanned(before.get(state.invoice_id), state)
    changes.attention(await repo.apply_attention(adm, reaction.attention))


async def _credit_note_imported(
    repo: DunningRepository,
    changes: Changes,
    fact: importer.CreditNoteImported,
    business_date: date,
) -> None:
    adm = fact.administration_id
    _check_currency(fact.currency)
    if fact.amount >= 0 or fact.open_amount > 0:
        raise PermanentError(f"credit note {fact.number}: amounts must be negative")
    stored = await repo.credit_note_version(adm, fact.credit_note_id)
    if stored is not None and not is_newer(fact_version(fact.version), fact_version(stored)):
        log.info("older or duplicate credit note fact ignored", credit_note_id=fact.number)
        return
    previous = await _known_debtor(repo, adm, fact.debtor_id, fact.debtor_number)
    await repo.save_credit_note(
        adm,
        {
            "id": fact.credit_note_id,
            "debtor_id": fact.debtor_id,
            "number": fact.number,
            "amount": fact.amount,
            "open_amount": fact.open_amount,
            "currency": fact.currency,
            "version": fact.version,
        },
    )
    current = await repo.debtor(adm, fact.debtor_id)
    assert current is not None
    if current.has_unmatched_credit_note != previous.has_unmatched_credit_note:
        flows = await _flows_by_id(repo, adm)
        states = await _debtor_states(repo, adm, fact.debtor_id)
        await _release(repo, changes, previous, current, states, flows, business_date)
