"""Connections: how and when an administration's bookkeeping is imported."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from settle_importer.application.administrations import check_known, require_administration
from settle_importer.application.context import ImporterContext
from settle_importer.application.ports import Connector
from settle_importer.domain.connections import Connection, Schedule
from settle_importer.domain.errors import InvalidRequest, NotFound
from settle_shared.db import transaction

__all__ = [
    "Connection",
    "Schedule",
    "connector_of",
    "delivery_connection",
    "get_connection",
    "list_connections",
    "save_connection",
    "slot_date",
    "zone_of",
]


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
    """Create or replace a connection (validated first) of an administration the gateway
    announced."""
    await check_known(ctx, connection.administration_id)
    try:
        ctx.sources.check_mapping(connection.config)
    except ValueError as exc:
        raise InvalidRequest(f"the column mapping cannot be used: {exc}") from None
    zone = zone_of(connection.time_zone or ctx.settings.default_time_zone)
    at = connection.schedule_time or ctx.settings.default_schedule_time
    now = ctx.clock.now()
    async with transaction(ctx.sessions) as session:
        # A new daily connection starts with the next slot, not with one that already
        # passed today: "import now" is there for that.
        connections = ctx.repositories(session).connections()
        await connections.save(connection, now, slot_date(now, at, zone))
        stored = await connections.get(connection.administration_id, connection.id)
    return stored or connection


async def get_connection(
    ctx: ImporterContext, administration_id: str, connection_id: str
) -> Connection:
    """One connection of the administration, or ``NotFound``."""
    async with transaction(ctx.sessions) as session:
        connections = ctx.repositories(session).connections()
        connection = await connections.get(administration_id, connection_id)
    if connection is None:
        raise NotFound(f"no connection {connection_id!r} in administration {administration_id}")
    return connection


async def list_connections(ctx: ImporterContext, administration_id: str) -> list[Connection]:
    """The administration's connections, by id (``UnknownAdministration`` for one the gateway
    has not announced)."""
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        await require_administration(repos, administration_id)
        return await repos.connections().of_administration(administration_id)


async def delivery_connection(ctx: ImporterContext, administration_id: str) -> Connection | None:
    """The connection whose settings apply to delivered files (upload, drop folder)."""
    async with transaction(ctx.sessions) as session:
        return await ctx.repositories(session).connections().for_delivery(administration_id)


def connector_of(ctx: ImporterContext, connection: Connection) -> Callable[[], Connector]:
    """How a run of the connection opens its source: an incremental one (Moneybird) asks for
    what changed since the connection's last successful run began."""
    since = connection.changed_since()
    return lambda: ctx.sources.for_connection(connection.source_kind, connection.config, since)
