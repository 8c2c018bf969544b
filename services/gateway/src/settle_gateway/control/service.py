"""Pauses as the read model has them (what holds an invoice), and a pause or resume dunning
accepted, shown at once through the projection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_invoices, rm_pauses
from settle_gateway.application.context import GatewayContext
from settle_gateway.control import projection
from settle_shared.db import transaction


@dataclass(frozen=True)
class Pauses:
    """The pauses that hold the invoices of one answer: the administration's, and those of
    the debtors asked for (absent: active)."""

    administration: str
    debtors: dict[str, str]

    @classmethod
    def of_page(cls, rows: Sequence[Any]) -> Pauses:
        """The pauses of rows that carry `debtor_pause` and `administration_pause`."""
        return cls(
            administration=(rows[0].administration_pause if rows else None) or "active",
            debtors={r.debtor_id: r.debtor_pause for r in rows if r.debtor_pause},
        )

    def of(self, row: Any) -> Literal["invoice", "debtor", "administration"] | None:
        """What holds the invoice of `row`, if anything does."""
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


async def pauses_of(
    session: AsyncSession, administration_id: str, debtor_ids: Iterable[str | None] = ()
) -> Pauses:
    """One query for the administration's pause and those of `debtor_ids`."""
    wanted = sorted({d for d in debtor_ids if d is not None})
    found = (
        await session.execute(
            _PAUSED, {"administration_id": administration_id, "debtor_ids": wanted}
        )
    ).all()
    return Pauses(
        administration=next(
            (r.mode for r in found if r.subject_type == "administration"), "active"
        ),
        debtors={r.subject_id: r.mode for r in found if r.subject_type == "debtor"},
    )


def _pause_of(subject_type: str, subject_id: sa.ColumnElement[Any] | None) -> Any:
    pauses = rm_pauses.c
    where = [
        pauses.administration_id == sa.bindparam("administration_id"),
        pauses.subject_type == subject_type,
        pauses.mode != "active",
    ]
    if subject_id is not None:
        where.append(pauses.subject_id == subject_id)
    return sa.select(pauses.mode).where(*where).scalar_subquery()


# A page's pauses come with its rows (see Pauses.of_page), not from a query of their own.
PAUSE_COLUMNS = (
    _pause_of("debtor", rm_invoices.c.debtor_id).label("debtor_pause"),
    _pause_of("administration", None).label("administration_pause"),
)


async def show_pause(
    context: GatewayContext, administration_id: str, debtor_id: str | None, mode: str
) -> None:
    """Dunning accepted the pause: lists and details show it before its event arrives."""
    async with transaction(context.sessions) as session:
        await projection.record_pause_locally(
            session, projection.pause_key(administration_id, debtor_id), mode
        )
