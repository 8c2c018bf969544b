"""The daily run's repository queries on PostgreSQL, and the `settle dunning run` command."""

import asyncio
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from settle_dunning.adapters.tables import debtors, dunning_states, executed_steps
from settle_dunning.app import SERVICE, context_for
from settle_dunning.application.daily_run import run_day
from settle_dunning.domain import (
    Debtor,
    DebtorType,
    Invoice,
    default_flows,
    new_dunning_state,
    plan_next_step,
)
from settle_dunning.settings import DunningSettings
from settle_shared.cli.main import app as settle_cli
from settle_shared.db import create_engine, outbox_table, session_factory, transaction
from settle_shared.migrations import upgrade

pytestmark = pytest.mark.integration

ADM = "adm-pg"


# Batches of 7 store with the portable statements; batches of 1000 with PostgreSQL's bulk
# statements (one UPDATE from arrays, COPY of the executed steps).
@pytest.mark.parametrize("batch_size", [7, 1000])
async def test_the_daily_run_selects_only_due_invoices_and_is_idempotent(
    pg_database: str, monkeypatch: pytest.MonkeyPatch, batch_size: int
) -> None:
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    settings = DunningSettings(database_url=pg_database, daily_run_batch_size=batch_size)
    engine = create_engine(pg_database)
    ctx = context_for(settings, session_factory(engine))
    business, _ = default_flows("NL")
    try:
        async with transaction(ctx.sessions) as session:
            repos = ctx.repositories(session)
            await ctx.ensure_administration(repos, ADM)
            for d in range(10):
                debtor = Debtor(
                    f"deb-{d}", f"D{d}", f"Debtor {d}", DebtorType.B2B, emails=(f"d{d}@example.nl",)
                )
                await repos.debtors.save_many(ADM, [(debtor, 1)])
            for i in range(40):
                # Every fourth invoice is due long after the business date.
                due = date(2025, 3, 3) if i % 4 else date(2025, 6, 2)
                invoice = Invoice(
                    f"inv-{i:03d}",
                    f"F{i}",
                    f"deb-{i % 10}",
                    date(2025, 2, 1),
                    due,
                    Decimal("100.00"),
                    Decimal("100.00"),
                )
                state = plan_next_step(new_dunning_state(invoice, business.id), business)
                await repos.states.add(ADM, [state])
            assert len(await repos.states.due_keys(ADM, date(2025, 3, 20))) == 30

        first = await run_day(ctx, ADM, date(2025, 3, 20))
        assert (first.invoices_due, first.steps_executed) == (30, 30)
        assert first.messages_requested == 10  # three invoices per debtor, bundled
        again = await run_day(ctx, ADM, date(2025, 3, 20))
        assert (again.invoices_due, again.steps_executed) == (0, 0)

        async with engine.connect() as conn:
            types = (
                await conn.execute(
                    sa.select(
                        outbox_table(SERVICE.metadata).c.event_type, sa.func.count()
                    ).group_by(outbox_table(SERVICE.metadata).c.event_type)
                )
            ).all()
            waiting = await conn.scalar(
                sa.select(sa.func.count()).where(dunning_states.c.next_step_date.is_not(None))
            )
            phases = (
                await conn.execute(
                    sa.select(dunning_states.c.phase, dunning_states.c.next_step_date)
                    .where(dunning_states.c.invoice_id == "inv-001")
                    .distinct()
                )
            ).all()
            steps = (
                await conn.execute(
                    sa.select(executed_steps.c.step_id, executed_steps.c.channels).where(
                        executed_steps.c.invoice_id == "inv-001"
                    )
                )
            ).all()
            reminded = set(await conn.scalars(sa.select(debtors.c.last_reminded_on)))
        async with transaction(ctx.sessions) as session:
            [stored] = await ctx.repositories(session).states.many(ADM, ["inv-001"])
        assert dict(types) == {
            "settle.dunning.step.executed": 30,
            "settle.dunning.phase.changed": 30,
            "settle.dunning.message.requested": 10,
        }
        assert waiting == 40
        assert phases == [("reminder_1", date(2025, 4, 3))]
        assert steps == [("reminder-1", ["email"])]
        assert reminded == {date(2025, 3, 20)}
        assert stored.phase.code == "reminder_1" and stored.next_step_date == date(2025, 4, 3)
        assert [s.step_id for s in stored.executed] == ["reminder-1"]
    finally:
        await engine.dispose()

    # The command line runs the same use case; an earlier date is refused.
    monkeypatch.setenv("SETTLE_DUNNING_DATABASE_URL", pg_database)
    runner = CliRunner()
    same = await asyncio.to_thread(
        runner.invoke,
        settle_cli,
        ["dunning", "run", "--as-of", "2025-03-20", "--administration", ADM],
    )
    assert same.exit_code == 0, same.output
    assert "0 steps executed" in same.output
    earlier = await asyncio.to_thread(
        runner.invoke, settle_cli, ["dunning", "run", "--as-of", "2025-03-19"]
    )
    assert earlier.exit_code == 1
    assert "before the last run" in earlier.output


async def test_an_administration_created_twice_at_once_exists_once(pg_database: str) -> None:
    # An importer fact and a pause command may both find the administration missing; the
    # second creation must neither fail nor add its default flows again.
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    settings = DunningSettings(database_url=pg_database)
    engine = create_engine(pg_database)
    ctx = context_for(settings, session_factory(engine))
    first, second = ctx.sessions(), ctx.sessions()
    try:
        async with first.begin(), second.begin():
            await ctx.ensure_administration(ctx.repositories(first), ADM)
            racing = asyncio.ensure_future(ctx.ensure_administration(ctx.repositories(second), ADM))
            await asyncio.sleep(0.2)  # the second insert waits on the first's row
            assert not racing.done()
            await first.commit()
            await racing
        async with transaction(ctx.sessions) as session:
            flows = await ctx.repositories(session).flows.all(ADM)
        assert [flow.id for flow in flows] == ["default-business", "default-consumer"]
    finally:
        await first.close()
        await second.close()
        await engine.dispose()
