"""The administrations' connections in the database, and the daily slots the scheduler claims."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.tables import connections
from settle_importer.domain.connections import Connection
from settle_shared.db import aware


class ConnectionRepository:
    """Connections, inside one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _one(administration_id: str, connection_id: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            connections.c.administration_id == administration_id,
            connections.c.id == connection_id,
        )

    async def save(self, connection: Connection, now: datetime, first_slot: date) -> None:
        """Create or replace a connection; a new one is scheduled from ``first_slot`` on. A
        connection saved with another source or configuration forgets when its last
        successful run began: the next run reads everything (or from ``updated_after``)."""
        before = await self.get(connection.administration_id, connection.id)
        values: dict[str, Any] = {
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
            "default_payment_term_days": connection.default_payment_term_days,
            "updated_at": now,
        }
        if before is not None and (
            before.source_kind != connection.source_kind or before.config != connection.config
        ):
            values["last_success_started_at"] = None
        found = await self.session.execute(
            sa.update(connections)
            .where(self._one(connection.administration_id, connection.id))
            .values(values)
        )
        if not getattr(found, "rowcount", 0):
            await self.session.execute(
                sa.insert(connections).values(
                    administration_id=connection.administration_id,
                    id=connection.id,
                    created_at=now,
                    last_scheduled_for=first_slot,
                    **values,
                )
            )

    async def get(self, administration_id: str, connection_id: str) -> Connection | None:
        row = (
            await self.session.execute(
                sa.select(connections).where(self._one(administration_id, connection_id))
            )
        ).first()
        return None if row is None else _connection(row)

    async def of_administration(self, administration_id: str) -> list[Connection]:
        """The administration's connections, by id."""
        rows = await self.session.execute(
            sa.select(connections)
            .where(connections.c.administration_id == administration_id)
            .order_by(connections.c.id)
        )
        return [_connection(row) for row in rows]

    async def for_delivery(self, administration_id: str) -> Connection | None:
        """The first connection (by id) whose settings apply to delivered files."""
        row = (
            await self.session.execute(
                sa.select(connections)
                .where(
                    connections.c.administration_id == administration_id,
                    connections.c.schedule == "on_delivery",
                )
                .order_by(connections.c.id)
                .limit(1)
            )
        ).first()
        return None if row is None else _connection(row)

    async def daily(self) -> list[tuple[Connection, date | None]]:
        """Every daily connection with the local date of the last slot claimed for it."""
        rows = await self.session.execute(
            sa.select(connections).where(connections.c.schedule == "daily")
        )
        return [(_connection(row), row.last_scheduled_for) for row in rows]

    async def claim_slot(self, connection: Connection, due: date) -> bool:
        """Claim the slot of ``due``, unless a replica claimed it (or a later one) already."""
        claimed = await self.session.execute(
            sa.update(connections)
            .where(
                self._one(connection.administration_id, connection.id),
                sa.or_(
                    connections.c.last_scheduled_for.is_(None),
                    connections.c.last_scheduled_for < due,
                ),
            )
            .values(last_scheduled_for=due)
        )
        return bool(getattr(claimed, "rowcount", 0))

    async def record_success(
        self, administration_id: str, connection_id: str, started: datetime
    ) -> None:
        """A run of the connection that began at ``started`` succeeded (a later one's mark
        is kept)."""
        await self.session.execute(
            sa.update(connections)
            .where(
                self._one(administration_id, connection_id),
                sa.or_(
                    connections.c.last_success_started_at.is_(None),
                    connections.c.last_success_started_at < started,
                ),
            )
            .values(last_success_started_at=started)
        )

    async def give_slot_back(self, connection: Connection, last: date | None) -> None:
        """Undo a claim: the slot claimed before is ``last`` again."""
        await self.session.execute(
            sa.update(connections)
            .where(self._one(connection.administration_id, connection.id))
            .values(last_scheduled_for=last)
        )


def _connection(row: Any) -> Connection:
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
        default_payment_term_days=row.default_payment_term_days,
        last_success_started_at=aware(row.last_success_started_at),
    )
