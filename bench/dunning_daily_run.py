"""Benchmark: the dunning daily run on PostgreSQL over many open invoices of one
administration, a share of them due. Prints wall time, steps/s and the ratio to the floor:
one SQL query selecting the same due rows.

    .venv/bin/python bench/dunning_daily_run.py [--sizes 100000,1000000] [--due 0.1] [--plans 0.1]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust); creates and drops its own
database per size. Fixture rows are loaded with COPY so setup stays fast; setup then vacuums
and checkpoints, so the run starts from the state a table in service is in (hint bits set,
the load written back) instead of paying for the bulk load's write-back. The last lines
compare the sizes: the run should grow with the due steps, not with the open invoices.

With `--plans`, that share of the invoices is held by a payment plan of its own (three
monthly instalments); of those plans the `--due` share has an instalment reminder due on the
run's date, which the run sends beside the due steps.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg
import sqlalchemy as sa

from settle_dunning.adapters.codec import state_columns
from settle_dunning.adapters.payment_plans import plan_to_json
from settle_dunning.app import SERVICE, context_for
from settle_dunning.application.daily_run import run_day
from settle_dunning.domain import Invoice, default_flows, new_dunning_state, plan_next_step
from settle_dunning.domain.plans import (
    PlanKind,
    PlanSettings,
    PlanTerms,
    hold_for_plan,
    make_plan,
    next_action_on,
)
from settle_dunning.settings import DunningSettings
from settle_shared.db import create_engine, session_factory, transaction
from settle_shared.migrations import upgrade
from settle_shared.testing.infra import LOCAL_POSTGRES, scratch_database

SERVER = os.environ.get("SETTLE_TEST_POSTGRES_URL", LOCAL_POSTGRES)
ADM = "adm-bench"
BUSINESS_DATE = date(2025, 3, 20)  # a Thursday
INVOICES_PER_DEBTOR = 5


def fixture_rows(
    total: int, due_share: float, plan_share: float = 0.0, seed: int = 7
) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(state rows, debtor rows, plan rows): `due_share` of the invoices have a step due by
    the date; `plan_share` of them are held by a plan instead, `due_share` of those plans with
    an instalment reminder due."""
    rng = random.Random(seed)
    flow = default_flows("NL")[0]
    now = datetime.now(UTC)
    # Build each kind of state once and vary only ids: planning a million states one by one
    # would measure the fixture, not the run.
    templates = {}
    for kind, due in (("due", date(2025, 3, 3)), ("later", date(2025, 5, 5))):
        invoice = Invoice(
            "x", "x", "x", date(2025, 2, 1), due, Decimal("121.00"), Decimal("121.00")
        )
        templates[kind] = state_columns(plan_next_step(new_dunning_state(invoice, flow.id), flow))
    plan_templates = {}
    for kind, first in (("due", date(2025, 3, 22)), ("later", date(2025, 4, 15))):
        state = plan_next_step(new_dunning_state(invoice, flow.id), flow)
        terms = PlanTerms(PlanKind.MONTHLY, first, instalments=3)
        plan = make_plan("x", [state], ["x"], terms, date(2025, 3, 1))
        plan_templates[kind] = (
            state_columns(hold_for_plan(state, plan)),
            plan_to_json(plan),
            next_action_on(plan, PlanSettings()),
        )
    states = []
    plans = []
    debtors = total // INVOICES_PER_DEBTOR
    for i in range(total):
        kind = "due" if rng.random() < due_share else "later"
        invoice_id, debtor_id = f"inv-{i:07d}", f"deb-{i % debtors:07d}"
        if rng.random() < plan_share:
            columns, plan_data, action_on = plan_templates[kind]
            plan_id = f"plan-{i:07d}"
            plan_row = dict(plan_data, id=plan_id, debtor_id=debtor_id, invoice_ids=[invoice_id])
            plan_row["open_amounts"] = [[invoice_id, plan_data["open_amounts"][0][1]]]
            plans.append(
                (ADM, plan_id, debtor_id, "active", action_on, json.dumps(plan_row), now, now)
            )
            data = dict(columns["state"])
            data["plan_hold"] = {"plan_id": plan_id, "requested": False}
        else:
            columns = templates[kind]
            data = dict(columns["state"])
        data["invoice"] = dict(data["invoice"], id=invoice_id, number=f"F{i}", debtor_id=debtor_id)
        states.append(
            (
                ADM,
                invoice_id,
                debtor_id,
                flow.id,
                columns["phase"],
                columns["next_step_date"],
                columns["open_amount"],
                "EUR",
                False,
                False,
                None,
                1,
                json.dumps(data),
                now,
            )
        )
    debtor_rows = [
        (
            ADM,
            f"deb-{d:07d}",
            f"D{d}",
            f"Debtor {d}",
            "business",
            json.dumps([f"d{d}@example.nl"]),
            None,
            "nl",
            None,
            "active",
            None,
            1,
            now,
        )
        for d in range(debtors)
    ]
    return states, debtor_rows, plans


async def bench(total: int, due_share: float, plan_share: float = 0.0) -> dict[str, float]:
    async with scratch_database(SERVER, "settle_bench_dunning") as url:
        return await bench_on(url, total, due_share, plan_share)


async def bench_on(
    url: str, total: int, due_share: float, plan_share: float = 0.0
) -> dict[str, float]:
    await asyncio.to_thread(upgrade, SERVICE.migrations_dir, url)
    settings = DunningSettings(database_url=url)
    engine = create_engine(url)
    ctx = context_for(settings, session_factory(engine))
    async with transaction(ctx.sessions) as session:
        await ctx.ensure_administration(ctx.repositories(session), ADM)

    started = time.perf_counter()
    states, debtors, plans = fixture_rows(total, due_share, plan_share)
    conn = await asyncpg.connect(url.replace("+asyncpg", ""))
    await conn.copy_records_to_table(
        "debtors",
        records=debtors,
        columns=[
            "administration_id",
            "id",
            "number",
            "name",
            "kind",
            "emails",
            "phone",
            "language",
            "address",
            "pause",
            "last_reminded_on",
            "version",
            "updated_at",
        ],
    )
    await conn.copy_records_to_table(
        "dunning_states",
        records=states,
        columns=[
            "administration_id",
            "invoice_id",
            "debtor_id",
            "flow_id",
            "phase",
            "next_step_date",
            "open_amount",
            "currency",
            "settled",
            "on_hold",
            "blocked_by",
            "fact_version",
            "state",
            "updated_at",
        ],
    )
    await conn.copy_records_to_table(
        "payment_plans",
        records=plans,
        columns=[
            "administration_id",
            "plan_id",
            "debtor_id",
            "status",
            "next_action_on",
            "plan",
            "created_at",
            "updated_at",
        ],
    )
    await conn.execute("VACUUM ANALYZE")
    await conn.execute("CHECKPOINT")
    setup_s = time.perf_counter() - started

    # The floor: one query returning the same due rows, whole.
    floor_started = time.perf_counter()
    due_rows = await conn.fetch(
        "SELECT * FROM dunning_states WHERE administration_id = $1 AND next_step_date <= $2",
        ADM,
        BUSINESS_DATE,
    )
    floor_s = time.perf_counter() - floor_started
    await conn.close()
    due_count = len(due_rows)
    plans_due = sum(1 for p in plans if p[4] is not None and p[4] <= BUSINESS_DATE)
    # The fixture is not part of the service: free it so the run is measured without it.
    del states, debtors, due_rows, plans
    gc.collect()

    run_started = time.perf_counter()
    summary = await run_day(ctx, ADM, BUSINESS_DATE)
    run_s = time.perf_counter() - run_started
    again_started = time.perf_counter()
    again = await run_day(ctx, ADM, BUSINESS_DATE)
    again_s = time.perf_counter() - again_started
    async with engine.connect() as c:
        outbox_rows = await c.scalar(sa.text("SELECT count(*) FROM outbox"))
    await engine.dispose()
    assert summary.steps_executed == due_count, (summary, due_count)
    assert again.steps_executed == 0 and again.messages_requested == 0
    return {
        "open": total,
        "due": due_count,
        "plans_due": plans_due,
        "setup_s": setup_s,
        "floor_s": floor_s,
        "run_s": run_s,
        "steps_per_s": summary.steps_executed / run_s,
        "ratio": run_s / floor_s,
        "messages": summary.messages_requested,
        "events": outbox_rows or 0,
        "again_s": again_s,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--due", type=float, default=0.10, help="share of invoices due")
    parser.add_argument(
        "--plans", type=float, default=0.0, help="share of invoices held by a payment plan"
    )
    args = parser.parse_args()
    header = (
        f"{'open':>9} {'due':>8} {'plans due':>9} {'setup s':>8} {'floor s':>8} {'run s':>7} "
        f"{'steps/s':>8} {'x floor':>8} {'messages':>8} {'events':>8} {'rerun s':>7}"
    )
    print(header, flush=True)
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        r = await bench(size, args.due, args.plans)
        results.append(r)
        print(
            f"{r['open']:>9,.0f} {r['due']:>8,.0f} {r['plans_due']:>9,.0f} "
            f"{r['setup_s']:>8.1f} {r['floor_s']:>8.2f} "
            f"{r['run_s']:>7.1f} {r['steps_per_s']:>8,.0f} {r['ratio']:>8.1f} "
            f"{r['messages']:>8,.0f} {r['events']:>8,.0f} {r['again_s']:>7.2f}",
            flush=True,
        )
    # Growth from the smallest size: linear in the due steps means the run time grows by the
    # same factor as the due steps (steps/s stays put), whatever the open invoices do.
    first = results[0]
    for r in results[1:]:
        print(
            f"{r['open'] / first['open']:.0f}x open invoices, {r['due'] / first['due']:.1f}x due "
            f"steps: run {r['run_s'] / first['run_s']:.1f}x, steps/s "
            f"{r['steps_per_s'] / first['steps_per_s']:.2f}x, floor "
            f"{r['floor_s'] / first['floor_s']:.1f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
