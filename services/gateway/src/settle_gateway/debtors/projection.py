"""The debtors' part of the read model: rm_debtors with each debtor's open invoices, and the
words the debtor search finds a debtor by (rm_debtor_words)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import (
    rm_debtor_totals,
    rm_debtor_words,
    rm_debtors,
    rm_invoices,
)
from settle_gateway.dashboard.projection import add_to_counters
from settle_gateway.domain.search import debtor_words
from settle_gateway.invoices.projection import ZERO, Batch, changes
from settle_shared.events import dunning, importer


async def debtor_upserted(batch: Batch, fact: importer.DebtorUpserted) -> None:
    """The importer's newest facts about a debtor, and the words it is found by."""
    session = batch.session
    key = (fact.administration_id, fact.debtor_id)
    current = (
        await session.execute(
            sa.select(rm_debtors.c.version, rm_debtors.c.name, rm_debtors.c.number).where(
                rm_debtors.c.administration_id == fact.administration_id,
                rm_debtors.c.debtor_id == fact.debtor_id,
            )
        )
    ).first()
    if current is not None and fact.version <= current.version:
        return
    values = {
        "version": fact.version,
        "number": fact.number,
        "name": fact.name,
        "kind": fact.kind,
        "emails": list(fact.emails),
        "phone": fact.phone,
        "address_lines": list(fact.address_lines),
        "postal_code": fact.postal_code,
        "city": fact.city,
        "country": fact.country,
        "language": fact.language,
    }
    if current is None:
        await session.execute(
            sa.insert(rm_debtors).values(
                administration_id=fact.administration_id,
                debtor_id=fact.debtor_id,
                open_invoices=0,
                **values,
            )
        )
        batch.new_debtors.add(key)
        batch.renamed_debtors[key] = fact.name
    else:
        await session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == fact.administration_id,
                rm_debtors.c.debtor_id == fact.debtor_id,
            )
            .values(**values)
        )
        if current.name != fact.name:
            batch.renamed_debtors[key] = fact.name
    if current is None or (current.name, current.number) != (fact.name, fact.number):
        await index_words(session, fact, replace=current is not None)
    for row in batch.invoices.values():  # invoices of this batch not yet written
        if (
            row["administration_id"] == fact.administration_id
            and row["debtor_id"] == fact.debtor_id
        ):
            row["debtor_name"] = fact.name


async def index_words(
    session: AsyncSession, fact: importer.DebtorUpserted, *, replace: bool
) -> None:
    """The words the debtor search finds the debtor by (see settle_gateway.domain.search)."""
    if replace:
        await session.execute(
            sa.delete(rm_debtor_words).where(
                rm_debtor_words.c.administration_id == fact.administration_id,
                rm_debtor_words.c.debtor_id == fact.debtor_id,
            )
        )
    rows = list(word_rows(fact.administration_id, [(fact.debtor_id, fact.number, fact.name)]))
    if rows:
        await session.execute(sa.insert(rm_debtor_words), rows)


async def recount_debtor(session: AsyncSession, administration_id: str, debtor_id: str) -> None:
    """A debtor seen for the first time: count its open invoices once, per currency (indexed
    by debtor)."""
    # The default currency as a literal, not a bound parameter: PostgreSQL takes the select's
    # and the GROUP BY's parameters for two expressions and refuses the query.
    currency = sa.func.coalesce(rm_invoices.c.currency, sa.literal_column("'EUR'"))
    per_currency = (
        await session.execute(
            sa.select(
                currency.label("currency"),
                sa.func.count().label("count"),
                sa.func.coalesce(sa.func.sum(rm_invoices.c.open_amount), 0).label("total"),
            )
            .where(
                rm_invoices.c.administration_id == administration_id,
                rm_invoices.c.debtor_id == debtor_id,
                rm_invoices.c.status == "open",
                rm_invoices.c.due_date.is_not(None),
            )
            .group_by(currency)
        )
    ).all()
    await session.execute(
        sa.update(rm_debtors)
        .where(
            rm_debtors.c.administration_id == administration_id,
            rm_debtors.c.debtor_id == debtor_id,
        )
        .values(open_invoices=sum(row.count for row in per_currency))
    )
    await session.execute(
        sa.delete(rm_debtor_totals).where(
            rm_debtor_totals.c.administration_id == administration_id,
            rm_debtor_totals.c.debtor_id == debtor_id,
        )
    )
    if per_currency:
        await session.execute(
            sa.insert(rm_debtor_totals),
            [
                {
                    "administration_id": administration_id,
                    "debtor_id": debtor_id,
                    "currency": row.currency,
                    "count": row.count,
                    "total": Decimal(row.total),
                }
                for row in per_currency
            ],
        )


async def language_chosen(session: AsyncSession, fact: dunning.DebtorLanguageChosen) -> None:
    """A user chose the language to write to a debtor in (None: bookkeeping's again)."""
    await record_language_locally(session, fact.administration_id, fact.debtor_id, fact.language)


async def record_language_locally(
    session: AsyncSession, administration_id: str, debtor_id: str, language: str | None
) -> None:
    """The debtor's chosen language, as dunning accepted or announced it."""
    await session.execute(
        sa.update(rm_debtors)
        .where(
            rm_debtors.c.administration_id == administration_id,
            rm_debtors.c.debtor_id == debtor_id,
        )
        .values(chosen_language=language)
    )


def word_rows(
    administration_id: str, debtors: Iterable[tuple[str, str, str]]
) -> Iterator[dict[str, Any]]:
    """Rows of rm_debtor_words for (debtor_id, number, name) of one administration."""
    for debtor_id, number, name in debtors:
        for word in debtor_words(name, number):
            yield {
                "administration_id": administration_id,
                "debtor_id": debtor_id,
                "word": word,
                "name": name,
            }


async def apply_open_totals(batch: Batch) -> None:
    """Add the batch's changes of open invoices to their debtors' counts and to their totals
    per currency (a debtor new in this batch is counted in full by apply_new_and_renamed
    instead)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for administration_id, sign, (_, currency, debtor_id, _, amount) in changes(batch):
        if debtor_id is not None and (administration_id, debtor_id) not in batch.new_debtors:
            counts[(administration_id, debtor_id)] += sign
            entry = totals[(administration_id, debtor_id, currency)]
            entry[0] += sign
            entry[1] += sign * amount
    for (administration_id, debtor_id), count in counts.items():
        if count == 0:
            continue
        await batch.session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == administration_id,
                rm_debtors.c.debtor_id == debtor_id,
            )
            .values(open_invoices=rm_debtors.c.open_invoices + count)
        )
    for (administration_id, debtor_id, currency), (count, total) in totals.items():
        if count == 0 and total == 0:
            continue
        await add_to_counters(
            batch.session,
            rm_debtor_totals,
            {"administration_id": administration_id, "debtor_id": debtor_id, "currency": currency},
            {"count": count, "total": total},
        )


async def apply_new_and_renamed(batch: Batch) -> None:
    """The new names of the batch's renamed debtors on their invoices, and the open invoices
    of the debtors it saw for the first time."""
    session = batch.session
    for (administration_id, debtor_id), name in batch.renamed_debtors.items():
        await session.execute(
            sa.update(rm_invoices)
            .where(
                rm_invoices.c.administration_id == administration_id,
                rm_invoices.c.debtor_id == debtor_id,
            )
            .values(debtor_name=name)
        )
    for administration_id, debtor_id in batch.new_debtors:
        await recount_debtor(session, administration_id, debtor_id)
