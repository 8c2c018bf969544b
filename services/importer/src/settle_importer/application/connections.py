"""Connections: how and when an administration's bookkeeping is imported."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.connectors import mapping_from_config
from settle_importer.adapters.sources import CsvMapping
from settle_importer.adapters.tables import connections
from settle_importer.application.importing import ImporterContext, RunOptions
from settle_importer.domain import IgnoreRules
from settle_importer.domain.errors import InvalidRequest, NotFound, check_administration_id
from settle_shared.db import transaction

Schedule = Literal["daily", "on_demand", "on_delivery"]


@dataclass(frozen=True)
class Connection:
    """One way bookkeeping reaches Settle for an administration."""

    administration_id: str
    id: str
    name: str
    source_kind: str
    config: dict[str, Any]
    schedule: Schedule
    schedule_time: time | None = None
    time_zone: str | None = None
    complete_list: bool = False
    ignore_invoice_numbers: list[str] = field(default_factory=list)
    ignore_debtor_numbers: list[str] = field(default_factory=list)
    ignore_payment_conditions: list[str] = field(default_factory=list)

    def options(self) -> RunOptions:
        """How runs of this connection read their records."""
        return RunOptions(
            complete=self.complete_list,
            ignore=IgnoreRules.parse(
                invoice_numbers=self.ignore_invoice_numbers,
                debtor_numbers=self.ignore_debtor_numbers,
                payment_conditions=self.ignore_payment_conditions,
            ),
        )

    def mapping(self) -> CsvMapping | None:
        """The CSV/XLSX column mapping, when one is configured."""
        return mapping_from_config(self.config)


def slot_date(now: datetime, at: time, zone: ZoneInfo) -> date:
    """The local date of the most recent daily slot at or before ``now``."""
    local = now.astimezone(zone)
    return local.date() if local.time() >= at else local.date() - timedelta(days=1)


def zone_of(name: str) -> ZoneInfo:
    """A time zone by its IANA name, or ``InvalidRequest``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"unknown time zone {name!r}") from None


async def save_connection(ctx: ImporterContext, connection: Connection) -> Connection:
    """Create or replace a connection (validated first)."""
    check_administration_id(connection.administration_id)
    try:
        connection.mapping()
        connection.options()
    except ValueError as exc:
        raise InvalidRequest(f"invalid column mapping: {exc}") from None
    zone = zone_of(connection.time_zone or ctx.settings.default_time_zone)
    at = connection.schedule_time or ctx.settings.default_schedule_time
    now = ctx.clock.now()
    values = {
        "name": connection.name,
        "source_kind": connection.source_kind,
        "config": connection.config,
        "schedule": connection.schedule,
        "schedule_time": connection.schedule_time,
        "time_zone": connection.time_zone,
        "complete_list": connection.complete_list,
        "ignore_invoice_numbers": connection.ignore_invoice_numbers,
        "ignore_debtor_numbers": connection.ignore_debtor_numbers,
        "ignore_payment_conditions": connection.ignore_payment_conditions,
        "updated_at": now,
    }
    t = connections
    async with transaction(ctx.sessions) as session:
        found = await session.execute(
            sa.update(t)
            .where(t.c.administration_id == connection.administration_id, t.c.id == connection.id)
            .values(values)
        )
        if not getattr(found, "rowcount", 0):
            # A new daily connection starts with the next slot, not with one that already
            # passed today: "import now" is there for that.
            await session.execute(
                sa.insert(t).values(
                    administration_id=connection.administration_id,
                    id=connection.id,
                    created_at=now,
                    last_scheduled_for=slot_date(now, at, zone),
                    **values,
                )
            )
    return connection


async def get_connection(
    session: AsyncSession, administration_id: str, connection_id: str
) -> Connection:
    """One connection of the administration, or ``NotFound``."""
    t = connections
    row = (
        await session.execute(
            sa.select(t).where(t.c.administration_id == administration_id, t.c.id == connection_id)
        )
    ).first()
    if row is None:
        raise NotFound(f"no connection {connection_id!r} in administration {administration_id}")
    return connection_from_row(row)


async def list_connections(ctx: ImporterContext, administration_id: str) -> list[Connection]:
    """The administration's connections, by id."""
    t = connections
    async with transaction(ctx.sessions) as session:
        rows = await session.execute(
            sa.select(t).where(t.c.administration_id == administration_id).order_by(t.c.id)
        )
        return [connection_from_row(row) for row in rows]


async def delivery_connection(session: AsyncSession, administration_id: str) -> Connection | None:
    """The connection whose settings apply to delivered files (upload, drop folder)."""
    t = connections
    row = (
        await session.execute(
            sa.select(t)
            .where(t.c.administration_id == administration_id, t.c.schedule == "on_delivery")
            .order_by(t.c.id)
            .limit(1)
        )
    ).first()
    return None if row is None else connection_from_row(row)


def connection_from_row(row: Any) -> Connection:
    return Connection(
        administration_id=row.administration_id,
        id=row.id,
        name=row.name,
        source_kind=row.source_kind,
        config=dict(row.config or {}),
        schedule=row.schedule,
        schedule_time=row.schedule_time,
        time_zone=row.time_zone,
        complete_list=bool(row.complete_list),
        ignore_invoice_numbers=list(row.ignore_invoice_numbers or []),
        ignore_debtor_numbers=list(row.ignore_debtor_numbers or []),
        ignore_payment_conditions=list(row.ignore_payment_conditions or []),
    )
