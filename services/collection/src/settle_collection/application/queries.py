"""What a user reads: a case with its balances (as of any date), its invoices' interest, each
payment's allocation, its timeline and the proof of the 14-day letter; the administration's
settings and the registry of partners; the rate table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from settle_collection.application.context import CollectionContext
from settle_collection.application.ports import Handoff
from settle_collection.domain.balances import Balance, case_balance, rate_kind
from settle_collection.domain.cases import Case, Status, Step
from settle_collection.domain.charges import costs_allowed_from, costs_of
from settle_collection.domain.errors import CaseNotFound, CollectionError, InvalidSettings
from settle_collection.domain.parties import (
    OWN_PARTNER,
    AdministrationSettings,
    Debtor,
    unknown_debtor,
)
from settle_collection.domain.timeline import (
    LetterProof,
    TimelineEntry,
    case_timeline,
    letter_proof,
    relevant_messages,
)
from settle_law.interest import RateKind, RateTable
from settle_law.wik import CollectionCosts


@dataclass(frozen=True)
class CaseView:
    """A case as its page shows it."""

    case: Case
    debtor: Debtor
    balance: Balance
    interest_kind: RateKind
    costs: CollectionCosts  # what the case may charge in all
    costs_allowed_from: date | None
    costs_problem: str | None
    letter: LetterProof | None
    timeline: list[TimelineEntry]
    handoffs: list[Handoff]


async def case_view(
    ctx: CollectionContext, administration_id: str, case_id: str, as_of: date | None = None
) -> CaseView:
    """A case with everything its page shows, its balances as of `as_of` (default today)."""
    day = as_of or ctx.business_date()
    async with ctx.transaction() as store:
        case = await store.cases.get(administration_id, case_id)
        if case is None:
            raise CaseNotFound(case_id)
        settings = await store.settings.get(administration_id)
        table = await store.rates.table()
        debtor = await store.debtors.get(administration_id, case.debtor_id) or unknown_debtor(
            case.debtor_id
        )
        messages = relevant_messages(
            case, await store.messages.of_debtor(administration_id, case.debtor_id)
        )
        handoffs = await store.handoffs.of_case(administration_id, case_id)
    problem = None
    allowed_from = None
    try:
        allowed_from = costs_allowed_from(case, settings.letter_delivery_days)
    except CollectionError as exc:
        problem = str(exc)
    return CaseView(
        case=case,
        debtor=debtor,
        balance=case_balance(case, day, table, settings.letter_delivery_days),
        interest_kind=rate_kind(case),
        costs=costs_of(case, settings),
        costs_allowed_from=allowed_from,
        costs_problem=problem,
        letter=letter_proof(case, messages, settings),
        timeline=case_timeline(case, messages),
        handoffs=handoffs,
    )


async def search_cases(
    ctx: CollectionContext,
    administration_id: str,
    *,
    status: Status | None = None,
    step: Step | None = None,
    debtor_id: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> list[tuple[Case, Balance]]:
    """Cases by id (keyset-paged), each with its balance today."""
    today = ctx.business_date()
    async with ctx.transaction() as store:
        found = await store.cases.search(
            administration_id,
            status=status,
            step=step,
            debtor_id=debtor_id,
            after=after,
            limit=limit,
        )
        settings = await store.settings.get(administration_id)
        table = await store.rates.table()
    return [
        (case, case_balance(case, today, table, settings.letter_delivery_days)) for case in found
    ]


async def administration_settings(
    ctx: CollectionContext, administration_id: str
) -> AdministrationSettings:
    async with ctx.transaction() as store:
        return await store.settings.get(administration_id)


async def save_administration_settings(
    ctx: CollectionContext, administration_id: str, settings: AdministrationSettings
) -> AdministrationSettings:
    """Keep an administration's choices; a partner must be in the registry or own partner."""
    if settings.partner_id not in (None, OWN_PARTNER) and settings.partner_id not in ctx.partners:
        raise InvalidSettings(
            f"partner {settings.partner_id!r} is not in the registry; choose one of "
            f"{', '.join(sorted(ctx.partners)) or 'none'}, or {OWN_PARTNER}"
        )
    async with ctx.transaction() as store:
        await store.settings.save(administration_id, settings)
    return settings


async def rate_table(ctx: CollectionContext) -> RateTable:
    async with ctx.transaction() as store:
        return await store.rates.table()


async def replace_rate_table(ctx: CollectionContext, table: RateTable) -> None:
    """An operator's new table (checked whole when it was built: no gap, no overlap)."""
    async with ctx.transaction() as store:
        await store.rates.replace(table)
