"""Each invoice's dunning state (one row: the queried columns plus the whole state as JSON)
and its timeline of executed steps."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from settle_dunning.adapters.codec import phase_of, state_columns, state_from_json
from settle_dunning.adapters.sql import BULK_MIN, SqlRepository
from settle_dunning.adapters.tables import daily_runs, dunning_states, executed_steps
from settle_dunning.domain import (
    Channel,
    DunningState,
    ExecutedStep,
    ExecutionReason,
    StepExecuted,
    StepFailure,
)
from settle_dunning.domain.delivery import FailedStep
from settle_shared.db import among

# The value columns of a state row, in the order of the arrays of _UPDATE_STATES, which joins
# them to the table by invoice id. `state` goes as text and is cast to JSON by the server.
_STATE_VALUE_COLUMNS = (
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
)
_UPDATE_STATES = """
UPDATE dunning_states AS s
SET debtor_id = v.debtor_id, flow_id = v.flow_id, phase = v.phase,
    next_step_date = v.next_step_date, open_amount = v.open_amount, currency = v.currency,
    settled = v.settled, on_hold = v.on_hold, blocked_by = v.blocked_by,
    fact_version = v.fact_version, state = v.state::json, updated_at = $2
FROM unnest(
    $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::numeric[], $9::text[],
    $10::boolean[], $11::boolean[], $12::text[], $13::integer[], $14::text[]
) AS v(
    invoice_id, debtor_id, flow_id, phase, next_step_date, open_amount, currency,
    settled, on_hold, blocked_by, fact_version, state
)
WHERE s.administration_id = $1 AND s.invoice_id = v.invoice_id
"""
# The columns of a new state row, in the order `add` copies them.
_ADD_COLUMNS = ["administration_id", "invoice_id", *_STATE_VALUE_COLUMNS, "state", "updated_at"]
_EXECUTED_COLUMNS = [
    "administration_id",
    "invoice_id",
    "flow_id",
    "step_id",
    "executed_on",
    "reason",
    "channels",
    "phase",
    "cycle",
    "legally_required",
    "message_request_id",
    "recorded_at",
]


class DunningStateRepository(SqlRepository):
    """The `dunning_states` and `executed_steps` tables."""

    async def get(
        self, administration_id: str, invoice_id: str, *, lock: bool = True
    ) -> DunningState | None:
        """One invoice's dunning state, or None when the invoice is unknown."""
        query = sa.select(dunning_states.c.state).where(
            dunning_states.c.administration_id == administration_id,
            dunning_states.c.invoice_id == invoice_id,
        )
        if lock:
            query = await self.locked(query)
        data = await self.session.scalar(query)
        return state_from_json(data) if data is not None else None

    async def many(
        self, administration_id: str, invoice_ids: Sequence[str], *, due_by: date | None = None
    ) -> list[DunningState]:
        """The states of these invoices (locked, in invoice id order); with `due_by`, only
        those still due then."""
        found: list[DunningState] = []
        # Rows are locked in invoice id order, as `page` locks a debtor's states, so the two
        # meet in one order. A consumer's transaction may still hold a state it locked before;
        # the daily run runs a batch aborted for such a deadlock again.
        for chunk in self.chunks(sorted(invoice_ids)):
            query = (
                sa.select(dunning_states.c.state)
                .where(
                    dunning_states.c.administration_id == administration_id,
                    among(dunning_states.c.invoice_id, chunk, postgres=self.postgres),
                )
                .order_by(dunning_states.c.invoice_id)
            )
            if due_by is not None:
                query = query.where(dunning_states.c.next_step_date <= due_by)
            found += [
                state_from_json(data)
                for data in await self.session.scalars(await self.locked(query))
            ]
        return found

    async def debtor_open_amount(
        self, administration_id: str, debtor_id: str, currency: str
    ) -> Decimal:
        """What the debtor has open in `currency`: the open amounts of its unsettled invoices."""
        total = await self.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(dunning_states.c.open_amount), 0)).where(
                dunning_states.c.administration_id == administration_id,
                dunning_states.c.debtor_id == debtor_id,
                dunning_states.c.currency == currency,
                dunning_states.c.settled.is_(False),
                dunning_states.c.open_amount > 0,
            )
        )
        return Decimal(total or 0).quantize(Decimal("0.01"))

    async def due_keys(self, administration_id: str, business_date: date) -> list[tuple[str, str]]:
        """(invoice id, debtor id) of every invoice due by `business_date`, via the index."""
        rows = await self.session.execute(
            sa.select(dunning_states.c.invoice_id, dunning_states.c.debtor_id).where(
                dunning_states.c.administration_id == administration_id,
                dunning_states.c.next_step_date <= business_date,
            )
        )
        return [(row.invoice_id, row.debtor_id) for row in rows]

    async def changed_since_run(self, administration_id: str, business_date: date) -> bool:
        """Whether an invoice due by `business_date` changed after that date's run started
        (imported or re-planned since), via the index on the due date."""
        row = await self.session.execute(
            sa.select(dunning_states.c.invoice_id)
            .join(
                daily_runs,
                sa.and_(
                    daily_runs.c.administration_id == dunning_states.c.administration_id,
                    daily_runs.c.business_date == business_date,
                ),
            )
            .where(
                dunning_states.c.administration_id == administration_id,
                dunning_states.c.next_step_date <= business_date,
                dunning_states.c.updated_at > daily_runs.c.started_at,
            )
            .limit(1)
        )
        return row.first() is not None

    async def page(
        self,
        administration_id: str,
        *,
        after: str | None,
        limit: int,
        debtor_id: str | None = None,
        flow_id: str | None = None,
        planned_before: date | None = None,
    ) -> list[DunningState]:
        """A keyset page (by invoice id) of open states, filtered (for re-planning in bulk)."""
        query = sa.select(dunning_states.c.state).where(
            dunning_states.c.administration_id == administration_id,
            dunning_states.c.settled.is_(False),
        )
        if debtor_id is not None:
            query = query.where(dunning_states.c.debtor_id == debtor_id)
        if flow_id is not None:
            query = query.where(dunning_states.c.flow_id == flow_id)
        if planned_before is not None:
            query = query.where(dunning_states.c.next_step_date < planned_before)
        if after is not None:
            query = query.where(dunning_states.c.invoice_id > after)
        query = await self.locked(query.order_by(dunning_states.c.invoice_id).limit(limit))
        return [state_from_json(data) for data in await self.session.scalars(query)]

    async def of_debtors(
        self,
        administration_id: str,
        debtor_ids: Sequence[str],
        *,
        all_of: Sequence[str] | None = None,
    ) -> list[DunningState]:
        """The open states of these debtors (locked, in invoice id order). With `all_of`, of
        the debtors not in it only the blocked states: one statement, so one lock order."""
        found: list[DunningState] = []
        for chunk in self.chunks(sorted(set(debtor_ids))):
            query = (
                sa.select(dunning_states.c.state)
                .where(
                    dunning_states.c.administration_id == administration_id,
                    among(dunning_states.c.debtor_id, chunk, postgres=self.postgres),
                    dunning_states.c.settled.is_(False),
                )
                .order_by(dunning_states.c.invoice_id)
            )
            if all_of is not None:
                query = query.where(
                    sa.or_(
                        dunning_states.c.blocked_by.is_not(None),
                        among(dunning_states.c.debtor_id, all_of, postgres=self.postgres),
                    )
                )
            found += [
                state_from_json(data)
                for data in await self.session.scalars(await self.locked(query))
            ]
        return found

    async def any_open_on_flow(self, administration_id: str, flow_id: str) -> bool:
        """True when an open invoice runs on the flow."""
        found = await self.session.scalar(
            sa.select(dunning_states.c.invoice_id)
            .where(
                dunning_states.c.administration_id == administration_id,
                dunning_states.c.flow_id == flow_id,
                dunning_states.c.settled.is_(False),
            )
            .limit(1)
        )
        return found is not None

    async def add(self, administration_id: str, states: Sequence[DunningState]) -> None:
        """Store the states of newly imported invoices: COPY on PostgreSQL for a batch, an
        executemany elsewhere."""
        if not states:
            return
        if self.postgres and len(states) >= BULK_MIN:
            columns = [state_columns(state) for state in states]
            driver = await self.driver()
            await driver.copy_records_to_table(
                dunning_states.name,
                columns=_ADD_COLUMNS,
                records=[
                    (
                        administration_id,
                        state.invoice_id,
                        *(c[name] for name in _STATE_VALUE_COLUMNS),
                        json.dumps(c["state"], separators=(",", ":")),
                        self.now,
                    )
                    for state, c in zip(states, columns, strict=True)
                ],
            )
            return
        await self.session.execute(
            sa.insert(dunning_states),
            [
                {
                    "administration_id": administration_id,
                    "invoice_id": state.invoice_id,
                    "updated_at": self.now,
                    **state_columns(state),
                }
                for state in states
            ],
        )

    async def update(self, administration_id: str, states: Sequence[DunningState]) -> None:
        """Store changed states: one statement for the lot on PostgreSQL, an executemany
        elsewhere."""
        if not states:
            return
        if self.postgres and len(states) >= BULK_MIN:
            await self._update_in_bulk(administration_id, states)
            return
        columns = [
            c.name
            for c in dunning_states.columns
            if c.name not in ("administration_id", "invoice_id")
        ]
        statement = (
            sa.update(dunning_states)
            .where(
                dunning_states.c.administration_id == sa.bindparam("k_administration"),
                dunning_states.c.invoice_id == sa.bindparam("k_invoice"),
            )
            .values({name: sa.bindparam(f"v_{name}") for name in columns})
        )
        rows = []
        for state in states:
            values = state_columns(state)
            row = {f"v_{name}": value for name, value in values.items()}
            row.update(
                k_administration=administration_id,
                k_invoice=state.invoice_id,
                v_updated_at=self.now,
            )
            rows.append(row)
        await self.session.execute(statement, rows)

    async def _update_in_bulk(self, administration_id: str, states: Sequence[DunningState]) -> None:
        # An executemany costs a round trip and a plan execution per row; one UPDATE joined
        # to the new values as arrays costs one for the whole batch.
        columns = [state_columns(state) for state in states]
        driver = await self.driver()
        await driver.execute(
            _UPDATE_STATES,
            administration_id,
            self.now,
            [state.invoice_id for state in states],
            *([c[name] for c in columns] for name in _STATE_VALUE_COLUMNS),
            [json.dumps(c["state"], separators=(",", ":")) for c in columns],
        )

    async def add_executed(self, administration_id: str, executed: Sequence[StepExecuted]) -> None:
        """Append executed steps to the invoices' timelines."""
        if not executed:
            return
        if self.postgres and len(executed) >= BULK_MIN:
            # COPY runs in the session's transaction and beats a multi-row INSERT by far.
            driver = await self.driver()
            await driver.copy_records_to_table(
                executed_steps.name,
                columns=_EXECUTED_COLUMNS,
                records=[
                    (
                        administration_id,
                        e.invoice_id,
                        e.flow_id,
                        e.step.step_id,
                        e.step.executed_on,
                        e.step.reason.value,
                        json.dumps([c.value for c in e.step.channels]),
                        e.step.phase.code,
                        e.step.cycle,
                        e.step.legally_required,
                        e.step.message_request_id,
                        self.now,
                    )
                    for e in executed
                ],
            )
            return
        await self.session.execute(
            sa.insert(executed_steps),
            [
                {
                    "administration_id": administration_id,
                    "invoice_id": e.invoice_id,
                    "flow_id": e.flow_id,
                    "step_id": e.step.step_id,
                    "executed_on": e.step.executed_on,
                    "reason": e.step.reason.value,
                    "channels": [c.value for c in e.step.channels],
                    "phase": e.step.phase.code,
                    "cycle": e.step.cycle,
                    "legally_required": e.step.legally_required,
                    "message_request_id": e.step.message_request_id,
                    "recorded_at": self.now,
                }
                for e in executed
            ],
        )

    async def record_failure(self, administration_id: str, failed: FailedStep) -> None:
        """Mark a step of the invoice's timeline failed."""
        step = failed.step
        assert step.failure is not None
        await self.session.execute(
            sa.update(executed_steps)
            .where(
                executed_steps.c.administration_id == administration_id,
                executed_steps.c.invoice_id == failed.invoice_id,
                executed_steps.c.step_id == step.step_id,
                executed_steps.c.cycle == step.cycle,
                executed_steps.c.message_request_id == step.message_request_id,
            )
            .values(
                failed_on=step.failure.failed_on,
                failure_reason=step.failure.reason[:40],
                failure_detail=step.failure.detail,
            )
        )

    async def executed(self, administration_id: str, invoice_id: str) -> list[ExecutedStep]:
        """An invoice's executed steps, oldest first."""
        rows = await self.session.execute(
            sa.select(executed_steps)
            .where(
                executed_steps.c.administration_id == administration_id,
                executed_steps.c.invoice_id == invoice_id,
            )
            .order_by(executed_steps.c.id)
        )
        return [
            ExecutedStep(
                step_id=row.step_id,
                executed_on=row.executed_on,
                reason=ExecutionReason(row.reason),
                channels=tuple(Channel(c) for c in row.channels),
                phase=phase_of(row.phase),
                cycle=row.cycle,
                legally_required=row.legally_required,
                message_request_id=row.message_request_id,
                failure=None
                if row.failed_on is None
                else StepFailure(row.failure_reason or "", row.failure_detail or "", row.failed_on),
            )
            for row in rows
        ]
