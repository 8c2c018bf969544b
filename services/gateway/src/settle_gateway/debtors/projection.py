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
from settle_gateway.dashboard.projection import add_to_counter_rows
from settle_gateway.domain.search import debtor_words
from settle_gateway.invoices.projection import ZERO, Batch, KnownDebtor, changes
from settle_shared.events import dunning, importer


async def debtor_upserted(batch: Batch, fact: importer.DebtorUpserted) -> None:
    """The importer's newest facts about a debtor, and the words it is found by: kept in the
    batch and written at its end (write_debtors)."""
    key = (fact.administration_id, fact.debtor_id)
    current = batch.debtors.get(key)
    if key not in batch.debtors:
        await batch.prefetch_debtors({key})
        current = batch.debtors[key]
    if current is not None and fact.version <= current.version:
        return
    batch.debtor_rows[key] = {
        "administration_id": fact.administration_id,
        "debtor_id": fact.debtor_id,
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
    batch.debtors[key] = KnownDebtor(fact.version, fact.name, fact.number)
    if current is None:
        batch.new_debtors.add(key)
        batch.renamed_debtors[key] = fact.name
    elif current.name != fact.name:
        batch.renamed_debtors[key] = fact.name
    if current is None or (current.name, current.number) != (fact.name, fact.number):
        batch.reindexed_debtors.add(key)


async def write_debtors(batch: Batch) -> None:
    """Insert the batch's new debtors and update the others, each in one statement, and
    replace the words of those whose name or number changed."""
    session = batch.session
    inserts = [
        {**row, "open_invoices": 0}
        for key, row in batch.debtor_rows.items()
        if key in batch.new_debtors
    ]
    updates = [row for key, row in batch.debtor_rows.items() if key not in batch.new_debtors]
    if inserts:
        await session.execute(sa.insert(rm_debtors), inserts)
    if updates:
        columns = [name for name in updates[0] if name not in KEY]
        await session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == sa.bindparam("key_administration"),
                rm_debtors.c.debtor_id == sa.bindparam("key_debtor"),
            )
            .values({name: sa.bindparam(f"v_{name}") for name in columns}),
            [
                {
                    "key_administration": row["administration_id"],
                    "key_debtor": row["debtor_id"],
                    **{f"v_{name}": row[name] for name in columns},
                }
                for row in updates
            ],
        )
    reindexed = [batch.debtor_rows[key] for key in batch.reindexed_debtors]
    replaced: dict[str, list[str]] = defaultdict(list)
    for administration_id, debtor_id in batch.reindexed_debtors - batch.new_debtors:
        replaced[administration_id].append(debtor_id)
    for administration_id, debtor_ids in replaced.items():
        await session.execute(
            sa.delete(rm_debtor_words).where(
                rm_debtor_words.c.administration_id == administration_id,
                rm_debtor_words.c.debtor_id.in_(debtor_ids),
            )
        )
    words = [
        word
        for row in reindexed
        for word in word_rows(
            row["administration_id"], [(row["debtor_id"], row["number"], row["name"])]
        )
    ]
    if words:
        await session.execute(sa.insert(rm_debtor_words), words)


KEY = ("administration_id", "debtor_id")


async def recount_debtors(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> None:
    """Debtors seen for the first time: count their open invoices once, per currency, with a
    statement per table for each administration (indexed by debtor)."""
    by_administration: dict[str, list[str]] = defaultdict(list)
    for administration_id, debtor_id in keys:
        by_administration[administration_id].append(debtor_id)
    # The default currency as a literal, not a bound parameter: PostgreSQL takes the select's
    # and the GROUP BY's parameters for two expressions and refuses the query.
    currency = sa.func.coalesce(rm_invoices.c.currency, sa.literal_column("'EUR'"))
    for administration_id, debtor_ids in by_administration.items():
        per_currency = (
            await session.execute(
                sa.select(
                    rm_invoices.c.debtor_id,
                    currency.label("currency"),
                    sa.func.count().label("invoices"),
                    sa.func.coalesce(sa.func.sum(rm_invoices.c.open_amount), 0).label("total"),
                )
                .where(
                    rm_invoices.c.administration_id == administration_id,
                    rm_invoices.c.debtor_id.in_(debtor_ids),
                    rm_invoices.c.status == "open",
                    rm_invoices.c.due_date.is_not(None),
                )
                .group_by(rm_invoices.c.debtor_id, currency)
            )
        ).all()
        counts: dict[str, int] = dict.fromkeys(debtor_ids, 0)
        for row in per_currency:
            counts[row.debtor_id] += row.invoices
        await session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == administration_id,
                rm_debtors.c.debtor_id == sa.bindparam("key_debtor"),
            )
            .values(open_invoices=sa.bindparam("count")),
            [{"key_debtor": debtor_id, "count": count} for debtor_id, count in counts.items()],
        )
        await session.execute(
            sa.delete(rm_debtor_totals).where(
                rm_debtor_totals.c.administration_id == administration_id,
                rm_debtor_totals.c.debtor_id.in_(debtor_ids),
            )
        )
        if per_currency:
            await session.execute(
                sa.insert(rm_debtor_totals),
                [
                    {
                        "administration_id": administration_id,
                        "debtor_id": row.debtor_id,
                        "currency": row.currency,
                        "count": row.invoices,
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
    per currency, a statement each (a debtor new in this batch is counted in full by
    apply_new_and_renamed instead)."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
    for administration_id, sign, (_, currency, debtor_id, _, amount) in changes(batch):
        if debtor_id is not None and (administration_id, debtor_id) not in batch.new_debtors:
            counts[(administration_id, debtor_id)] += sign
            entry = totals[(administration_id, debtor_id, currency)]
            entry[0] += sign
            entry[1] += sign * amount
    changed = [
        {"key_administration": administration_id, "key_debtor": debtor_id, "delta": count}
        for (administration_id, debtor_id), count in counts.items()
        if count != 0
    ]
    if changed:
        await batch.session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == sa.bindparam("key_administration"),
                rm_debtors.c.debtor_id == sa.bindparam("key_debtor"),
            )
            .values(open_invoices=rm_debtors.c.open_invoices + sa.bindparam("delta")),
            changed,
        )
    await add_to_counter_rows(
        batch.session,
        rm_debtor_totals,
        [
            {
                "administration_id": administration_id,
                "debtor_id": debtor_id,
                "currency": currency,
                "count": count,
                "total": total,
            }
            for (administration_id, debtor_id, currency), (count, total) in totals.items()
            if count != 0 or total != 0
        ],
    )


async def apply_new_and_renamed(batch: Batch) -> None:
    """The new names of the batch's renamed debtors on their invoices, and the open invoices
    of the debtors it saw for the first time."""
    if batch.renamed_debtors:
        await batch.session.execute(
            sa.update(rm_invoices)
            .where(
                rm_invoices.c.administration_id == sa.bindparam("key_administration"),
                rm_invoices.c.debtor_id == sa.bindparam("key_debtor"),
            )
            .values(debtor_name=sa.bindparam("name")),
            [
                {"key_administration": administration_id, "key_debtor": debtor_id, "name": name}
                for (administration_id, debtor_id), name in batch.renamed_debtors.items()
            ],
        )
    if batch.new_debtors:
        await recount_debtors(batch.session, batch.new_debtors)
