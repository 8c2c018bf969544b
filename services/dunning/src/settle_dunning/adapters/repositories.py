"""The repositories of one transaction, one per aggregate, as the use cases get them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.adapters.administrations import AdministrationRepository
from settle_dunning.adapters.attention import AttentionRepository
from settle_dunning.adapters.collection_holds import CollectionHoldRepository
from settle_dunning.adapters.daily_runs import DailyRunRepository
from settle_dunning.adapters.debtors import DebtorRepository
from settle_dunning.adapters.dunning_states import DunningStateRepository
from settle_dunning.adapters.flows import FlowRepository
from settle_dunning.adapters.mailboxes import MailboxRepository
from settle_dunning.adapters.payment_holds import PaymentHoldRepository
from settle_dunning.adapters.payment_plans import PaymentPlanRepository
from settle_dunning.adapters.plan_offers import PlanOfferRepository
from settle_dunning.adapters.sql import is_postgres
from settle_dunning.adapters.tables import debtors, dunning_states
from settle_shared.planner_statistics import refresh_when_grown


class SqlRepositories:
    """Every repository over one session, stamping rows with `now` (the ports'
    `Repositories`)."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        postgres = is_postgres(session)
        self.administrations = AdministrationRepository(session, now, postgres=postgres)
        self.flows = FlowRepository(session, now, postgres=postgres)
        self.debtors = DebtorRepository(session, now, postgres=postgres)
        self.states = DunningStateRepository(session, now, postgres=postgres)
        self.attention = AttentionRepository(session, now, postgres=postgres)
        self.mailboxes = MailboxRepository(session, now, postgres=postgres)
        self.daily_runs = DailyRunRepository(session, now, postgres=postgres)
        self.payment_holds = PaymentHoldRepository(session, now, postgres=postgres)
        self.payment_plans = PaymentPlanRepository(session, now, postgres=postgres)
        self.collection_holds = CollectionHoldRepository(session, now, postgres=postgres)
        self.plan_offers = PlanOfferRepository(session, now, postgres=postgres)
        self._session = session

    async def refresh_planner_statistics(self) -> None:
        """ANALYZE the tables the intake fills once they grew enough (settle_shared's rule)."""
        await refresh_when_grown(self._session, [dunning_states, debtors])
