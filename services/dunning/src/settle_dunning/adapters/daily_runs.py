"""The record of each administration's daily run per business date: when it ran and what it
did (a date run again adds to its counts)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from settle_dunning.adapters.sql import SqlRepository
from settle_dunning.adapters.tables import daily_runs


class DailyRunRepository(SqlRepository):
    """The `daily_runs` table."""

    async def start(self, administration_id: str, business_date: date) -> None:
        """Record that the run of a date started (again, when it is repeated: the loop compares
        the invoices' changes with the latest start)."""
        existing = await self.session.scalar(
            sa.select(daily_runs.c.business_date).where(
                daily_runs.c.administration_id == administration_id,
                daily_runs.c.business_date == business_date,
            )
        )
        if existing is None:
            await self.session.execute(
                sa.insert(daily_runs).values(
                    administration_id=administration_id,
                    business_date=business_date,
                    started_at=self.now,
                    finished_at=None,
                    steps_executed=0,
                    messages_requested=0,
                )
            )
        else:
            await self.session.execute(
                sa.update(daily_runs)
                .where(
                    daily_runs.c.administration_id == administration_id,
                    daily_runs.c.business_date == business_date,
                )
                .values(started_at=self.now)
            )

    async def finish(
        self, administration_id: str, business_date: date, steps: int, messages: int
    ) -> None:
        """Add a run's counts to the record of its date."""
        await self.session.execute(
            sa.update(daily_runs)
            .where(
                daily_runs.c.administration_id == administration_id,
                daily_runs.c.business_date == business_date,
            )
            .values(
                finished_at=self.now,
                steps_executed=daily_runs.c.steps_executed + steps,
                messages_requested=daily_runs.c.messages_requested + messages,
            )
        )
