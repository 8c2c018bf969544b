"""Queries of debtors: a page of them by name (or found by the words of a search), one
debtor with its open invoices, attention and messages."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_cursor, encode_cursor
from settle_gateway.adapters.tables import (
    rm_attention,
    rm_debtor_totals,
    rm_debtor_words,
    rm_debtors,
    rm_invoices,
    rm_messages,
)
from settle_gateway.application.context import GatewayContext
from settle_gateway.attention.service import open_attention
from settle_gateway.control.service import pauses_of
from settle_gateway.credit_notes.service import credit_notes_of
from settle_gateway.debtors import projection
from settle_gateway.debtors.models import DebtorDetail, DebtorPage
from settle_gateway.domain.errors import NotFound
from settle_gateway.domain.search import prefix_range, search_terms
from settle_gateway.invoices.service import invoice_summary
from settle_gateway.messages.models import message_out
from settle_gateway.payments.service import payments_of_debtor
from settle_gateway.plans.service import plan_list
from settle_shared.db import transaction

_DEBTOR_SUMMARY_KEYS = ("debtor_id", "number", "name", "kind", "open_invoices")

# Keys read per debtor page of a search, as a multiple of the page: room for debtors found
# by more than one word (a fuller page of duplicates still pages on correctly).
SEARCH_OVERREAD = 3


def _debtor_summary(
    row: Any,
    reasons: Mapping[str, Collection[str]],
    totals: Mapping[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The fields of a DebtorSummary (a dict, as invoice_summary says why)."""
    columns = row._mapping
    fields = {key: columns[key] for key in _DEBTOR_SUMMARY_KEYS}
    fields["attention"] = sorted(reasons.get(fields["debtor_id"], []))
    fields["open_totals"] = totals.get(fields["debtor_id"], [])
    return fields


async def open_totals(
    session: AsyncSession, administration_id: str, debtor_ids: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """The open totals per currency of these debtors (one indexed query)."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not debtor_ids:
        return found
    rows = await session.execute(
        sa.select(rm_debtor_totals)
        .where(
            rm_debtor_totals.c.administration_id == administration_id,
            rm_debtor_totals.c.debtor_id.in_(list(debtor_ids)),
            rm_debtor_totals.c.count > 0,
        )
        .order_by(rm_debtor_totals.c.debtor_id, rm_debtor_totals.c.currency)
    )
    for row in rows:
        found.setdefault(row.debtor_id, []).append(
            {"currency": row.currency, "count": row.count, "total": row.total}
        )
    return found


@functools.lru_cache(maxsize=256)
def _debtor_keys_query(
    terms: int, has_open_invoices: bool | None, attention: bool, cursor: bool
) -> sa.Select[Any]:
    """(name, debtor_id) of a debtor page in order, every value a bound parameter: built once
    per shape, as the invoice page's statement. With `terms`, debtors with a word in the range
    low0..high0 and one in each further range lowN..highN."""
    administration: sa.BindParameter[str] = sa.bindparam("administration_id")
    debtors = rm_debtors.c
    keys: sa.Select[Any]
    if terms:
        words = rm_debtor_words.alias("w")
        name, debtor = words.c.name, words.c.debtor_id
        keys = sa.select(name, debtor).where(
            words.c.administration_id == administration,
            words.c.word >= sa.bindparam("low0"),
            words.c.word < sa.bindparam("high0"),
        )
        for i in range(1, terms):
            other = rm_debtor_words.alias(f"w{i}")
            keys = keys.where(
                sa.exists().where(
                    other.c.administration_id == administration,
                    other.c.debtor_id == debtor,
                    other.c.word >= sa.bindparam(f"low{i}"),
                    other.c.word < sa.bindparam(f"high{i}"),
                )
            )
        if has_open_invoices is not None:
            keys = keys.join(
                rm_debtors,
                sa.and_(debtors.administration_id == administration, debtors.debtor_id == debtor),
            )
    else:
        name, debtor = debtors.name, debtors.debtor_id
        keys = sa.select(name, debtor).where(debtors.administration_id == administration)
    if has_open_invoices is True:
        keys = keys.where(debtors.open_invoices > 0)
    elif has_open_invoices is False:
        keys = keys.where(debtors.open_invoices == 0)
    if attention:
        items = rm_attention.c
        keys = keys.where(
            sa.exists().where(
                items.administration_id == administration,
                items.subject_type == "debtor",
                items.subject_id == debtor,
                items.reason == sa.bindparam("attention"),
                items.open,
            )
        )
    if cursor:
        keys = keys.where(
            after(name, debtor, sa.bindparam("after_name"), sa.bindparam("after_id"), desc=False)
        )
    return keys.order_by(name, debtor).limit(sa.bindparam("limit", type_=sa.Integer))


@functools.lru_cache(maxsize=256)
def _debtor_page_query(
    terms: int, has_open_invoices: bool | None, attention: bool, cursor: bool
) -> sa.Select[Any]:
    """A debtor page in one statement: the page's keys first, from an index alone (words, or
    names), numbered in order; then only those debtors' summaries and open attention reasons
    (a row per reason). Left joins, so the last key's number tells whether more were there."""
    administration: sa.BindParameter[str] = sa.bindparam("administration_id")
    keys = _debtor_keys_query(terms, has_open_invoices, attention, cursor).subquery("k")
    numbered = sa.select(
        keys.c.debtor_id,
        sa.func.row_number().over(order_by=(keys.c.name, keys.c.debtor_id)).label("position"),
    ).subquery("n")
    debtors, items = rm_debtors.c, rm_attention.c
    return (
        sa.select(
            *(debtors[key] for key in _DEBTOR_SUMMARY_KEYS), numbered.c.position, items.reason
        )
        .select_from(numbered)
        .outerjoin(
            rm_debtors,
            sa.and_(
                debtors.administration_id == administration,
                debtors.debtor_id == numbered.c.debtor_id,
            ),
        )
        .outerjoin(
            rm_attention,
            sa.and_(
                items.administration_id == administration,
                items.subject_type == "debtor",
                items.subject_id == numbered.c.debtor_id,
                items.open,
            ),
        )
        .order_by(numbered.c.position)
    )


async def debtor_page(
    session: AsyncSession,
    administration_id: str,
    *,
    attention: str | None,
    has_open_invoices: bool | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> DebtorPage:
    """Debtors by name, a page at a time (keyset); with `q`, those with a word of the name
    (or the number) starting with each word of `q`."""
    params: dict[str, Any] = {"administration_id": administration_id, "attention": attention}
    terms: list[str] = []
    if q:
        terms = search_terms(q)
        if not terms:  # only punctuation: no word to look for
            return DebtorPage(items=[], next_cursor=None)
        for i, term in enumerate(terms):
            params[f"low{i}"], params[f"high{i}"] = prefix_range(term)
    if cursor:
        params["after_name"], params["after_id"] = decode_cursor(cursor, 2)
    # A debtor with two words of one start is found twice: a few more keys than a page are
    # read in order (a bounded sort, where DISTINCT would first group every match) and made
    # unique here.
    cap = (limit + 1) * (SEARCH_OVERREAD if q else 1)
    params["limit"] = cap
    page = _debtor_page_query(len(terms), has_open_invoices, bool(attention), bool(cursor))
    found: dict[str, Any] = {}  # the first row of each debtor, in page order
    reasons: dict[str, set[str]] = {}
    keys_read = 0
    for row in await session.execute(page, params):
        keys_read = max(keys_read, row.position)
        if row.debtor_id is None:  # a word of a debtor the read model no longer holds
            continue
        found.setdefault(row.debtor_id, row)
        if row.reason is not None:
            reasons.setdefault(row.debtor_id, set()).add(row.reason)
    capped = bool(q) and keys_read == cap  # more keys than were read: maybe more debtors
    more = len(found) > limit or capped
    shown = list(found.values())[:limit]
    totals = await open_totals(session, administration_id, [r.debtor_id for r in shown])
    items = [_debtor_summary(r, reasons, totals) for r in shown]
    return DebtorPage.model_validate(
        {
            "items": items,
            "next_cursor": (
                encode_cursor([items[-1]["name"], items[-1]["debtor_id"]])
                if more and items
                else None
            ),
        }
    )


async def debtor_row(session: AsyncSession, administration_id: str, debtor_id: str) -> Any:
    """The read model's row of the debtor; raises NotFound."""
    row = (
        await session.execute(
            sa.select(rm_debtors).where(
                rm_debtors.c.administration_id == administration_id,
                rm_debtors.c.debtor_id == debtor_id,
            )
        )
    ).first()
    if row is None:
        raise NotFound("debtor not found")
    return row


async def debtor_detail(
    session: AsyncSession, administration_id: str, debtor_id: str, today: date
) -> DebtorDetail:
    """A debtor with addresses and contacts, its open invoices (with their planned steps),
    attention and messages; raises NotFound."""
    row = await debtor_row(session, administration_id, debtor_id)
    invoices = await session.execute(
        sa.select(rm_invoices)
        .where(
            rm_invoices.c.administration_id == administration_id,
            rm_invoices.c.debtor_id == debtor_id,
            rm_invoices.c.status == "open",
        )
        .order_by(rm_invoices.c.due_date, rm_invoices.c.invoice_id)
        .limit(500)
    )
    messages = await session.execute(
        sa.select(rm_messages)
        .where(
            rm_messages.c.administration_id == administration_id,
            rm_messages.c.debtor_id == debtor_id,
        )
        .order_by(rm_messages.c.created_at.desc())
        .limit(200)
    )
    items = await open_attention(session, administration_id, "debtor", debtor_id)
    pauses = await pauses_of(session, administration_id, [debtor_id])  # its invoices' debtor
    totals = await open_totals(session, administration_id, [debtor_id])
    return DebtorDetail.model_validate(
        {
            **_debtor_summary(row, {debtor_id: [i.reason for i in items]}, totals),
            "pause": pauses.debtors.get(debtor_id, "active"),
            "emails": list(row.emails),
            "phone": row.phone,
            "address_lines": list(row.address_lines),
            "postal_code": row.postal_code,
            "city": row.city,
            "country": row.country,
            "language": row.chosen_language or row.language,
            "language_chosen": row.chosen_language is not None,
            "attention_items": items,
            "invoices": [invoice_summary(r, today, pauses) for r in invoices],
            "credit_notes": await credit_notes_of(session, administration_id, debtor_id=debtor_id),
            "messages": [message_out(r, row.name) for r in messages],
            "payments": await payments_of_debtor(session, administration_id, debtor_id),
            "payment_plans": (
                await plan_list(session, administration_id, debtor_id=debtor_id)
            ).items,
        }
    )


async def show_language(
    context: GatewayContext, administration_id: str, debtor_id: str, language: str | None
) -> None:
    """Dunning accepted the debtor's language: the debtor's page shows it before its event."""
    async with transaction(context.sessions) as session:
        await projection.record_language_locally(session, administration_id, debtor_id, language)
