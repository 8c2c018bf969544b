"""What every use case needs: the database, the outbox, business time and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from settle_dunning.application.ports import Repositories, RepositoryFactory
from settle_dunning.domain import default_flows
from settle_dunning.domain.plans import PlanSettings
from settle_dunning.settings import DunningSettings
from settle_shared.clock import Clock, today
from settle_shared.outbox import Outbox


@dataclass(frozen=True)
class DunningContext:
    """The service's parts as the use cases see them."""

    sessions: async_sessionmaker[AsyncSession]
    outbox: Outbox
    clock: Clock
    settings: DunningSettings
    repository_factory: RepositoryFactory
    # What the intake added since the planner's statistics were refreshed (kept per process).

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone business dates fall in."""
        return ZoneInfo(self.settings.time_zone)

    @property
    def template_keys(self) -> frozenset[str]:
        """Templates a flow step may use."""
        return frozenset(self.settings.template_keys)

    @property
    def plan_settings(self) -> PlanSettings:
        """When payment plans remind, and how long an instalment may be late."""
        return PlanSettings(
            reminder_days=self.settings.payment_plan_reminder_days,
            grace_days=self.settings.payment_plan_grace_days,
        )

    def business_date(self) -> date:
        """Today's business date, from the business clock."""
        return today(self.clock, self.time_zone)

    def repositories(self, session: AsyncSession) -> Repositories:
        """The repositories of one transaction."""
        return self.repository_factory(session, self.clock.now())

    async def ensure_administration(self, repos: Repositories, administration_id: str) -> None:
        """Create an administration we have not heard of, with the default flows.

        The gateway announces every administration (gateway.administrations.v1) before its
        first import; an importer fact or messaging event about one not heard of yet (the
        announcement is on another topic and may come a moment later) creates it all the same.
        """
        if await repos.administrations.get(administration_id) is not None:
            return
        # Created by this transaction only: one created at the same moment by another (an
        # importer fact and a command) keeps the default flows that one added.
        if await repos.administrations.create(administration_id):
            for position, flow in enumerate(default_flows(self.settings.default_country)):
                await repos.flows.add(administration_id, flow, position)
