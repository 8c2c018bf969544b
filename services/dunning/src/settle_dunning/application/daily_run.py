"""The daily run of one administration for one business date: check the date and record the
run, select the due invoices through the `next_step_date` index, and handle them in batches of
whole debtors, each in its own transaction. A crash between batches leaves the done batches
done; running the date again does the rest (docs/dunning.md, "The daily run")."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from settle_dunning.application.context import DunningContext
from settle_dunning.application.plans import run_plans
from settle_dunning.application.publishing import OutgoingEvents
from settle_dunning.domain import (
    Administration,
    AdministrationPause,
    Flow,
    UnknownAdministration,
    check_business_date,
    due_steps,
    next_sending_day_when_closed,
    run_daily,
)
from settle_shared.db import is_retryable, is_sqlite, transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class RunSummary:
    """What one daily run did."""

    administration_id: str
    business_date: date
    invoices_due: int
    steps_executed: int
    messages_requested: int
    events_published: int
    # Set when steps were due but the date is a sending day for none of the flows.
    next_sending_day: date | None = None


def debtor_batches(keys: list[tuple[str, str]], size: int) -> Iterator[list[str]]:
    """Invoice ids in batches of about `size`, never splitting one debtor's invoices."""
    by_debtor: dict[str, list[str]] = {}
    for invoice_id, debtor_id in keys:
        by_debtor.setdefault(debtor_id, []).append(invoice_id)
    batch: list[str] = []
    for debtor_id in sorted(by_debtor):
        batch += by_debtor[debtor_id]
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Collector:
    """No full garbage collections while runs are under way.

    A run allocates millions of short-lived objects (states, events, rows) that reference
    counting frees; the cyclic collector would still walk the whole heap again and again for
    them, a large share of the pure rules' time. While any run is under way, the
    automatic collector is off, the objects that existed before are frozen out of its view,
    and after each batch only the young generations are collected (whatever a batch left in
    cycles, without walking the old heap). Runs may overlap (the background loop and an API
    call), so the last one to finish switches the collector back on.
    """

    def __init__(self) -> None:
        self._active = 0
        self._was_enabled = True

    @contextmanager
    def relaxed(self) -> Iterator[None]:
        if self._active == 0:
            self._was_enabled = gc.isenabled()
            gc.disable()
            gc.freeze()
        self._active += 1
        try:
            yield
        finally:
            self._active -= 1
            if self._active == 0:
                gc.unfreeze()
                if self._was_enabled:
                    gc.enable()

    def freeze_what_the_run_keeps(self) -> None:
        """Freeze what the run keeps for its whole length (the due keys)."""
        if self._active:
            gc.freeze()

    def after_batch(self) -> None:
        """Collect the cycles the batch left, in the young generations only."""
        if self._active:
            gc.collect(1)


_collector = _Collector()


async def run_day(ctx: DunningContext, administration_id: str, business_date: date) -> RunSummary:
    """Execute every step due by `business_date` in one administration.

    Raises UnknownAdministration for an unknown administration and BusinessDateBeforeLastRun
    for a date before the last run.
    """
    with _collector.relaxed():
        return await _run_day(ctx, administration_id, business_date)


async def _run_day(ctx: DunningContext, administration_id: str, business_date: date) -> RunSummary:
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        administration = await repos.administrations.get(administration_id, lock=True)
        if administration is None:
            raise UnknownAdministration(administration_id)
        check_business_date(business_date, administration.last_run_date)
        await repos.administrations.set_last_run_date(administration_id, business_date)
        await repos.daily_runs.start(administration_id, business_date)
        flows = {flow.id: flow for flow in await repos.flows.all(administration_id)}
        keys = (
            []
            if administration.pause is AdministrationPause.FULLY_PAUSED
            else await repos.states.due_keys(administration_id, business_date)
        )

    # Grouped before the collector freezes what the run keeps.
    batches = iter(list(debtor_batches(keys, ctx.settings.daily_run_batch_size)))
    totals = [0, 0, 0]
    _collector.freeze_what_the_run_keeps()

    async def worker() -> None:
        # Batches hold whole debtors, so they touch disjoint rows and may run side by side:
        # one computes while another waits for the database.
        for batch in batches:
            counts = await _run_batch(ctx, administration, flows, business_date, batch)
            for i, count in enumerate(counts):
                totals[i] += count
            _collector.after_batch()

    concurrency = 1 if is_sqlite(ctx.settings.database_url) else ctx.settings.daily_run_workers
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    # Payment plans' reminders go on whatever the pauses (their own module and index).
    plans_day = await run_plans(ctx, administration_id, business_date)
    totals[1] += plans_day.messages
    totals[2] += plans_day.events
    executed, messages, published = totals

    async with transaction(ctx.sessions) as session:
        await ctx.repositories(session).daily_runs.finish(
            administration_id, business_date, executed, messages
        )
    closed_until = (
        next_sending_day_when_closed(flows.values(), business_date)
        if keys and not executed
        else None
    )
    summary = RunSummary(
        administration_id, business_date, len(keys), executed, messages, published, closed_until
    )
    log.info(
        "daily run finished",
        administration_id=administration_id,
        business_date=business_date.isoformat(),
        due=len(keys),
        executed=executed,
        messages=messages,
    )
    return summary


# A batch that PostgreSQL aborted for a deadlock with a consumer's transaction is run again
# (it reads its states again under lock); a third abort fails the run.
BATCH_ATTEMPTS = 3


async def _run_batch(
    ctx: DunningContext,
    administration: Administration,
    flows: dict[str, Flow],
    business_date: date,
    invoice_ids: list[str],
) -> tuple[int, int, int]:
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return await _run_batch_once(ctx, administration, flows, business_date, invoice_ids)
        except Exception as error:
            if attempt == BATCH_ATTEMPTS or not is_retryable(error):
                raise
            log.warning(
                "daily run batch aborted by the database, run again",
                administration_id=administration.id,
                attempt=attempt,
                error=repr(error),
            )
    raise AssertionError("unreachable")


async def _run_batch_once(
    ctx: DunningContext,
    administration: Administration,
    flows: dict[str, Flow],
    business_date: date,
    invoice_ids: list[str],
) -> tuple[int, int, int]:
    administration_id = administration.id
    async with transaction(ctx.sessions) as session:
        repos = ctx.repositories(session)
        # Re-checked under lock: a fact may have settled or re-planned an invoice meanwhile.
        states = await repos.states.many(administration_id, invoice_ids, due_by=business_date)
        debtor_ids = {s.invoice.debtor_id for s in states}
        debtors = await repos.debtors.many(administration_id, debtor_ids)
        # Only debtors with an open credit note have any: one indexed query per batch.
        with_credit = [d for d in debtor_ids if debtors[d].has_unmatched_credit_note]
        credit_notes = (
            await repos.debtors.open_credit_notes(administration_id, with_credit)
            if with_credit
            else {}
        )
        result = run_daily(
            business_date,
            last_run_date=None,  # checked once for the whole run
            administration=administration,
            flows=flows,
            debtors=debtors,
            states=due_steps(states, business_date),
            credit_notes=credit_notes,
        )
        before = {s.invoice_id: s for s in states}
        after = {s.invoice_id: s for s in result.states}
        await repos.states.update(administration_id, result.states)
        await repos.states.add_executed(administration_id, result.executed)
        await repos.debtors.set_last_reminded(administration_id, result.debtors_reminded)

        outgoing = OutgoingEvents(administration_id)
        executed_ids = set()
        for fact in result.executed:
            executed_ids.add(fact.invoice_id)
            outgoing.step_executed(fact, after[fact.invoice_id])
        for change in result.phase_changes:
            outgoing.phase_changed(change, after[change.invoice_id])
        for ready in result.ready_for_collection:
            outgoing.ready_for_collection(ready)
        for request in result.message_requests:
            outgoing.message_requested(request)
        for invoice_id, state in after.items():
            if invoice_id not in executed_ids:  # deferred or blocked: the plan changed
                outgoing.replanned(before.get(invoice_id), state)
        outgoing.attention(await repos.attention.apply(administration_id, result.attention))
        published = await outgoing.write(session, ctx.outbox)
    return len(result.executed), len(result.message_requests), published


async def run_due_days(ctx: DunningContext) -> list[RunSummary]:
    """The background loop's tick, once the configured local time has passed: run today for
    every administration that has not had its run yet, and again for one whose run is done
    when invoices have become due since (imported or re-planned after the run started;
    running a date again is idempotent)."""
    now = ctx.clock.now().astimezone(ctx.time_zone)
    if now.time() < ctx.settings.daily_run_at:
        return []
    today = now.date()
    async with transaction(ctx.sessions) as session:
        administrations = await ctx.repositories(session).administrations.all()
    summaries = []
    for administration in administrations:
        if not await _run_is_due(ctx, administration.id, administration.last_run_date, today):
            continue
        try:
            summaries.append(await run_day(ctx, administration.id, today))
        except Exception as exc:  # one administration's failure must not stop the others
            log.error("daily run failed", administration_id=administration.id, error=repr(exc))
    return summaries


async def _run_is_due(
    ctx: DunningContext, administration_id: str, last_run_date: date | None, today: date
) -> bool:
    if last_run_date is None or last_run_date < today:
        return True
    if last_run_date > today:  # a later date was run by hand
        return False
    async with transaction(ctx.sessions) as session:
        return await ctx.repositories(session).states.changed_since_run(administration_id, today)
