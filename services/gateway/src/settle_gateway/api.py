"""The UI API under /api/v1: login, the read model's views and the commands, each checked
against the caller's role in the administration it names."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_gateway import schemas as s
from settle_gateway.db import (
    administrations,
    memberships,
    rm_attention,
    rm_attention_counts,
    rm_debtor_words,
    rm_debtors,
    rm_due_totals,
    rm_import_runs,
    rm_invoices,
    rm_message_invoices,
    rm_messages,
    rm_pauses,
    rm_phase_totals,
    rm_steps,
    users,
)
from settle_gateway.identity import (
    Action,
    IdentityError,
    Role,
    create_api_token,
    grant,
    issue_access_token,
    issue_refresh_token,
    rotate_refresh_token,
    token_time,
    verify_password,
)
from settle_gateway.projection import (
    mark_read_locally,
    pause_key,
    record_pause_locally,
    record_written_locally,
)
from settle_gateway.search import prefix_range, search_terms
from settle_gateway.security import (
    CurrentPrincipal,
    LoginLimiter,
    OidcVerifier,
    PrincipalCache,
    authorize,
)
from settle_gateway.settings import GatewaySettings
from settle_gateway.upstream import Upstreams
from settle_shared.db import aware, transaction
from settle_shared.health import CORRELATION_HEADER
from settle_shared.logs import get_logger
from settle_shared.service import ServiceRuntime

log = get_logger(__name__)


@dataclass
class GatewayState:
    """What the routes share: settings, the login limiter, the OIDC verifier, the clients of
    the other services."""

    runtime: ServiceRuntime
    settings: GatewaySettings
    limiter: LoginLimiter
    oidc: OidcVerifier | None
    upstreams: Upstreams
    principals: PrincipalCache
    # Sessions for the routes that only read: autocommit, so a request does not spend two
    # round trips on BEGIN and ROLLBACK around its queries; each query reads the latest
    # committed state. Commands write through `transaction(runtime.sessions)`.
    reads: async_sessionmaker[AsyncSession]

    def today(self) -> date:
        return self.runtime.clock.now().astimezone(ZoneInfo(self.settings.time_zone)).date()


# Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per
# request for an attribute lookup.
async def _state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


State = Annotated[GatewayState, Depends(_state)]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session to read the read model with (see GatewayState.reads)."""
    state: GatewayState = request.app.state.gateway
    async with state.reads() as session:
        yield session


Session = Annotated[AsyncSession, Depends(_session)]

auth = APIRouter(prefix="/api/v1/auth", tags=["authentication"])
router = APIRouter(prefix="/api/v1", tags=["ui"])
ADM = "/administrations/{administration_id}"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown, or not visible to the caller"}
}


# --- authentication -------------------------------------------------------------------------


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _tokens(session: AsyncSession, state: GatewayState, user_id: str) -> s.TokensOut:
    now = token_time()
    return s.TokensOut(
        access_token=issue_access_token(state.settings, user_id, now),
        expires_in=state.settings.access_token_minutes * 60,
        refresh_token=await issue_refresh_token(session, state.settings, user_id, now),
    )


@auth.post(
    "/login",
    response_model=s.TokensOut,
    responses={401: {"description": "wrong email or password"}, 429: {"description": "too many"}},
)
async def login(body: s.LoginIn, request: Request, state: State) -> s.TokensOut:
    """Sign in with email and password: a short-lived access token and a refresh token.
    Failed attempts per account and client address are limited."""
    address = _client_address(request)
    wait = await state.limiter.retry_after(body.email, address)
    if wait is not None:
        log.warning("login refused: too many failures", address=address)
        raise HTTPException(
            429,
            detail="too many failed logins; try again later",
            headers={"Retry-After": str(wait)},
        )
    async with transaction(state.runtime.sessions) as session:
        user = (
            await session.execute(
                sa.select(users.c.id, users.c.password_hash).where(
                    users.c.email == body.email.strip().lower(), users.c.active
                )
            )
        ).first()
        if not verify_password(user.password_hash if user else None, body.password):
            await state.limiter.failed(body.email, address)
            log.info("login failed", address=address)
            raise HTTPException(401, detail="wrong email or password")
        assert user is not None
        await state.limiter.succeeded(body.email, address)
        log.info("login", user_id=user.id)
        return await _tokens(session, state, user.id)


@auth.post("/refresh", response_model=s.TokensOut, responses={401: {"description": "refused"}})
async def refresh(body: s.RefreshIn, state: State) -> s.TokensOut:
    """Spend a refresh token for new tokens (it rotates: each works once; reusing one ends
    every session of that login)."""
    now = token_time()
    refused: IdentityError | None = None
    async with transaction(state.runtime.sessions) as session:
        try:
            user_id, next_refresh = await rotate_refresh_token(
                session, state.settings, body.refresh_token, now
            )
        except IdentityError as exc:
            # Caught inside the transaction: revoking a reused token's family must commit.
            refused = exc
    if refused is not None:
        raise HTTPException(401, detail=str(refused))
    return s.TokensOut(
        access_token=issue_access_token(state.settings, user_id, now),
        expires_in=state.settings.access_token_minutes * 60,
        refresh_token=next_refresh,
    )


@router.get("/me", response_model=s.MeOut)
async def me(principal: CurrentPrincipal, session: Session) -> s.MeOut:
    """The caller and the administrations it may see, with its role in each."""
    rows = await session.execute(
        sa.select(administrations.c.id, administrations.c.name)
        .where(administrations.c.id.in_(list(principal.roles)))
        .order_by(administrations.c.name)
    )
    return s.MeOut(
        subject=principal.subject,
        kind=principal.kind,
        name=principal.name,
        administrations=[
            s.AdministrationOut(id=row.id, name=row.name, role=principal.roles[row.id].value)
            for row in rows
        ],
    )


@router.post(
    ADM + "/api-tokens", response_model=s.ApiTokenOut, status_code=201, responses=NOT_FOUND
)
async def new_api_token(
    administration_id: str, body: s.ApiTokenIn, principal: CurrentPrincipal, state: State
) -> s.ApiTokenOut:
    """An API token for a machine client in this administration (administrators only)."""
    authorize(principal, administration_id, Action.SETTINGS)
    async with transaction(state.runtime.sessions) as session:
        token = await create_api_token(
            session,
            name=body.name,
            administration_id=administration_id,
            role=Role(body.role),
            now=state.runtime.clock.now(),
        )
    return s.ApiTokenOut(token=token)


# --- pagination -----------------------------------------------------------------------------


def _encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([str(v) if v is not None else None for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, size: int) -> list[str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError:
        raise HTTPException(422, detail="invalid cursor") from None
    if (
        not isinstance(values, list)
        or len(values) != size
        or not all(isinstance(v, str) for v in values)
    ):
        raise HTTPException(422, detail="invalid cursor")
    return values


def _after(
    column: sa.ColumnElement[Any],
    tie: sa.ColumnElement[Any],
    value: Any,
    tie_value: Any,
    desc: bool,
) -> sa.ColumnElement[bool]:
    """Keyset condition: rows after (value, tie_value) in the sort order.

    A row-value comparison, `(a, b) > (x, y)`: PostgreSQL and SQLite both seek straight to
    that point in the index on (…, a, b). Spelled out with OR, only the bound on `a` reaches
    the index, and a deep page reads every row of its first sort value before the page."""
    after = sa.tuple_(column, tie)
    point = sa.tuple_(value, tie_value)
    return after < point if desc else after > point


# --- dashboard ------------------------------------------------------------------------------

# The statements of the read views are built once, with bound parameters: building them per
# request cost more CPU than running them.
_PHASE_TOTALS = (
    sa.select(rm_phase_totals)
    .where(
        rm_phase_totals.c.administration_id == sa.bindparam("administration_id"),
        rm_phase_totals.c.count > 0,
    )
    .order_by(rm_phase_totals.c.phase)
)
_ATTENTION_COUNTS = (
    sa.select(rm_attention_counts)
    .where(
        rm_attention_counts.c.administration_id == sa.bindparam("administration_id"),
        rm_attention_counts.c.count > 0,
    )
    .order_by(rm_attention_counts.c.subject_type, rm_attention_counts.c.reason)
)
_DUE = rm_due_totals.c.due_date
# Buckets cut at the business date and 30, 60 and 90 days before it.
_AGING_BUCKET = sa.case(
    (_DUE >= sa.bindparam("today", type_=sa.Date), "not_due"),
    (_DUE >= sa.bindparam("d30", type_=sa.Date), "1-30"),
    (_DUE >= sa.bindparam("d60", type_=sa.Date), "31-60"),
    (_DUE >= sa.bindparam("d90", type_=sa.Date), "61-90"),
    else_=">90",
).label("bucket")
_AGING = (
    sa.select(
        _AGING_BUCKET,
        rm_due_totals.c.currency,
        sa.func.sum(rm_due_totals.c.count).label("count"),
        sa.func.sum(rm_due_totals.c.total).label("total"),
    )
    .where(
        rm_due_totals.c.administration_id == sa.bindparam("administration_id"),
        rm_due_totals.c.count > 0,
    )
    .group_by(_AGING_BUCKET, rm_due_totals.c.currency)
)


@router.get(ADM + "/dashboard", response_model=s.DashboardOut, responses=NOT_FOUND)
async def dashboard(
    administration_id: str, principal: CurrentPrincipal, state: State, session: Session
) -> s.DashboardOut:
    """Open invoices per phase, attention per reason, totals and aging. Phases and attention
    come from maintained aggregates; overdue and aging from open totals per due date (also
    maintained), cut into buckets at the business date: no invoice is read."""
    authorize(principal, administration_id, Action.READ)
    today = state.today()
    adm = {"administration_id": administration_id}
    phases = [
        s.PhaseTotal(phase=r.phase, currency=r.currency, count=r.count, total=Decimal(r.total))
        for r in await session.execute(_PHASE_TOTALS, adm)
    ]
    attention = [
        s.AttentionCount(subject_type=r.subject_type, reason=r.reason, count=r.count)
        for r in await session.execute(_ATTENTION_COUNTS, adm)
    ]
    open_totals: dict[str, list[Any]] = {}
    for phase in phases:
        entry = open_totals.setdefault(phase.currency, [0, Decimal("0.00")])
        entry[0] += phase.count
        entry[1] += phase.total
    aging_rows = (
        await session.execute(
            _AGING,
            {
                **adm,
                "today": today,
                "d30": today - timedelta(days=30),
                "d60": today - timedelta(days=60),
                "d90": today - timedelta(days=90),
            },
        )
    ).all()
    order = ["not_due", "1-30", "31-60", "61-90", ">90"]
    aging = sorted(
        (
            s.AgingBucket(
                bucket=r.bucket, currency=r.currency, count=r.count, total=Decimal(r.total)
            )
            for r in aging_rows
        ),
        key=lambda b: (order.index(b.bucket), b.currency),
    )
    overdue: dict[str, list[Any]] = {}
    for b in aging:
        if b.bucket != "not_due":
            entry = overdue.setdefault(b.currency, [0, Decimal("0.00")])
            entry[0] += b.count
            entry[1] += b.total
    return s.DashboardOut(
        administration_id=administration_id,
        business_date=today,
        pause=(await _pauses(session, administration_id)).administration,
        phases=phases,
        attention=attention,
        open=[s.MoneyTotal(currency=c, count=n, total=t) for c, (n, t) in open_totals.items()],
        overdue=[s.MoneyTotal(currency=c, count=n, total=t) for c, (n, t) in overdue.items()],
        aging=aging,
    )


# --- invoices -------------------------------------------------------------------------------

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
        raise HTTPException(422, detail="invalid cursor") from None
    return raw


@dataclass(frozen=True)
class _Pauses:
    """The pauses that hold the invoices of one answer: the administration's, and those of
    the debtors asked for (absent: active)."""

    administration: str
    debtors: dict[str, str]

    @classmethod
    def of_page(cls, rows: Sequence[Any]) -> _Pauses:
        """The pauses of rows that carry `debtor_pause` and `administration_pause`."""
        return cls(
            administration=(rows[0].administration_pause if rows else None) or "active",
            debtors={r.debtor_id: r.debtor_pause for r in rows if r.debtor_pause},
        )

    def of(self, row: Any) -> Literal["invoice", "debtor", "administration"] | None:
        if row.on_hold:
            return "invoice"
        if row.debtor_id in self.debtors:
            return "debtor"
        return "administration" if self.administration != "active" else None


_PAUSED = sa.select(rm_pauses.c.subject_type, rm_pauses.c.subject_id, rm_pauses.c.mode).where(
    rm_pauses.c.administration_id == sa.bindparam("administration_id"),
    rm_pauses.c.mode != "active",
    sa.or_(
        rm_pauses.c.subject_type == "administration",
        sa.and_(
            rm_pauses.c.subject_type == "debtor",
            rm_pauses.c.subject_id.in_(sa.bindparam("debtor_ids", expanding=True)),
        ),
    ),
)


async def _pauses(
    session: AsyncSession, administration_id: str, debtor_ids: Iterable[str | None] = ()
) -> _Pauses:
    """One query for the administration's pause and those of `debtor_ids`."""
    wanted = sorted({d for d in debtor_ids if d is not None})
    found = (
        await session.execute(
            _PAUSED, {"administration_id": administration_id, "debtor_ids": wanted}
        )
    ).all()
    return _Pauses(
        administration=next(
            (r.mode for r in found if r.subject_type == "administration"), "active"
        ),
        debtors={r.subject_id: r.mode for r in found if r.subject_type == "debtor"},
    )


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
)


def _invoice_summary(row: Any, today: date, pauses: _Pauses) -> dict[str, Any]:
    """The fields of an InvoiceSummary. A dict, validated with the rest of the answer in one
    pass: a model per row, each column read by attribute, was a fifth of a page's time."""
    columns = row._mapping
    fields = {key: columns[key] for key in _INVOICE_SUMMARY_KEYS}
    paused_by = pauses.of(row)
    fields["paused"] = paused_by is not None
    fields["paused_by"] = paused_by
    due = fields["due_date"]
    fields["overdue"] = fields["status"] == "open" and due is not None and due < today
    return fields


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _InvoiceFilters(NamedTuple):
    """Which filters an invoice page uses (not their values): one statement per shape."""

    all_statuses: bool
    phase: bool
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


def _pause_of(subject_type: str, subject_id: sa.ColumnElement[Any] | None) -> Any:
    p = rm_pauses.c
    where = [
        p.administration_id == sa.bindparam("administration_id"),
        p.subject_type == subject_type,
        p.mode != "active",
    ]
    if subject_id is not None:
        where.append(p.subject_id == subject_id)
    return sa.select(p.mode).where(*where).scalar_subquery()


# A page's pauses come with its rows (see _Pauses.of_page), not from a query of their own.
_PAUSE_COLUMNS = (
    _pause_of("debtor", rm_invoices.c.debtor_id).label("debtor_pause"),
    _pause_of("administration", None).label("administration_pause"),
)


@functools.lru_cache(maxsize=512)
def _invoice_page_query(f: _InvoiceFilters) -> sa.Select[Any]:
    """The statement of an invoice page, with every value a bound parameter, built once per
    combination of filters (building it per request cost more CPU than running it)."""
    t = rm_invoices.c
    where: list[sa.ColumnElement[bool]] = [
        t.administration_id == sa.bindparam("administration_id"),
        t.due_date.is_not(None),
        t.status != "unknown" if f.all_statuses else t.status == sa.bindparam("status"),
    ]
    if f.phase:
        where.append(t.phase == sa.bindparam("phase"))
    if f.debtor_id:
        where.append(t.debtor_id == sa.bindparam("debtor_id"))
    if f.due_from:
        where.append(t.due_date >= sa.bindparam("due_from"))
    if f.due_to:
        where.append(t.due_date <= sa.bindparam("due_to"))
    if f.amount_min:
        where.append(t.open_amount >= sa.bindparam("amount_min"))
    if f.amount_max:
        where.append(t.open_amount <= sa.bindparam("amount_max"))
    if f.overdue is True:
        where += [t.status == "open", t.due_date < sa.bindparam("today")]
    elif f.overdue is False:
        where.append(t.due_date >= sa.bindparam("today"))
    if f.paused is not None:
        p, q = rm_pauses.alias("debtor_pause"), rm_pauses.alias("administration_pause")
        paused = sa.or_(
            t.on_hold,
            sa.exists().where(
                p.c.administration_id == t.administration_id,
                p.c.subject_type == "debtor",
                p.c.subject_id == t.debtor_id,
                p.c.mode != "active",
            ),
            sa.exists().where(
                q.c.administration_id == t.administration_id,
                q.c.subject_type == "administration",
                q.c.mode != "active",
            ),
        )
        where.append(paused if f.paused else sa.not_(paused))
    if f.attention:
        a = rm_attention.c
        where.append(
            sa.exists().where(
                a.administration_id == sa.bindparam("administration_id"),
                a.subject_type == "invoice",
                a.subject_id == t.invoice_id,
                a.reason == sa.bindparam("attention"),
                a.open,
            )
        )
    if f.q:
        where.append(
            sa.or_(
                t.number.ilike(sa.bindparam("number_prefix"), escape="\\"),
                t.debtor_name.ilike(sa.bindparam("name_part"), escape="\\"),
            )
        )
    column = INVOICE_SORTS[f.sort]
    if f.cursor:
        where.append(
            _after(
                column,
                t.invoice_id,
                sa.bindparam("after_value", type_=column.type),
                sa.bindparam("after_id"),
                f.desc,
            )
        )
    ordering = [column.desc(), t.invoice_id.desc()] if f.desc else [column, t.invoice_id]
    return (
        sa.select(*(t[key] for key in _INVOICE_SUMMARY_KEYS), *_PAUSE_COLUMNS)
        .where(*where)
        .order_by(*ordering)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )


@router.get(ADM + "/invoices", response_model=s.InvoicePage, responses=NOT_FOUND)
async def list_invoices(
    administration_id: str,
    principal: CurrentPrincipal,
    state: State,
    session: Session,
    status: Literal["open", "settled", "all"] = "open",
    phase: Annotated[str | None, Query(max_length=50)] = None,
    attention: Annotated[
        str | None, Query(max_length=50, description="an attention reason")
    ] = None,
    debtor_id: Annotated[str | None, Query(max_length=100)] = None,
    due_from: date | None = None,
    due_to: date | None = None,
    amount_min: Decimal | None = None,
    amount_max: Decimal | None = None,
    overdue: bool | None = None,
    paused: bool | None = None,
    q: Annotated[
        str | None, Query(max_length=100, description="invoice number prefix or debtor name")
    ] = None,
    sort: Literal["due_date", "open_amount", "number", "invoice_date"] = "due_date",
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.InvoicePage:
    """Invoices of the administration, filtered and sorted, a page at a time (keyset: pass
    `next_cursor` back as `cursor` with the same filters and sort)."""
    authorize(principal, administration_id, Action.READ)
    today = state.today()
    params: dict[str, Any] = {
        "administration_id": administration_id,
        "status": status,
        "phase": phase,
        "debtor_id": debtor_id,
        "due_from": due_from,
        "due_to": due_to,
        "amount_min": amount_min,
        "amount_max": amount_max,
        "today": today,
        "attention": attention,
        "limit": limit + 1,
    }
    if q:
        pattern = _like(q.strip())
        params |= {"number_prefix": f"{pattern}%", "name_part": f"%{pattern}%"}
    if cursor:
        value, tie = _decode_cursor(cursor, 2)
        params |= {"after_value": _sort_value(sort, value), "after_id": tie}
    statement = _invoice_page_query(
        _InvoiceFilters(
            all_statuses=status == "all",
            phase=bool(phase),
            debtor_id=bool(debtor_id),
            due_from=due_from is not None,
            due_to=due_to is not None,
            amount_min=amount_min is not None,
            amount_max=amount_max is not None,
            overdue=overdue,
            paused=paused,
            attention=bool(attention),
            q=bool(q),
            sort=sort,
            desc=order == "desc",
            cursor=bool(cursor),
        )
    )
    rows = (await session.execute(statement, params)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = (
        _encode_cursor([getattr(rows[-1], sort), rows[-1].invoice_id]) if more and rows else None
    )
    pauses = _Pauses.of_page(rows)
    return s.InvoicePage.model_validate(
        {"items": [_invoice_summary(r, today, pauses) for r in rows], "next_cursor": next_cursor}
    )


_OPEN_ATTENTION = (
    sa.select(rm_attention)
    .where(
        rm_attention.c.administration_id == sa.bindparam("administration_id"),
        rm_attention.c.subject_type == sa.bindparam("subject_type"),
        rm_attention.c.subject_id == sa.bindparam("subject_id"),
        rm_attention.c.open,
    )
    .order_by(rm_attention.c.at.desc())
)


async def _attention_of(
    session: AsyncSession, administration_id: str, subject_type: str, subject_id: str
) -> list[s.AttentionOut]:
    rows = await session.execute(
        _OPEN_ATTENTION,
        {
            "administration_id": administration_id,
            "subject_type": subject_type,
            "subject_id": subject_id,
        },
    )
    return [
        s.AttentionOut(
            subject_type=r.subject_type,
            subject_id=r.subject_id,
            reason=r.reason,
            sentence=r.sentence,
            since=aware(r.at),
        )
        for r in rows
    ]


def _message_out(row: Any) -> s.MessageOut:
    return s.MessageOut(
        message_id=row.message_id,
        debtor_id=row.debtor_id,
        debtor_name=getattr(row, "debtor_name", None),
        thread_id=row.thread_id,
        direction=row.direction,
        state=row.state,
        channel=row.channel,
        subject=row.subject,
        detail=row.detail,
        invoice_ids=list(row.invoice_ids),
        read=row.read,
        created_at=aware(row.created_at),
    )


_INVOICE = sa.select(rm_invoices, *_PAUSE_COLUMNS).where(
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


async def _invoice_row(session: AsyncSession, administration_id: str, invoice_id: str) -> Any:
    row = (
        await session.execute(
            _INVOICE, {"administration_id": administration_id, "invoice_id": invoice_id}
        )
    ).first()
    if row is None:
        raise HTTPException(404, detail="invoice not found")
    return row


@router.get(ADM + "/invoices/{invoice_id}", response_model=s.InvoiceDetail, responses=NOT_FOUND)
async def invoice_detail(
    administration_id: str,
    invoice_id: str,
    principal: CurrentPrincipal,
    state: State,
    session: Session,
) -> s.InvoiceDetail:
    """One invoice: attention, the planned step, and the timeline of executed steps and
    messages, newest first."""
    authorize(principal, administration_id, Action.READ)
    row = await _invoice_row(session, administration_id, invoice_id)
    keys = {"administration_id": administration_id, "invoice_id": invoice_id}
    timeline: list[s.TimelineEntry] = [
        s.TimelineEntry(
            kind="step",
            at=aware(r.at),
            step_id=r.step_id,
            executed_on=r.executed_on,
            phase=r.phase,
            channels=list(r.channels),
            reason=r.reason,
            legally_required=r.legally_required,
        )
        for r in await session.execute(_INVOICE_STEPS, keys)
    ]
    for r in await session.execute(_INVOICE_MESSAGES, keys):
        timeline.append(
            s.TimelineEntry(
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
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    pauses = _Pauses.of_page([row])
    return s.InvoiceDetail(
        **_invoice_summary(row, state.today(), pauses),
        pdf_url=row.pdf_url,
        attention=await _attention_of(session, administration_id, "invoice", invoice_id),
        planned=s.PlannedStepOut(
            step_id=row.next_step_id,
            planned_on=row.next_step_on,
            on_hold=row.on_hold,
            blocked_by=row.blocked_by,
        ),
        timeline=timeline,
    )


@router.get(ADM + "/attention", response_model=s.AttentionPage, responses=NOT_FOUND)
async def attention_items(
    administration_id: str,
    principal: CurrentPrincipal,
    session: Session,
    reason: Annotated[str | None, Query(max_length=50)] = None,
    subject_type: Literal["invoice", "debtor"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.AttentionPage:
    """Open attention items, newest first: what a person should look at, and why."""
    authorize(principal, administration_id, Action.READ)
    a = rm_attention.c
    where: list[sa.ColumnElement[bool]] = [a.administration_id == administration_id, a.open]
    if reason:
        where.append(a.reason == reason)
    if subject_type:
        where.append(a.subject_type == subject_type)
    # Ties on the time are broken by subject and reason, joined in one sortable key.
    tie = a.subject_type + ":" + a.subject_id + ":" + a.reason
    if cursor:
        since, after = _decode_cursor(cursor, 2)
        try:
            moment = datetime.fromisoformat(since)
        except ValueError:
            raise HTTPException(422, detail="invalid cursor") from None
        where.append(_after(a.at, tie, moment, after, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_attention, tie.label("tie"))
            .where(*where)
            .order_by(a.at.desc(), tie.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return s.AttentionPage(
        items=[
            s.AttentionOut(
                subject_type=r.subject_type,
                subject_id=r.subject_id,
                reason=r.reason,
                sentence=r.sentence,
                since=aware(r.at),
            )
            for r in rows
        ],
        next_cursor=(
            _encode_cursor([rows[-1].at.isoformat(), rows[-1].tie]) if more and rows else None
        ),
    )


# --- users of an administration ----------------------------------------------------------------


@router.get(ADM + "/users", response_model=list[s.MemberOut], responses=NOT_FOUND)
async def members(
    administration_id: str, principal: CurrentPrincipal, session: Session
) -> list[s.MemberOut]:
    """The users with a role in the administration (administrators only)."""
    authorize(principal, administration_id, Action.SETTINGS)
    rows = await session.execute(
        sa.select(users.c.id, users.c.email, users.c.name, users.c.active, memberships.c.role)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.administration_id == administration_id)
        .order_by(users.c.email)
    )
    return [
        s.MemberOut(user_id=r.id, email=r.email, name=r.name, role=r.role, active=r.active)
        for r in rows
    ]


@router.put(ADM + "/users/{user_id}", response_model=s.MemberOut, responses=NOT_FOUND)
async def set_role(
    administration_id: str,
    user_id: str,
    body: s.MemberIn,
    principal: CurrentPrincipal,
    state: State,
) -> s.MemberOut:
    """Give a user of the same organisation a role in the administration (administrators
    only). Takes effect on the user's next request."""
    authorize(principal, administration_id, Action.SETTINGS)
    async with transaction(state.runtime.sessions) as session:
        user = (await session.execute(sa.select(users).where(users.c.id == user_id))).first()
        if user is None:
            raise HTTPException(404, detail="user not found")
        try:
            await grant(session, user_id, administration_id, Role(body.role))
        except IdentityError:
            # Another organisation's user: as unknown as a user that does not exist.
            raise HTTPException(404, detail="user not found") from None
    # Committed: this replica applies the new role at once, others within principal_cache_s.
    state.principals.clear()
    return s.MemberOut(
        user_id=user.id, email=user.email, name=user.name, role=body.role, active=user.active
    )


@router.delete(ADM + "/users/{user_id}", status_code=204, responses=NOT_FOUND)
async def remove_member(
    administration_id: str, user_id: str, principal: CurrentPrincipal, state: State
) -> Response:
    """Take the user's role in the administration away (administrators only; not your own,
    so an administration never loses its last administrator by accident)."""
    authorize(principal, administration_id, Action.SETTINGS)
    if user_id == principal.subject:
        raise HTTPException(409, detail="you cannot remove your own role")
    async with transaction(state.runtime.sessions) as session:
        removed = await session.execute(
            sa.delete(memberships).where(
                memberships.c.administration_id == administration_id,
                memberships.c.user_id == user_id,
            )
        )
    state.principals.clear()
    if not removed.rowcount:
        raise HTTPException(404, detail="user not found")
    return Response(status_code=204)


# --- debtors --------------------------------------------------------------------------------


def _debtor_summary(row: Any, reasons: Mapping[str, Collection[str]]) -> dict[str, Any]:
    """The fields of a DebtorSummary (a dict, as _invoice_summary says why)."""
    columns = row._mapping
    fields = {key: columns[key] for key in _DEBTOR_SUMMARY_KEYS}
    fields["attention"] = sorted(reasons.get(fields["debtor_id"], []))
    return fields


# Keys read per debtor page of a search, as a multiple of the page: room for debtors found
# by more than one word (a fuller page of duplicates still pages on correctly).
SEARCH_OVERREAD = 3

_DEBTOR_SUMMARY_KEYS = ("debtor_id", "number", "name", "kind", "open_invoices", "open_amount")


@functools.lru_cache(maxsize=256)
def _debtor_keys_query(
    terms: int, has_open_invoices: bool | None, attention: bool, cursor: bool
) -> sa.Select[Any]:
    """(name, debtor_id) of a debtor page in order, every value a bound parameter: built once
    per shape, as _invoice_page_query. With `terms`, debtors with a word in the range
    low0..high0 and one in each further range lowN..highN."""
    adm: sa.BindParameter[str] = sa.bindparam("administration_id")
    d = rm_debtors.c
    keys: sa.Select[Any]
    if terms:
        w = rm_debtor_words.alias("w")
        name, debtor = w.c.name, w.c.debtor_id
        keys = sa.select(name, debtor).where(
            w.c.administration_id == adm,
            w.c.word >= sa.bindparam("low0"),
            w.c.word < sa.bindparam("high0"),
        )
        for i in range(1, terms):
            other = rm_debtor_words.alias(f"w{i}")
            keys = keys.where(
                sa.exists().where(
                    other.c.administration_id == adm,
                    other.c.debtor_id == debtor,
                    other.c.word >= sa.bindparam(f"low{i}"),
                    other.c.word < sa.bindparam(f"high{i}"),
                )
            )
        if has_open_invoices is not None:
            keys = keys.join(rm_debtors, sa.and_(d.administration_id == adm, d.debtor_id == debtor))
    else:
        name, debtor = d.name, d.debtor_id
        keys = sa.select(name, debtor).where(d.administration_id == adm)
    if has_open_invoices is True:
        keys = keys.where(d.open_invoices > 0)
    elif has_open_invoices is False:
        keys = keys.where(d.open_invoices == 0)
    if attention:
        a = rm_attention.c
        keys = keys.where(
            sa.exists().where(
                a.administration_id == adm,
                a.subject_type == "debtor",
                a.subject_id == debtor,
                a.reason == sa.bindparam("attention"),
                a.open,
            )
        )
    if cursor:
        keys = keys.where(
            _after(name, debtor, sa.bindparam("after_name"), sa.bindparam("after_id"), desc=False)
        )
    return keys.order_by(name, debtor).limit(sa.bindparam("limit", type_=sa.Integer))


@functools.lru_cache(maxsize=256)
def _debtor_page_query(
    terms: int, has_open_invoices: bool | None, attention: bool, cursor: bool
) -> sa.Select[Any]:
    """A debtor page in one statement: the page's keys first, from an index alone (words, or
    names), numbered in order; then only those debtors' summaries and open attention reasons
    (a row per reason). Left joins, so the last key's number tells whether more were there."""
    adm: sa.BindParameter[str] = sa.bindparam("administration_id")
    k = _debtor_keys_query(terms, has_open_invoices, attention, cursor).subquery("k")
    numbered = sa.select(
        k.c.debtor_id,
        sa.func.row_number().over(order_by=(k.c.name, k.c.debtor_id)).label("position"),
    ).subquery("n")
    d, a = rm_debtors.c, rm_attention.c
    return (
        sa.select(*(d[key] for key in _DEBTOR_SUMMARY_KEYS), numbered.c.position, a.reason)
        .select_from(numbered)
        .outerjoin(
            rm_debtors, sa.and_(d.administration_id == adm, d.debtor_id == numbered.c.debtor_id)
        )
        .outerjoin(
            rm_attention,
            sa.and_(
                a.administration_id == adm,
                a.subject_type == "debtor",
                a.subject_id == numbered.c.debtor_id,
                a.open,
            ),
        )
        .order_by(numbered.c.position)
    )


@router.get(ADM + "/debtors", response_model=s.DebtorPage, responses=NOT_FOUND)
async def list_debtors(
    administration_id: str,
    principal: CurrentPrincipal,
    session: Session,
    attention: Annotated[str | None, Query(max_length=50)] = None,
    has_open_invoices: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="name or number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.DebtorPage:
    """Debtors by name, a page at a time (keyset). `q` finds debtors with a word of the name
    (or the number) starting with each word of `q`."""
    authorize(principal, administration_id, Action.READ)
    params: dict[str, Any] = {"administration_id": administration_id, "attention": attention}
    terms: list[str] = []
    if q:
        terms = search_terms(q)
        if not terms:  # only punctuation: no word to look for
            return s.DebtorPage(items=[], next_cursor=None)
        for i, term in enumerate(terms):
            params[f"low{i}"], params[f"high{i}"] = prefix_range(term)
    if cursor:
        params["after_name"], params["after_id"] = _decode_cursor(cursor, 2)
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
    items = [_debtor_summary(r, reasons) for r in list(found.values())[:limit]]
    return s.DebtorPage.model_validate(
        {
            "items": items,
            "next_cursor": (
                _encode_cursor([items[-1]["name"], items[-1]["debtor_id"]])
                if more and items
                else None
            ),
        }
    )


async def _debtor_row(session: AsyncSession, administration_id: str, debtor_id: str) -> Any:
    row = (
        await session.execute(
            sa.select(rm_debtors).where(
                rm_debtors.c.administration_id == administration_id,
                rm_debtors.c.debtor_id == debtor_id,
            )
        )
    ).first()
    if row is None:
        raise HTTPException(404, detail="debtor not found")
    return row


@router.get(ADM + "/debtors/{debtor_id}", response_model=s.DebtorDetail, responses=NOT_FOUND)
async def debtor_detail(
    administration_id: str,
    debtor_id: str,
    principal: CurrentPrincipal,
    state: State,
    session: Session,
) -> s.DebtorDetail:
    """A debtor with addresses and contacts, its open invoices (with their planned steps),
    attention and messages."""
    authorize(principal, administration_id, Action.READ)
    row = await _debtor_row(session, administration_id, debtor_id)
    today = state.today()
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
    items = await _attention_of(session, administration_id, "debtor", debtor_id)
    pauses = await _pauses(session, administration_id, [debtor_id])  # its invoices' debtor
    return s.DebtorDetail.model_validate(
        {
            **_debtor_summary(row, {debtor_id: [i.reason for i in items]}),
            "pause": pauses.debtors.get(debtor_id, "active"),
            "emails": list(row.emails),
            "phone": row.phone,
            "address_lines": list(row.address_lines),
            "postal_code": row.postal_code,
            "city": row.city,
            "country": row.country,
            "language": row.language,
            "attention_items": items,
            "invoices": [_invoice_summary(r, today, pauses) for r in invoices],
            "messages": [_message_out(r) for r in messages],
        }
    )


# --- inbox ----------------------------------------------------------------------------------


@router.get(ADM + "/inbox", response_model=s.MessagePage, responses=NOT_FOUND)
async def inbox(
    administration_id: str,
    principal: CurrentPrincipal,
    session: Session,
    unread: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.MessagePage:
    """Replies from debtors, newest first."""
    authorize(principal, administration_id, Action.READ)
    m = rm_messages.c
    where: list[sa.ColumnElement[bool]] = [
        m.administration_id == administration_id,
        m.direction == "inbound",
    ]
    if unread is not None:
        where.append(m.read == (not unread))
    if cursor:
        created, tie = _decode_cursor(cursor, 2)
        try:
            moment = datetime.fromisoformat(created)
        except ValueError:
            raise HTTPException(422, detail="invalid cursor") from None
        where.append(_after(m.created_at, m.message_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_messages, rm_debtors.c.name.label("debtor_name"))
            .outerjoin(
                rm_debtors,
                sa.and_(
                    rm_debtors.c.administration_id == m.administration_id,
                    rm_debtors.c.debtor_id == m.debtor_id,
                ),
            )
            .where(*where)
            .order_by(m.created_at.desc(), m.message_id.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return s.MessagePage(
        items=[_message_out(r) for r in rows],
        next_cursor=(
            _encode_cursor([rows[-1].created_at.isoformat(), rows[-1].message_id])
            if more and rows
            else None
        ),
    )


def _correlation(request: Request) -> str | None:
    return request.headers.get(CORRELATION_HEADER)


async def _mark(
    request: Request,
    state: GatewayState,
    principal: Any,
    administration_id: str,
    message_id: str,
    read: bool,
) -> None:
    authorize(principal, administration_id, Action.MESSAGE)
    async with state.runtime.sessions() as session:
        owner = await session.scalar(
            sa.select(rm_messages.c.administration_id).where(rm_messages.c.message_id == message_id)
        )
    if owner != administration_id:
        raise HTTPException(404, detail="message not found")
    await state.upstreams.call(
        "messaging",
        "POST",
        f"/internal/v1/administrations/{administration_id}/messages/{message_id}/"
        + ("read" if read else "unread"),
        correlation_id=_correlation(request),
    )
    async with transaction(state.runtime.sessions) as session:
        await mark_read_locally(
            session, administration_id, message_id, read, state.runtime.clock.now()
        )


@router.post(ADM + "/messages/{message_id}/read", status_code=204, responses=NOT_FOUND)
async def mark_read(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> Response:
    """Mark a reply read (messaging records it; the inbox shows it at once)."""
    await _mark(request, state, principal, administration_id, message_id, read=True)
    return Response(status_code=204)


@router.post(ADM + "/messages/{message_id}/unread", status_code=204, responses=NOT_FOUND)
async def mark_unread(
    administration_id: str,
    message_id: str,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> Response:
    """Mark a reply unread again."""
    await _mark(request, state, principal, administration_id, message_id, read=False)
    return Response(status_code=204)


@router.post(ADM + "/messages", status_code=202, responses=NOT_FOUND)
async def send_message(
    administration_id: str,
    body: s.SendMessageIn,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
    session: Session,
) -> s.ServiceAnswer:
    """Write to a debtor. The debtor's details come from the read model; messaging queues the
    email and answers with the message id. The message is in the debtor's thread at once."""
    authorize(principal, administration_id, Action.MESSAGE)
    debtor = await _debtor_row(session, administration_id, body.debtor_id)
    address = None
    if debtor.address_lines and debtor.postal_code and debtor.city:
        address = {
            "street": ", ".join(debtor.address_lines),
            "postal_code": debtor.postal_code,
            "city": debtor.city,
            "country": debtor.country or "NL",
        }
    payload = {
        "debtor": {
            "debtor_id": debtor.debtor_id,
            "number": debtor.number,
            "name": debtor.name,
            "kind": debtor.kind,
            "emails": list(debtor.emails),
            "phone": debtor.phone,
            "address": address,
        },
        "language": body.language or debtor.language or "nl",
        "tone": body.tone,
        "subject": body.subject,
        "body": body.body,
        "sender_name": principal.name,
        "invoice_ids": body.invoice_ids,
        "thread_id": body.thread_id,
    }
    answer = await state.upstreams.call(
        "messaging",
        "POST",
        f"/internal/v1/administrations/{administration_id}/messages",
        json=payload,
        correlation_id=_correlation(request),
    )
    result: dict[str, Any] = answer.json()
    async with transaction(state.runtime.sessions) as local:
        await record_written_locally(
            local,
            administration_id=administration_id,
            message_id=str(result["message_id"]),
            debtor_id=body.debtor_id,
            thread_id=body.thread_id,
            subject=body.subject,
            invoice_ids=body.invoice_ids,
            at=state.runtime.clock.now(),
        )
    return result


# --- imports --------------------------------------------------------------------------------


@router.get(ADM + "/imports", response_model=s.ImportRunPage, responses=NOT_FOUND)
async def import_runs(
    administration_id: str,
    principal: CurrentPrincipal,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> s.ImportRunPage:
    """Finished import runs with their counts, newest first."""
    authorize(principal, administration_id, Action.READ)
    r = rm_import_runs.c
    where: list[sa.ColumnElement[bool]] = [r.administration_id == administration_id]
    if cursor:
        started, tie = _decode_cursor(cursor, 2)
        try:
            moment = datetime.fromisoformat(started)
        except ValueError:
            raise HTTPException(422, detail="invalid cursor") from None
        where.append(_after(r.started_at, r.run_id, moment, tie, desc=True))
    rows = (
        await session.execute(
            sa.select(rm_import_runs)
            .where(*where)
            .order_by(r.started_at.desc(), r.run_id.desc())
            .limit(limit + 1)
        )
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return s.ImportRunPage(
        items=[
            s.ImportRunOut(
                run_id=row.run_id,
                source=row.source,
                status=row.status,
                error=row.error,
                counts=dict(row.counts),
                started_at=aware(row.started_at),
                finished_at=aware(row.finished_at),
                duration_ms=row.duration_ms,
            )
            for row in rows
        ],
        next_cursor=(
            _encode_cursor([rows[-1].started_at.isoformat(), rows[-1].run_id])
            if more and rows
            else None
        ),
    )


async def _proxy(
    request: Request,
    state: GatewayState,
    service: str,
    method: str,
    administration_id: str,
    path: str,
    **kwargs: Any,
) -> Any:
    answer = await state.upstreams.call(
        service,
        method,
        f"/internal/v1/administrations/{administration_id}{path}",
        correlation_id=_correlation(request),
        **kwargs,
    )
    return None if answer.status_code == 204 or not answer.content else answer.json()


@router.get(ADM + "/imports/{run_id}", responses=NOT_FOUND)
async def import_run_detail(
    administration_id: str, run_id: str, request: Request, principal: CurrentPrincipal, state: State
) -> s.ServiceAnswer:
    """One run with its rejected records, as the importer has it now."""
    authorize(principal, administration_id, Action.READ)
    result: dict[str, Any] = await _proxy(
        request, state, "importer", "GET", administration_id, f"/runs/{run_id}"
    )
    return result


@router.post(ADM + "/imports", status_code=202, responses=NOT_FOUND)
async def upload_import(
    administration_id: str,
    file: UploadFile,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Upload a file (CSV, XLSX, UBL XML or a zip of them); the importer runs it."""
    authorize(principal, administration_id, Action.WORK)
    content = await file.read()
    result: dict[str, Any] = await _proxy(
        request,
        state,
        "importer",
        "POST",
        administration_id,
        "/imports",
        files={"file": (file.filename or "upload", content, file.content_type)},
    )
    return result


@router.post(ADM + "/connections/{connection_id}/imports", status_code=202, responses=NOT_FOUND)
async def start_import(
    administration_id: str,
    connection_id: str,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Import now from a bookkeeping connection."""
    authorize(principal, administration_id, Action.WORK)
    result: dict[str, Any] = await _proxy(
        request,
        state,
        "importer",
        "POST",
        administration_id,
        f"/connections/{connection_id}/imports",
    )
    return result


# --- settings and dunning control ------------------------------------------------------------


async def _paused_locally(
    state: GatewayState, administration_id: str, debtor_id: str | None, mode: str
) -> None:
    """Dunning accepted the pause: lists and details show it before its event arrives."""
    async with transaction(state.runtime.sessions) as session:
        await record_pause_locally(session, pause_key(administration_id, debtor_id), mode)


@router.get(ADM + "/settings", responses=NOT_FOUND)
async def administration_settings(
    administration_id: str, request: Request, principal: CurrentPrincipal, state: State
) -> s.ServiceAnswer:
    """The administration's pause state and last run, as dunning has it."""
    authorize(principal, administration_id, Action.READ)
    result: dict[str, Any] = await _proxy(request, state, "dunning", "GET", administration_id, "")
    return result


@router.post(ADM + "/pause", responses=NOT_FOUND)
async def pause_administration(
    administration_id: str,
    body: s.PauseIn,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Pause reminders (or everything); answers the administration as dunning has it now."""
    authorize(principal, administration_id, Action.SETTINGS)
    await _proxy(
        request, state, "dunning", "POST", administration_id, "/pause", json=body.model_dump()
    )
    await _paused_locally(state, administration_id, None, body.mode)
    result: dict[str, Any] = await _proxy(request, state, "dunning", "GET", administration_id, "")
    return result


@router.post(ADM + "/resume", responses=NOT_FOUND)
async def resume_administration(
    administration_id: str, request: Request, principal: CurrentPrincipal, state: State
) -> s.ServiceAnswer:
    """Resume; answers the administration as dunning has it now."""
    authorize(principal, administration_id, Action.SETTINGS)
    await _proxy(request, state, "dunning", "POST", administration_id, "/resume")
    await _paused_locally(state, administration_id, None, "active")
    result: dict[str, Any] = await _proxy(request, state, "dunning", "GET", administration_id, "")
    return result


@router.get(ADM + "/flows", responses=NOT_FOUND)
async def flows(
    administration_id: str, request: Request, principal: CurrentPrincipal, state: State
) -> list[dict[str, Any]]:
    """The administration's dunning flows."""
    authorize(principal, administration_id, Action.READ)
    result: list[dict[str, Any]] = await _proxy(
        request, state, "dunning", "GET", administration_id, "/flows"
    )
    return result


@router.put(ADM + "/flows/{flow_id}", responses=NOT_FOUND)
async def update_flow(
    administration_id: str,
    flow_id: str,
    body: dict[str, Any],
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Change a flow (dunning checks it and answers the flow as stored)."""
    authorize(principal, administration_id, Action.SETTINGS)
    result: dict[str, Any] = await _proxy(
        request, state, "dunning", "PUT", administration_id, f"/flows/{flow_id}", json=body
    )
    return result


@router.post(ADM + "/flows", status_code=201, responses=NOT_FOUND)
async def create_flow(
    administration_id: str,
    body: dict[str, Any],
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Add a flow (dunning checks it and answers the flow as stored)."""
    authorize(principal, administration_id, Action.SETTINGS)
    result: dict[str, Any] = await _proxy(
        request, state, "dunning", "POST", administration_id, "/flows", json=body
    )
    return result


@router.delete(ADM + "/flows/{flow_id}", status_code=204, responses=NOT_FOUND)
async def delete_flow(
    administration_id: str,
    flow_id: str,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> Response:
    """Remove a flow (dunning refuses while invoices use it)."""
    authorize(principal, administration_id, Action.SETTINGS)
    await _proxy(request, state, "dunning", "DELETE", administration_id, f"/flows/{flow_id}")
    return Response(status_code=204)


@router.get(ADM + "/profile", responses=NOT_FOUND)
async def profile(
    administration_id: str, request: Request, principal: CurrentPrincipal, state: State
) -> s.ServiceAnswer:
    """How the administration signs its messages: sender details, default and fallback
    language, bounce policy (kept by messaging)."""
    authorize(principal, administration_id, Action.READ)
    result: dict[str, Any] = await _proxy(
        request, state, "messaging", "GET", administration_id, "/profile"
    )
    return result


@router.put(ADM + "/profile", responses=NOT_FOUND)
async def update_profile(
    administration_id: str,
    body: dict[str, Any],
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Change the profile (languages among it); answers it as messaging stored it."""
    authorize(principal, administration_id, Action.SETTINGS)
    await _proxy(request, state, "messaging", "PUT", administration_id, "/profile", json=body)
    result: dict[str, Any] = await _proxy(
        request, state, "messaging", "GET", administration_id, "/profile"
    )
    return result


@router.post(ADM + "/debtors/{debtor_id}/pause", status_code=204, responses=NOT_FOUND)
async def pause_debtor(
    administration_id: str,
    debtor_id: str,
    body: s.PauseIn,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> Response:
    """Pause a debtor's reminders (or everything for the debtor)."""
    authorize(principal, administration_id, Action.WORK)
    await _proxy(
        request,
        state,
        "dunning",
        "POST",
        administration_id,
        f"/debtors/{debtor_id}/pause",
        json=body.model_dump(),
    )
    await _paused_locally(state, administration_id, debtor_id, body.mode)
    return Response(status_code=204)


@router.post(ADM + "/debtors/{debtor_id}/resume", status_code=204, responses=NOT_FOUND)
async def resume_debtor(
    administration_id: str,
    debtor_id: str,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> Response:
    """Resume a debtor."""
    authorize(principal, administration_id, Action.WORK)
    await _proxy(
        request, state, "dunning", "POST", administration_id, f"/debtors/{debtor_id}/resume"
    )
    await _paused_locally(state, administration_id, debtor_id, "active")
    return Response(status_code=204)


InvoiceCommand = Literal["pause", "resume", "steps/skip", "steps/perform-now", "flow/reset"]


async def _invoice_command(
    request: Request,
    state: GatewayState,
    principal: Any,
    administration_id: str,
    invoice_id: str,
    command: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    authorize(principal, administration_id, Action.WORK)
    result: dict[str, Any] = await _proxy(
        request,
        state,
        "dunning",
        "POST",
        administration_id,
        f"/invoices/{invoice_id}/{command}",
        json=body,
    )
    return result


def _invoice_route(command: str, summary: str) -> None:
    async def route(
        administration_id: str,
        invoice_id: str,
        request: Request,
        principal: CurrentPrincipal,
        state: State,
    ) -> s.ServiceAnswer:
        return await _invoice_command(
            request, state, principal, administration_id, invoice_id, command
        )

    route.__doc__ = summary + " Answers the invoice's dunning as it is now."
    name = "invoice_" + command.replace("/", "_").replace("-", "_")
    route.__name__ = name
    router.post(ADM + f"/invoices/{{invoice_id}}/{command}", responses=NOT_FOUND, name=name)(route)


_invoice_route("pause", "Put an invoice on hold.")
_invoice_route("resume", "Take an invoice off hold.")
_invoice_route("steps/skip", "Skip the invoice's next step.")
_invoice_route("steps/perform-now", "Perform the invoice's next step now.")
_invoice_route("flow/reset", "Start the invoice's flow again.")


@router.post(ADM + "/invoices/{invoice_id}/steps/reschedule", responses=NOT_FOUND)
async def reschedule_step(
    administration_id: str,
    invoice_id: str,
    body: s.RescheduleIn,
    request: Request,
    principal: CurrentPrincipal,
    state: State,
) -> s.ServiceAnswer:
    """Move the invoice's next step to another date. Answers the invoice's dunning."""
    return await _invoice_command(
        request,
        state,
        principal,
        administration_id,
        invoice_id,
        "steps/reschedule",
        {"to": body.to.isoformat()},
    )
