"""Dunning's intake of imported invoices on PostgreSQL, where a batch takes the bulk
statements (COPY of the new states, one array parameter per lookup)."""

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial

import pytest
import sqlalchemy as sa

from settle_dunning.adapters.consumer import apply_batch
from settle_dunning.adapters.tables import attention_items, debtors, dunning_states, metadata
from settle_dunning.app import SERVICE, context_for
from settle_dunning.domain.online_payments import PaymentHold
from settle_dunning.settings import DunningSettings
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import create_engine, outbox_table, session_factory, transaction
from settle_shared.envelope import Envelope
from settle_shared.events import importer
from settle_shared.migrations import upgrade

pytestmark = pytest.mark.integration

ADM = "adm-pg-intake"


def received(i: int, administration_id: str = ADM, **extra: object) -> ReceivedEvent:
    fact = importer.InvoiceImported(
        administration_id=administration_id,
        invoice_id=f"inv-{i:05d}",
        number=f"F{i}",
        version=1,
        run_id="run-1",
        debtor_id=f"deb-{i // 5}",
        debtor_number=f"D{i // 5}",
        invoice_date=date(2025, 2, 1),
        due_date=date(2025, 3, 3),
        amount=Decimal("100.00"),
        open_amount=Decimal("100.00"),
        currency="EUR",
        payment_condition="30",
        **extra,
    )
    envelope = Envelope.wrap(
        fact,
        source="/settle/importer",
        time=datetime(2025, 3, 20, 8, tzinfo=UTC),
        administration_id=administration_id,
        correlation_id="run-1",
    )
    return ReceivedEvent(envelope, fact, importer.INVOICES.name, 0, i)


async def test_a_batch_of_imported_invoices_is_stored_in_bulk_and_a_replay_changes_nothing(
    pg_database: str,
) -> None:
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    engine = create_engine(pg_database)
    ctx = context_for(DunningSettings(database_url=pg_database), session_factory(engine))
    handle = partial(apply_batch, ctx)
    batch = [received(i) for i in range(60)]
    batch[7] = received(7, due_date_source="default_term")
    try:
        async with transaction(ctx.sessions) as session:
            repos = ctx.repositories(session)
            await ctx.ensure_administration(repos, ADM)
            hold = PaymentHold("inv-00003", "pay-1", "deb-0", date(2025, 3, 19), date(2025, 4, 2))
            await repos.payment_holds.add(ADM, hold)
        async with transaction(ctx.sessions) as session:
            await handle(session, batch)

        async with engine.connect() as conn:
            states = {
                row.invoice_id: row
                for row in await conn.execute(
                    sa.select(dunning_states).where(dunning_states.c.administration_id == ADM)
                )
            }
            stored_debtors = (await conn.execute(sa.select(debtors.c.id, debtors.c.version))).all()
            reasons = sorted(
                (row.subject_id, row.reason)
                for row in await conn.execute(sa.select(attention_items))
            )
            events = await conn.scalar(
                sa.select(sa.func.count()).select_from(outbox_table(metadata))
            )
        assert len(states) == 60
        assert {row.flow_id for row in states.values()} == {"default-consumer"}
        assert states["inv-00003"].blocked_by == "online_payment_registered"
        assert sorted(stored_debtors) == sorted((f"deb-{d}", 0) for d in range(12))
        assert reasons == [
            ("inv-00003", "online_payment_registered"),
            ("inv-00007", "due_date_assumed"),
        ]
        assert events == 62  # a plan per invoice and the two items

        # The same facts again (a replay under new event ids): no version is newer.
        async with transaction(ctx.sessions) as session:
            await handle(session, [received(i) for i in range(60)])
        async with engine.connect() as conn:
            again = await conn.scalar(
                sa.select(sa.func.count()).select_from(outbox_table(metadata))
            )
        assert again == events
    finally:
        await engine.dispose()


async def test_the_planner_learns_the_size_of_a_first_import(pg_database: str) -> None:
    # A table without statistics is planned as empty: lookups by id would scan it whole.
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    engine = create_engine(pg_database)
    ctx = context_for(DunningSettings(database_url=pg_database), session_factory(engine))
    administration_id = "adm-pg-statistics"
    try:
        for start in range(0, 5_000, 500):
            async with transaction(ctx.sessions) as session:
                await apply_batch(
                    ctx,
                    session,
                    [received(i, administration_id) for i in range(start, start + 500)],
                )
        async with engine.connect() as conn:
            known = dict(
                (
                    await conn.execute(
                        sa.text(
                            "SELECT relname, reltuples FROM pg_class "
                            "WHERE relname IN ('dunning_states', 'debtors')"
                        )
                    )
                ).all()
            )
        # Refreshed each time the table's file doubled: the planner knows it within a factor
        # 2 (the 1,000 debtors stay under the 16 pages from which the rule starts).
        assert 2_500 <= known["dunning_states"] <= 5_000
    finally:
        await engine.dispose()


def debtor_received(debtor_id: str, kind: str = "business") -> ReceivedEvent:
    fact = importer.DebtorUpserted(
        administration_id=ADM,
        debtor_id=debtor_id,
        number=f"D-{debtor_id}",
        version=1,
        name=f"Debtor {debtor_id}",
        kind=kind,
        emails=[f"{debtor_id}@example.nl"],
    )
    envelope = Envelope.wrap(
        fact,
        source="/settle/importer",
        time=datetime(2025, 3, 20, 8, tzinfo=UTC),
        administration_id=ADM,
        correlation_id="run-1",
    )
    return ReceivedEvent(envelope, fact, importer.DEBTORS.name, 0, 0)


async def _race(
    ctx: object, first: list[ReceivedEvent], second: list[ReceivedEvent]
) -> BaseException | None:
    """Apply `first` in a transaction kept open while `second` runs in another, as two
    consumers of the group do (the invoices and the debtors are on different partitions);
    then `second` again if it failed, as the consumer does. Returns what it failed with."""
    handle = partial(apply_batch, ctx)

    async def apply_second() -> None:
        async with transaction(ctx.sessions) as session:  # type: ignore[attr-defined]
            await handle(session, second)

    async with transaction(ctx.sessions) as session:  # type: ignore[attr-defined]
        await handle(session, first)
        racing = asyncio.create_task(apply_second())
        await asyncio.sleep(1)  # `second` waits for `first`'s rows
    failed: BaseException | None = None
    try:
        await racing
    except Exception as exc:
        failed = exc
        await apply_second()
    return failed


@pytest.mark.parametrize("debtor_first", [True, False], ids=["debtor-first", "invoice-first"])
async def test_a_debtor_fact_racing_its_first_invoice_leaves_a_business_on_its_flow(
    pg_database: str, debtor_first: bool
) -> None:
    # The debtor fact and the invoice that first names the debtor, taken in at the same moment
    # by two consumers: neither may undo the other (a placeholder over the real debtor, or a
    # debtor that turns out a business without moving its invoice to the business flow).
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, pg_database)
    engine = create_engine(pg_database)
    ctx = context_for(DunningSettings(database_url=pg_database), session_factory(engine))
    invoice = [received(0)]  # debtor deb-0
    debtor = [debtor_received("deb-0")]
    try:
        async with transaction(ctx.sessions) as session:
            await ctx.ensure_administration(ctx.repositories(session), ADM)
        if debtor_first:
            await _race(ctx, debtor, invoice)
        else:
            await _race(ctx, invoice, debtor)

        async with engine.connect() as conn:
            stored = (
                await conn.execute(
                    sa.select(debtors.c.kind, debtors.c.version, debtors.c.emails).where(
                        debtors.c.administration_id == ADM, debtors.c.id == "deb-0"
                    )
                )
            ).one()
            flow_id = await conn.scalar(
                sa.select(dunning_states.c.flow_id).where(
                    dunning_states.c.administration_id == ADM,
                    dunning_states.c.invoice_id == "inv-00000",
                )
            )
        assert tuple(stored) == ("business", 1, ["deb-0@example.nl"])
        assert flow_id == "default-business"
    finally:
        await engine.dispose()
