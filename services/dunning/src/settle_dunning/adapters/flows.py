"""The administrations' dunning flows, stored as their definitions in selection order."""

from __future__ import annotations

import sqlalchemy as sa

from settle_dunning.adapters.codec import flow_from_json, flow_to_json
from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import flows
from settle_dunning.domain import Flow


class FlowRepository(SqlRepository):
    """The `flows` table."""

    async def all(self, administration_id: str) -> list[Flow]:
        """The administration's flows in their order (selection ties go to the first)."""
        rows = await self.session.execute(
            sa.select(flows.c.definition)
            .where(flows.c.administration_id == administration_id)
            .order_by(flows.c.position, flows.c.id)
        )
        return [flow_from_json(row.definition) for row in rows]

    async def get(self, administration_id: str, flow_id: str) -> Flow | None:
        """One flow, or None."""
        definition = await self.session.scalar(
            sa.select(flows.c.definition).where(
                flows.c.administration_id == administration_id, flows.c.id == flow_id
            )
        )
        return flow_from_json(definition) if definition is not None else None

    async def add(self, administration_id: str, flow: Flow, position: int | None = None) -> None:
        """Add a flow (last in order unless a position is given)."""
        if position is None:
            top = await self.session.scalar(
                sa.select(sa.func.max(flows.c.position)).where(
                    flows.c.administration_id == administration_id
                )
            )
            position = 0 if top is None else top + 1
        await self.session.execute(
            sa.insert(flows).values(
                administration_id=administration_id,
                id=flow.id,
                position=position,
                definition=flow_to_json(flow),
                updated_at=self.now,
            )
        )

    async def replace(self, administration_id: str, flow: Flow) -> None:
        """Store a new definition of an existing flow."""
        await self.session.execute(
            sa.update(flows)
            .where(flows.c.administration_id == administration_id, flows.c.id == flow.id)
            .values(definition=flow_to_json(flow), updated_at=self.now)
        )

    async def delete(self, administration_id: str, flow_id: str) -> None:
        """Remove a flow."""
        await self.session.execute(
            sa.delete(flows).where(
                flows.c.administration_id == administration_id, flows.c.id == flow_id
            )
        )
