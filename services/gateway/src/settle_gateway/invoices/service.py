"""Queries of invoices: a filtered, sorted page of them, and one invoice with its attention,
planned step and timeline."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.paging import after, decode_cursor, encode_cursor
from settle_gateway.adapters.tables import (
    rm_attention,
    rm_credit_notes,
    rm_debtors,
    rm_invoices,
    rm_message_invoices,
    rm_messages,
    rm_pauses,
    rm_steps,
)
from settle_gateway.attention.service import open_attention
from settle_gateway.control.service import PAUSE_COLUMNS, Pauses
from settle_gateway.credit_notes.service import credit_notes_of
from settle_gateway.domain.errors import InvalidCursor, NotFound
from settle_gateway.invoices.models import (
    InvoiceDetail,
    InvoicePage,
    PlannedStepOut,
    TimelineEntry,
)
from settle_gateway.invoices.projection import PAYMENT_PLAN_PHASE
from settle_gateway.payments.service import payments_of_invoice
from settle_gateway.plans.service import plan_list
from settle_shared.db import aware

CREDIT_NOTE = "credit_note"  # the kind of a credit note's row, and its phase

INVOICE_SORTS = {
    "due_date": rm_invoices.c.due_date,
    "open_amount": rm_invoices.c.open_amount,
    "number": rm_invoices.c.number,
    "invoice_date": rm_invoices.c.invoice_date,
}


def _sort_value(sort: str, raw: str) -> Any:
    try:
        if sort in ("due_date", "invoice_date"):
            return date.fromisoformat(raw)
        if sort == "open_amount":
            return Decimal(raw)
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        raise InvalidCursor from None
    return raw


# The read-model columns an invoice summary shows as they are.
_INVOICE_SUMMARY_KEYS = (
    "invoice_id",
    "number",
    "debtor_id",
    "debtor_name",
    "invoice_date",
    "due_date",
    "amount",
    "open_amount",
    "currency",
    "status",
    "phase",
    "on_hold",
    "next_step_id",
    "next_step_on",
    "due_date_source",
    "paid_online",
)


def invoice_summary(row: Any, today: date, pauses: Pauses) -> dict[str, Any]:
    """The fields of an InvoiceSummary. A dict, validated with the rest of the answer in one
    pass: a model per row, each column read by attribute, was a fifth of a page's time. A row
    of a page may be a credit note's (`kind`): never paused, never overdue."""
    columns = row._mapping
    fields = {key: columns[key] for key in _INVOICE_SUMMARY_KEYS}
    if columns.get("kind") == CREDIT_NOTE:
        fields.update(
            kind=CREDIT_NOTE,
            paused=False,
            paused_by=None,
            overdue=False,
            corrects_invoice_id=columns["corrects_invoice_id"],
            corrects_invoice_number=columns["corrects_invoice_number"],
        )
        return fields
    paused_by = pauses.of(row)
    fields["paused"] = paused_by is not None
    fields["paused_by"] = paused_by
    due = fields["due_date"]
    fields["overdue"] = fields["status"] == "open" and due is not None and due < today
    return fields


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class InvoiceQuery:
    """What a page of invoices asks for: its filters, its order and where it starts."""

    status: str = "open"
    phase: str | None = None
    attention: str | None = None
    debtor_id: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    overdue: bool | None = None
    paused: bool | None = None
    q: str | None = None
    kind: str = "all"
    sort: str = "due_date"
    order: str = "asc"
    limit: int = 50
    cursor: str | None = None

    def with_credit_notes(self) -> bool:
        """Whether credit notes may be on the page: they are never in a phase of dunning,
        never paused, overdue or raising attention, so those filters leave them out."""
        return (
            self.kind in ("all", CREDIT_NOTE)
            and not self.phase
            and not self.attention
            and self.overdue is not True
            and self.paused is not True
        )


class _InvoiceFilters(NamedTuple):
    """Which filters an invoice page uses (not their values): one statement per shape."""

    invoices: bool
    credit_notes: bool
    all_statuses: bool
    phase: str | None  # "payment_plan" filters by the plan's hold, any other by dunning's phase
    debtor_id: bool
    due_from: bool
    due_to: bool
    amount_min: bool
    amount_max: bool
    overdue: bool | None
    paused: bool | None
    attention: bool
    q: bool
    sort: str
    desc: bool
    cursor: bool


def _phase_filter(phase: str | None) -> str | None:
    """The shape of a phase filter: the plans' own phase, another phase, or none."""
    if not phase:
        return None
    return PAYMENT_PLAN_PHASE if phase == PAYMENT_PLAN_PHASE else "phase"


@functools.lru_cache(maxsize=512)
def _invoice_page_query(f: _InvoiceFilters) -> sa.Select[Any]:
    """The statement of an invoice page, with every value a bound parameter, built once per
    combination of filters (building it per request cost more CPU than running it). With
    credit notes, each kind is read in order from its own index up to the page's size, and
    the two are merged: a page never reads more than twice its rows."""
    branches = []
    if f.invoices:
        branches.append(_invoices_in_order(f))
    if f.credit_notes:
        branches.append(_credit_notes_in_order(f))
    if len(branches) == 1:
        return branches[0]
    merged = sa.union_all(
        *(sa.select(branch.subquery(f"kind{i}")) for i, branch in enumerate(branches))
    ).subquery("page")
    ordering = [merged.c.sort_value, merged.c.invoice_id]
    return (
        sa.select(merged)
        .order_by(*(c.desc() for c in ordering) if f.desc else ordering)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


def _invoices_in_order(f: _InvoiceFilters) -> sa.Select[Any]:
    invoice = rm_invoices.c
    where: list[sa.ColumnElement[bool]] = [
        invoice.administration_id == sa.bindparam("administration_id"),
        invoice.due_date.is_not(None),
        invoice.status != "unknown" if f.all_statuses else invoice.status == sa.bindparam("status"),
    ]
    if f.phase == PAYMENT_PLAN_PHASE:
        # The dashboard's phase of the invoices an active plan holds (invoices/projection.py).
        where.append(invoice.blocked_by == "payment_plan_active")
    elif f.phase:
        where.append(invoice.phase == sa.bindparam("phase"))
    if f.debtor_id:
        where.append(invoice.debtor_id == sa.bindparam("debtor_id"))
    if f.due_from:
        where.append(invoice.due_date >= sa.bindparam("due_from"))
    if f.due_to:
        where.append(invoice.due_date <= sa.bindparam("due_to"))
    if f.amount_min:
        where.append(invoice.open_amount >= sa.bindparam("amount_min"))
    if f.amount_max:
        where.append(invoice.open_amount <= sa.bindparam("amount_max"))
    if f.overdue is True:
        where += [invoice.status == "open", invoice.due_date < sa.bindparam("today")]
    elif f.overdue is False:
        where.append(invoice.due_date >= sa.bindparam("today"))
    if f.paused is not None:
        debtor_pause = rm_pauses.alias("debtor_pause")
        administration_pause = rm_pauses.alias("administration_pause")
        paused = sa.or_(
            invoice.on_hold,
            sa.exists().where(
                debtor_pause.c.administration_id == invoice.administration_id,
                debtor_pause.c.subject_type == "debtor",
                debtor_pause.c.subject_id == invoice.debtor_id,
                debtor_pause.c.mode != "active",
            ),
            sa.exists().where(
                administration_pause.c.administration_id == invoice.administration_id,
                administration_pause.c.subject_type == "administration",
                administration_pause.c.mode != "active",
            ),
        )
        where.append(paused if f.paused else sa.not_(paused))
    if f.attention:
        attention = rm_attention.c
        where.append(
            sa.exists().where(
                attention.administration_id == sa.bindparam("administration_id"),
                attention.subject_type == "invoice",
                attention.subject_id == invoice.invoice_id,
                attention.reason == sa.bindparam("attention"),
                attention.open,
            )
        )
    if f.q:
        where.append(
            sa.or_(
                invoice.number.ilike(sa.bindparam("number_prefix"), escape="\\"),
                invoice.debtor_name.ilike(sa.bindparam("name_part"), escape="\\"),
            )
        )
    column = INVOICE_SORTS[f.sort]
    if f.cursor:
        where.append(
            after(
                column,
                invoice.invoice_id,
                sa.bindparam("after_value", type_=column.type),
                sa.bindparam("after_id"),
                f.desc,
            )
        )
    ordering = (
        [column.desc(), invoice.invoice_id.desc()] if f.desc else [column, invoice.invoice_id]
    )
    return (
        sa.select(
            *(invoice[key] for key in _INVOICE_SUMMARY_KEYS),
            *PAUSE_COLUMNS,
            sa.literal_column("'invoice'", sa.String).label("kind"),
            sa.cast(sa.null(), rm_invoices.c.invoice_id.type).label("corrects_invoice_id"),
            sa.cast(sa.null(), rm_invoices.c.number.type).label("corrects_invoice_number"),
            column.label("sort_value"),
        )
        .where(*where)
        .order_by(*ordering)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


# A credit note's value of each sort: it has no due date, so its date stands in for one.
CREDIT_NOTE_SORTS = {
    "due_date": rm_credit_notes.c.invoice_date,
    "open_amount": rm_credit_notes.c.open_amount,
    "number": rm_credit_notes.c.number,
    "invoice_date": rm_credit_notes.c.invoice_date,
}


def _credit_notes_in_order(f: _InvoiceFilters) -> sa.Select[Any]:
    note, debtor = rm_credit_notes.c, rm_debtors.c
    where: list[sa.ColumnElement[bool]] = [
        note.administration_id == sa.bindparam("administration_id"),
        sa.true() if f.all_statuses else note.status == sa.bindparam("status"),
    ]
    if f.debtor_id:
        where.append(note.debtor_id == sa.bindparam("debtor_id"))
    if f.due_from:
        where.append(note.invoice_date >= sa.bindparam("due_from"))
    if f.due_to:
        where.append(note.invoice_date <= sa.bindparam("due_to"))
    if f.amount_min:
        where.append(note.open_amount >= sa.bindparam("amount_min"))
    if f.amount_max:
        where.append(note.open_amount <= sa.bindparam("amount_max"))
    if f.q:
        where.append(
            sa.or_(
                note.number.ilike(sa.bindparam("number_prefix"), escape="\\"),
                debtor.name.ilike(sa.bindparam("name_part"), escape="\\"),
            )
        )
    column = CREDIT_NOTE_SORTS[f.sort]
    if f.cursor:
        where.append(
            after(
                column,
                note.credit_note_id,
                sa.bindparam("after_value", type_=column.type),
                sa.bindparam("after_id"),
                f.desc,
            )
        )
    ordering = (
        [column.desc(), note.credit_note_id.desc()] if f.desc else [column, note.credit_note_id]
    )
    nothing = {
        "due_date": sa.Date,
        "next_step_id": sa.String,
        "next_step_on": sa.Date,
        "due_date_source": sa.String,
        "paid_online": rm_invoices.c.open_amount.type,
    }
    return (
        sa.select(
            note.credit_note_id.label("invoice_id"),
            note.number,
            note.debtor_id,
            debtor.name.label("debtor_name"),
            note.invoice_date,
            sa.cast(sa.null(), nothing["due_date"]).label("due_date"),
            note.amount,
            note.open_amount,
            note.currency,
            note.status,
            sa.literal_column(f"'{CREDIT_NOTE}'", sa.String).label("phase"),
            sa.false().label("on_hold"),
            *(
                sa.cast(sa.null(), nothing[key]).label(key)
                for key in ("next_step_id", "next_step_on", "due_date_source", "paid_online")
            ),
            sa.cast(sa.null(), rm_pauses.c.mode.type).label("debtor_pause"),
            PAUSE_COLUMNS[1],
            sa.literal_column(f"'{CREDIT_NOTE}'", sa.String).label("kind"),
            note.corrects_invoice_id,
            note.corrects_invoice_number,
            column.label("sort_value"),
        )
        .select_from(
            rm_credit_notes.outerjoin(
                rm_debtors,
                sa.and_(
                    debtor.administration_id == note.administration_id,
                    debtor.debtor_id == note.debtor_id,
                ),
            )
        )
        .where(*where)
        .order_by(*ordering)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


async def invoice_page(
    session: AsyncSession, administration_id: str, query: InvoiceQuery, today: date
) -> InvoicePage:
    """A page of the administration's invoices (keyset: `next_cursor` continues it)."""
    params: dict[str, Any] = {
        "administration_id": administration_id,
        "status": query.status,
        "phase": query.phase,
        "debtor_id": query.debtor_id,
        "due_from": query.due_from,
        "due_to": query.due_to,
        "amount_min": query.amount_min,
        "amount_max": query.amount_max,
        "today": today,
        "attention": query.attention,
        "limit": query.limit + 1,
    }
    if query.q:
        pattern = _like(query.q.strip())
        params |= {"number_prefix": f"{pattern}%", "name_part": f"%{pattern}%"}
    if query.cursor:
        value, tie = decode_cursor(query.cursor, 2)
        params |= {"after_value": _sort_value(query.sort, value), "after_id": tie}
    statement = _invoice_page_query(
        _InvoiceFilters(
            invoices=query.kind in ("all", "invoice"),
            credit_notes=query.with_credit_notes(),
            all_statuses=query.status == "all",
            phase=_phase_filter(query.phase),
            debtor_id=bool(query.debtor_id),
            due_from=query.due_from is not None,
            due_to=query.due_to is not None,
            amount_min=query.amount_min is not None,
            amount_max=query.amount_max is not None,
            overdue=query.overdue,
            paused=query.paused,
            attention=bool(query.attention),
            q=bool(query.q),
            sort=query.sort,
            desc=query.order == "desc",
            cursor=bool(query.cursor),
        )
    )
    rows = (await session.execute(statement, params)).all()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = (
        encode_cursor([rows[-1].sort_value, rows[-1].invoice_id]) if more and rows else None
    )
    pauses = Pauses.of_page(rows)
    return InvoicePage.model_validate(
        {"items": [invoice_summary(r, today, pauses) for r in rows], "next_cursor": next_cursor}
    )


_INVOICE = sa.select(rm_invoices, *PAUSE_COLUMNS).where(
    rm_invoices.c.administration_id == sa.bindparam("administration_id"),
    rm_invoices.c.invoice_id == sa.bindparam("invoice_id"),
    rm_invoices.c.due_date.is_not(None),
)
_INVOICE_STEPS = (
    sa.select(rm_steps)
    .where(
        rm_steps.c.administration_id == sa.bindparam("administration_id"),
        rm_steps.c.invoice_id == sa.bindparam("invoice_id"),
    )
    .order_by(rm_steps.c.at.desc())
    .limit(500)
)
_INVOICE_MESSAGES = (
    sa.select(rm_messages)
    .join(rm_message_invoices, rm_message_invoices.c.message_id == rm_messages.c.message_id)
    .where(
        rm_message_invoices.c.administration_id == sa.bindparam("administration_id"),
        rm_message_invoices.c.invoice_id == sa.bindparam("invoice_id"),
    )
    .order_by(rm_messages.c.created_at.desc())
    .limit(500)
)


async def invoice_detail(
    session: AsyncSession, administration_id: str, invoice_id: str, today: date
) -> InvoiceDetail:
    """One invoice with its open attention, its planned step and its timeline of executed
    steps and messages, newest first; raises NotFound."""
    keys = {"administration_id": administration_id, "invoice_id": invoice_id}
    row = (await session.execute(_INVOICE, keys)).first()
    if row is None:
        return await _credit_note_detail(session, administration_id, invoice_id)
    timeline: list[TimelineEntry] = [
        TimelineEntry(
            kind="step",
            at=aware(r.at),
            step_id=r.step_id,
            executed_on=r.executed_on,
            phase=r.phase,
            channels=list(r.channels),
            reason=r.reason,
            legally_required=r.legally_required,
            state="failed" if r.failed_on is not None else "executed",
            detail=r.failure_detail,
        )
        for r in await session.execute(_INVOICE_STEPS, keys)
    ]
    for r in await session.execute(_INVOICE_MESSAGES, keys):
        timeline.append(
            TimelineEntry(
                kind="message",
                at=aware(r.created_at),
                message_id=r.message_id,
                direction=r.direction,
                state=r.state,
                channels=[r.channel] if r.channel else [],
                subject=r.subject,
                detail=r.detail,
                read=r.read,
            )
        )
    for payment in await payments_of_invoice(session, administration_id, invoice_id):
        [covered] = [c for c in payment.invoices if c.invoice_id == invoice_id]
        timeline.append(
            TimelineEntry(
                kind="payment",
                at=payment.created_at,
                payment_id=payment.payment_id,
                state=payment.status,
                amount=covered.amount,
                currency=payment.currency,
                method=payment.method,
            )
        )
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    pauses = Pauses.of_page([row])
    return InvoiceDetail(
        **invoice_summary(row, today, pauses),
        pdf_url=row.pdf_url,
        attention=await open_attention(session, administration_id, "invoice", invoice_id),
        credit_notes=await credit_notes_of(
            session, administration_id, corrects_invoice_id=invoice_id
        ),
        planned=PlannedStepOut(
            step_id=row.next_step_id,
            planned_on=row.next_step_on,
            on_hold=row.on_hold,
            blocked_by=row.blocked_by,
        ),
        timeline=timeline,
        payment_plans=(await plan_list(session, administration_id, invoice_id=invoice_id)).items,
    )


_CREDIT_NOTE = _credit_notes_in_order(
    _InvoiceFilters(
        invoices=False,
        credit_notes=True,
        all_statuses=True,
        phase=None,
        debtor_id=False,
        due_from=False,
        due_to=False,
        amount_min=False,
        amount_max=False,
        overdue=None,
        paused=None,
        attention=False,
        q=False,
        sort="number",
        desc=False,
        cursor=False,
    )
).where(rm_credit_notes.c.credit_note_id == sa.bindparam("invoice_id"))


async def _credit_note_detail(
    session: AsyncSession, administration_id: str, credit_note_id: str
) -> InvoiceDetail:
    """A credit note asked for by its id on the invoice's path, as the invoice list shows it
    (it has no dunning: no plan, no timeline of steps); raises NotFound."""
    row = (
        await session.execute(
            _CREDIT_NOTE,
            {"administration_id": administration_id, "invoice_id": credit_note_id, "limit": 1},
        )
    ).first()
    if row is None:
        raise NotFound("invoice not found")
    return InvoiceDetail(
        **invoice_summary(row, date.min, Pauses.of_page([])),
        pdf_url=None,
        attention=await open_attention(session, administration_id, "invoice", credit_note_id),
        credit_notes=[],
        planned=PlannedStepOut(step_id=None, planned_on=None, on_hold=False, blocked_by=None),
        timeline=[],
    )
