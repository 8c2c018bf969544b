"""The dunning database behind one object: what the use cases load and store.

Every query is scoped by administration. Bulk reads and writes take lists, so the daily run
costs a few statements per batch rather than a few per invoice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.adapters.codec import (
    TYPE_TO_KIND,
    address_to_json,
    debtor_from_row,
    flow_from_json,
    flow_to_json,
    state_columns,
    state_from_json,
)
from settle_dunning.adapters.tables import (
    administrations,
    attention_items,
    credit_notes,
    daily_runs,
    debtor_mailboxes,
    debtor_replies,
    debtors,
    dunning_states,
    executed_steps,
    flows,
)
from settle_dunning.domain import (
    AdministrationPause,
    AttentionAction,
    AttentionChange,
    Debtor,
    DebtorPause,
    DebtorReminded,
    DunningState,
    Flow,
    StepExecuted,
)
from settle_dunning.domain.mailbox import Mailbox, ReplyMark
from settle_shared.db import among, aware, is_sqlite

# Keeps IN lists and multi-row statements well inside every driver's parameter limits.
CHUNK = 500
# Ids passed as one array parameter on PostgreSQL: a daily-run batch fits in one statement.
ARRAY_CHUNK = 10_000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# From this many rows on, PostgreSQL gets one bulk statement (arrays, COPY) instead of an
# executemany; smaller writes (a consumer's single invoice) keep the portable statements.
BULK_MIN = 20

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
UPDATE dunning_states AS t
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
WHERE t.administration_id = $1 AND t.invoice_id = v.invoice_id
"""
_SET_LAST_REMINDED = (
    "UPDATE debtors AS t SET last_reminded_on = v.day "
    "FROM unnest($2::text[], $3::date[]) AS v(id, day) "
    "WHERE t.administration_id = $1 AND t.id = v.id"
)
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


class DunningRepository:
    """Reads and writes of one transaction (`session`), stamped with `now`."""

    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session = session
        self.now = now
        bind = session.bind
        # PostgreSQL: row locks, and bulk statements on the driver's own connection.
        self._postgres = bind is not None and not is_sqlite(str(bind.engine.url))
        self._lock_rows = self._postgres

    def _chunks(self, items: Sequence[Any]) -> Iterable[Sequence[Any]]:
        # PostgreSQL takes a whole batch's ids as one array parameter (see settle_shared.db.among).
        return _chunks(items, ARRAY_CHUNK if self._postgres else CHUNK)

    async def _driver(self) -> Any:
        """The asyncpg connection under the session, inside the session's transaction."""
        connection = await self.session.connection()
        # The driver opens its transaction lazily, on the first statement through SQLAlchemy;
        # make sure there is one before going around it.
        await connection.exec_driver_sql("SELECT 1")
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    def _locked(self, query: sa.Select[Any]) -> sa.Select[Any]:
        # Row locks on PostgreSQL keep a consumer and the daily run from writing the same
        # invoice at once; SQLite has one writer at a time anyway.
        return query.with_for_update() if self._lock_rows else query

    # --- administrations --------------------------------------------------------------

    async def administration(self, administration_id: str, *, lock: bool = False) -> Any:
        """The administration's row, or None when it is unknown."""
        query = sa.select(administrations).where(administrations.c.id == administration_id)
        if lock:
            query = self._locked(query)
        return (await self.session.execute(query)).one_or_none()

    async def administration_rows(self) -> list[Any]:
        """Every administration (for the background daily run)."""
        return list((await self.session.execute(sa.select(administrations))).all())

    async def create_administration(
        self, administration_id: str, default_flows: Sequence[Flow]
    ) -> None:
        """An administration with its default flows, active and never run; nothing when it
        exists already (an importer fact and a command may create it at the same moment)."""
        insert = pg_insert if self._postgres else sqlite_insert
        created = await self.session.execute(
            insert(administrations)
            .values(
                id=administration_id,
                default_language="nl",
                fallback_language="en",
                tone="formal",
                pause=AdministrationPause.ACTIVE.value,
                paused_on=None,
                last_run_date=None,
                created_at=self.now,
            )
            .on_conflict_do_nothing()
            .returning(administrations.c.id)
        )
        if created.first() is None:
            return
        for position, flow in enumerate(default_flows):
            await self.insert_flow(administration_id, flow, position)

    async def set_administration_pause(
        self, administration_id: str, pause: AdministrationPause, on: date | None
    ) -> None:
        """Store the pause state of an administration."""
        await self.session.execute(
            sa.update(administrations)
            .where(administrations.c.id == administration_id)
            .values(pause=pause.value, paused_on=on)
        )

    async def set_last_run_date(self, administration_id: str, business_date: date) -> None:
        """Remember the business date of the latest run."""
        await self.session.execute(
            sa.update(administrations)
            .where(administrations.c.id == administration_id)
            .values(last_run_date=business_date)
        )

    # --- flows --------------------------------------------------------------------------

    async def flows(self, administration_id: str) -> list[Flow]:
        """The administration's flows in their order (selection ties go to the first)."""
        rows = await self.session.execute(
            sa.select(flows.c.definition)
            .where(flows.c.administration_id == administration_id)
            .order_by(flows.c.position, flows.c.id)
        )
        return [flow_from_json(row.definition) for row in rows]

    async def flow(self, administration_id: str, flow_id: str) -> Flow | None:
        """One flow, or None."""
        definition = await self.session.scalar(
            sa.select(flows.c.definition).where(
                flows.c.administration_id == administration_id, flows.c.id == flow_id
            )
        )
        return flow_from_json(definition) if definition is not None else None

    async def insert_flow(self, administration_id: str, flow: Flow, position: int | None) -> None:
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

    async def replace_flow(self, administration_id: str, flow: Flow) -> None:
        """Store a new definition of an existing flow."""
        await self.session.execute(
            sa.update(flows)
            .where(flows.c.administration_id == administration_id, flows.c.id == flow.id)
            .values(definition=flow_to_json(flow), updated_at=self.now)
        )

    async def delete_flow(self, administration_id: str, flow_id: str) -> None:
        """Remove a flow."""
        await self.session.execute(
            sa.delete(flows).where(
                flows.c.administration_id == administration_id, flows.c.id == flow_id
            )
        )

    async def flow_in_use(self, administration_id: str, flow_id: str) -> bool:
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

    # --- debtors and credit notes -------------------------------------------------------

    async def debtor_row(self, administration_id: str, debtor_id: str) -> Any:
        """The debtor's row, or None."""
        return (
            await self.session.execute(
                sa.select(debtors).where(
                    debtors.c.administration_id == administration_id, debtors.c.id == debtor_id
                )
            )
        ).one_or_none()

    async def debtor(self, administration_id: str, debtor_id: str) -> Debtor | None:
        """One debtor as the domain sees it, or None."""
        found = await self.debtors(administration_id, [debtor_id])
        return found.get(debtor_id)

    async def debtors(self, administration_id: str, ids: Iterable[str]) -> dict[str, Debtor]:
        """The debtors with these ids, with whether each has an unmatched credit note."""
        wanted = sorted(set(ids))
        rows: list[Any] = []
        with_credit: set[str] = set()
        for chunk in self._chunks(wanted):
            rows += (
                await self.session.execute(
                    sa.select(debtors).where(
                        debtors.c.administration_id == administration_id,
                        among(debtors.c.id, chunk, postgres=self._postgres),
                    )
                )
            ).all()
            with_credit.update(
                await self.session.scalars(
                    sa.select(credit_notes.c.debtor_id)
                    .where(
                        credit_notes.c.administration_id == administration_id,
                        among(credit_notes.c.debtor_id, chunk, postgres=self._postgres),
                        credit_notes.c.open_amount != 0,
                    )
                    .distinct()
                )
            )
        return {
            row.id: debtor_from_row(row, has_unmatched_credit_note=row.id in with_credit)
            for row in rows
        }

    async def save_debtor(self, administration_id: str, debtor: Debtor, version: int) -> None:
        """Insert or replace a debtor's details (pause and last reminder are kept)."""
        values = {
            "number": debtor.number,
            "name": debtor.name,
            "kind": TYPE_TO_KIND[debtor.debtor_type],
            "emails": list(debtor.emails),
            "phone": debtor.phone,
            "language": debtor.language,
            "address": address_to_json(debtor.address),
            "version": version,
            "updated_at": self.now,
        }
        updated = await self.session.execute(
            sa.update(debtors)
            .where(debtors.c.administration_id == administration_id, debtors.c.id == debtor.id)
            .values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self.session.execute(
                sa.insert(debtors).values(
                    administration_id=administration_id,
                    id=debtor.id,
                    pause=DebtorPause.ACTIVE.value,
                    last_reminded_on=None,
                    **values,
                )
            )

    async def set_debtor_pause(
        self, administration_id: str, debtor_id: str, pause: DebtorPause
    ) -> None:
        """Store the pause state of a debtor."""
        await self.session.execute(
            sa.update(debtors)
            .where(debtors.c.administration_id == administration_id, debtors.c.id == debtor_id)
            .values(pause=pause.value)
        )

    async def set_last_reminded(
        self, administration_id: str, reminded: Sequence[DebtorReminded]
    ) -> None:
        """Store the day each debtor was last reminded (for the interval between reminders)."""
        if not reminded:
            return
        if self._postgres and len(reminded) >= BULK_MIN:
            driver = await self._driver()
            await driver.execute(
                _SET_LAST_REMINDED,
                administration_id,
                [r.debtor_id for r in reminded],
                [r.on for r in reminded],
            )
            return
        await self.session.execute(
            sa.update(debtors)
            .where(
                debtors.c.administration_id == administration_id,
                debtors.c.id == sa.bindparam("b_id"),
            )
            .values(last_reminded_on=sa.bindparam("b_on")),
            [{"b_id": r.debtor_id, "b_on": r.on} for r in reminded],
        )

    async def credit_note_version(self, administration_id: str, credit_note_id: str) -> int | None:
        """The version of the stored credit note, or None when unknown."""
        result: int | None = await self.session.scalar(
            sa.select(credit_notes.c.version).where(
                credit_notes.c.administration_id == administration_id,
                credit_notes.c.id == credit_note_id,
            )
        )
        return result

    async def save_credit_note(self, administration_id: str, values: dict[str, Any]) -> None:
        """Insert or replace a credit note."""
        await self.session.execute(
            sa.delete(credit_notes).where(
                credit_notes.c.administration_id == administration_id,
                credit_notes.c.id == values["id"],
            )
        )
        await self.session.execute(
            sa.insert(credit_notes).values(administration_id=administration_id, **values)
        )

    # --- dunning states -----------------------------------------------------------------

    async def state(
        self, administration_id: str, invoice_id: str, *, lock: bool = True
    ) -> DunningState | None:
        """One invoice's dunning state, or None when the invoice is unknown."""
        query = sa.select(dunning_states.c.state).where(
            dunning_states.c.administration_id == administration_id,
            dunning_states.c.invoice_id == invoice_id,
        )
        if lock:
            query = self._locked(query)
        data = await self.session.scalar(query)
        return state_from_json(data) if data is not None else None

    async def states(
        self, administration_id: str, invoice_ids: Sequence[str], *, due_by: date | None = None
    ) -> list[DunningState]:
        """The states of these invoices (locked); with `due_by`, only those still due then."""
        found: list[DunningState] = []
        for chunk in self._chunks(invoice_ids):
            query = sa.select(dunning_states.c.state).where(
                dunning_states.c.administration_id == administration_id,
                among(dunning_states.c.invoice_id, chunk, postgres=self._postgres),
            )
            if due_by is not None:
                query = query.where(dunning_states.c.next_step_date <= due_by)
            found += [
                state_from_json(data) for data in await self.session.scalars(self._locked(query))
            ]
        return found

    async def due_keys(self, administration_id: str, business_date: date) -> list[tuple[str, str]]:
        """(invoice id, debtor id) of every invoice due by `business_date`, via the index."""
        rows = await self.session.execute(
            sa.select(dunning_states.c.invoice_id, dunning_states.c.debtor_id).where(
                dunning_states.c.administration_id == administration_id,
                dunning_states.c.next_step_date <= business_date,
            )
        )
        return [(row.invoice_id, row.debtor_id) for row in rows]

    async def states_page(
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
        t = dunning_states
        query = sa.select(t.c.state).where(
            t.c.administration_id == administration_id, t.c.settled.is_(False)
        )
        if debtor_id is not None:
            query = query.where(t.c.debtor_id == debtor_id)
        if flow_id is not None:
            query = query.where(t.c.flow_id == flow_id)
        if planned_before is not None:
            query = query.where(t.c.next_step_date < planned_before)
        if after is not None:
            query = query.where(t.c.invoice_id > after)
        query = self._locked(query.order_by(t.c.invoice_id).limit(limit))
        return [state_from_json(data) for data in await self.session.scalars(query)]

    async def insert_state(self, administration_id: str, state: DunningState) -> None:
        """Store the state of a newly imported invoice."""
        await self.session.execute(
            sa.insert(dunning_states).values(
                administration_id=administration_id,
                invoice_id=state.invoice_id,
                updated_at=self.now,
                **state_columns(state),
            )
        )

    async def update_states(self, administration_id: str, states: Sequence[DunningState]) -> None:
        """Store changed states: one statement for the lot on PostgreSQL, an executemany
        elsewhere."""
        if not states:
            return
        if self._postgres and len(states) >= BULK_MIN:
            await self._update_states_bulk(administration_id, states)
            return
        t = dunning_states
        columns = [c.name for c in t.columns if c.name not in ("administration_id", "invoice_id")]
        statement = (
            sa.update(t)
            .where(
                t.c.administration_id == sa.bindparam("k_adm"),
                t.c.invoice_id == sa.bindparam("k_inv"),
            )
            .values({name: sa.bindparam(f"v_{name}") for name in columns})
        )
        rows = []
        for state in states:
            values = state_columns(state)
            row = {f"v_{name}": value for name, value in values.items()}
            row.update(k_adm=administration_id, k_inv=state.invoice_id, v_updated_at=self.now)
            rows.append(row)
        await self.session.execute(statement, rows)

    async def _update_states_bulk(
        self, administration_id: str, states: Sequence[DunningState]
    ) -> None:
        # An executemany costs a round trip and a plan execution per row; one UPDATE joined
        # to the new values as arrays costs one for the whole batch.
        columns = [state_columns(state) for state in states]
        driver = await self._driver()
        await driver.execute(
            _UPDATE_STATES,
            administration_id,
            self.now,
            [state.invoice_id for state in states],
            *([c[name] for c in columns] for name in _STATE_VALUE_COLUMNS),
            [json.dumps(c["state"], separators=(",", ":")) for c in columns],
        )

    # --- executed steps -----------------------------------------------------------------

    async def add_executed(self, administration_id: str, executed: Sequence[StepExecuted]) -> None:
        """Append executed steps to the invoices' timelines."""
        if not executed:
            return
        if self._postgres and len(executed) >= BULK_MIN:
            # COPY runs in the session's transaction and beats a multi-row INSERT by far.
            driver = await self._driver()
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

    async def executed_steps(self, administration_id: str, invoice_id: str) -> list[Any]:
        """An invoice's executed steps, oldest first."""
        rows = await self.session.execute(
            sa.select(executed_steps)
            .where(
                executed_steps.c.administration_id == administration_id,
                executed_steps.c.invoice_id == invoice_id,
            )
            .order_by(executed_steps.c.id)
        )
        return list(rows.all())

    # --- attention items ----------------------------------------------------------------

    async def apply_attention(
        self, administration_id: str, changes: Sequence[AttentionChange]
    ) -> list[AttentionChange]:
        """Raise and resolve items; returns the changes that changed something (to publish).

        An item already open is not raised again: its invoices are merged and its sentence
        brought up to date (an unread count, say). Resolving an item that is not open does
        nothing.
        """
        if not changes:
            return []
        t = attention_items
        keys = sorted({(c.subject.value, c.subject_id, c.reason.value) for c in changes})
        open_items: dict[tuple[str, str, str], dict[str, Any]] = {}
        for chunk in _chunks(keys):
            rows = await self.session.execute(
                sa.select(
                    t.c.id, t.c.subject, t.c.subject_id, t.c.reason, t.c.sentence, t.c.invoice_ids
                ).where(
                    t.c.administration_id == administration_id,
                    t.c.resolved_at.is_(None),
                    sa.tuple_(t.c.subject, t.c.subject_id, t.c.reason).in_(chunk),
                )
            )
            for row in rows:
                open_items[(row.subject, row.subject_id, row.reason)] = {
                    "id": row.id,
                    "sentence": row.sentence,
                    "invoice_ids": list(row.invoice_ids),
                    "merged": False,
                }
        effective: list[AttentionChange] = []
        new_rows: list[dict[str, Any]] = []
        resolved: list[dict[str, Any]] = []
        for change in changes:
            key = (change.subject.value, change.subject_id, change.reason.value)
            item = open_items.get(key)
            if change.action is AttentionAction.RAISE:
                if item is None:
                    new_row: dict[str, Any] = {
                        "administration_id": administration_id,
                        "subject": key[0],
                        "subject_id": key[1],
                        "reason": key[2],
                        "sentence": change.sentence,
                        "invoice_ids": list(change.invoice_ids),
                        "raised_at": self.now,
                        "resolved_at": None,
                        "resolution": None,
                    }
                    new_rows.append(new_row)
                    open_items[key] = {
                        "id": None,
                        "row": new_row,
                        "sentence": change.sentence,
                        "invoice_ids": new_row["invoice_ids"],
                    }
                    effective.append(change)
                else:
                    extra = [i for i in change.invoice_ids if i not in item["invoice_ids"]]
                    if extra or change.sentence != item["sentence"]:
                        item["invoice_ids"] += extra
                        item["sentence"] = change.sentence
                        item["merged"] = True
                        if item["id"] is None:
                            item["row"]["sentence"] = change.sentence
            elif item is not None:
                del open_items[key]
                effective.append(change)
                if item["id"] is None:
                    item["row"].update(resolved_at=self.now, resolution=change.sentence)
                else:
                    resolved.append(
                        {"b_id": item["id"], "b_at": self.now, "b_why": change.sentence}
                    )
        if new_rows:
            await self.session.execute(sa.insert(t), new_rows)
        merged = [
            {"b_id": item["id"], "b_ids": item["invoice_ids"], "b_sentence": item["sentence"]}
            for item in open_items.values()
            if item["id"] is not None and item.get("merged")
        ]
        if merged:
            await self.session.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("b_id"))
                .values(invoice_ids=sa.bindparam("b_ids"), sentence=sa.bindparam("b_sentence")),
                merged,
            )
        if resolved:
            await self.session.execute(
                sa.update(t)
                .where(t.c.id == sa.bindparam("b_id"))
                .values(resolved_at=sa.bindparam("b_at"), resolution=sa.bindparam("b_why")),
                resolved,
            )
        return effective

    async def attention_page(
        self, administration_id: str, *, open_only: bool, after: int | None, limit: int
    ) -> list[Any]:
        """A keyset page of attention items, newest first."""
        t = attention_items
        query = sa.select(t).where(t.c.administration_id == administration_id)
        if open_only:
            query = query.where(t.c.resolved_at.is_(None))
        if after is not None:
            query = query.where(t.c.id < after)
        return list((await self.session.execute(query.order_by(t.c.id.desc()).limit(limit))).all())

    # --- what messaging reported -------------------------------------------------------

    async def mailbox(self, administration_id: str, debtor_id: str) -> Mailbox:
        """What messaging reported about the debtor's email (empty when nothing yet)."""
        t = debtor_mailboxes
        row = (
            await self.session.execute(
                self._locked(
                    sa.select(t.c.last_sent_at, t.c.last_undeliverable_at).where(
                        t.c.administration_id == administration_id, t.c.debtor_id == debtor_id
                    )
                )
            )
        ).one_or_none()
        if row is None:
            return Mailbox()
        return Mailbox(aware(row.last_sent_at), aware(row.last_undeliverable_at))

    async def save_mailbox(self, administration_id: str, debtor_id: str, box: Mailbox) -> None:
        """Store the debtor's mailbox."""
        t = debtor_mailboxes
        values = {
            "last_sent_at": box.last_sent_at,
            "last_undeliverable_at": box.last_undeliverable_at,
        }
        updated = await self.session.execute(
            sa.update(t)
            .where(t.c.administration_id == administration_id, t.c.debtor_id == debtor_id)
            .values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self.session.execute(
                sa.insert(t).values(
                    administration_id=administration_id, debtor_id=debtor_id, **values
                )
            )

    async def reply_mark(self, administration_id: str, message_id: str) -> ReplyMark | None:
        """Whether a debtor's reply is unread, or None when it is unknown."""
        t = debtor_replies
        row = (
            await self.session.execute(
                self._locked(
                    sa.select(t.c.unread, t.c.marked_at).where(
                        t.c.administration_id == administration_id, t.c.message_id == message_id
                    )
                )
            )
        ).one_or_none()
        if row is None:
            return None
        marked_at = aware(row.marked_at)
        assert marked_at is not None
        return ReplyMark(unread=row.unread, at=marked_at)

    async def save_reply_mark(
        self, administration_id: str, message_id: str, debtor_id: str, mark: ReplyMark
    ) -> None:
        """Store whether a reply is unread."""
        t = debtor_replies
        values = {"unread": mark.unread, "marked_at": mark.at}
        updated = await self.session.execute(
            sa.update(t)
            .where(t.c.administration_id == administration_id, t.c.message_id == message_id)
            .values(**values)
        )
        if getattr(updated, "rowcount", 0) == 0:
            await self.session.execute(
                sa.insert(t).values(
                    administration_id=administration_id,
                    message_id=message_id,
                    debtor_id=debtor_id,
                    **values,
                )
            )

    async def unread_replies(self, administration_id: str, debtor_id: str) -> int:
        """How many of the debtor's replies nobody has read."""
        t = debtor_replies
        count = await self.session.scalar(
            sa.select(sa.func.count()).where(
                t.c.administration_id == administration_id,
                t.c.debtor_id == debtor_id,
                t.c.unread.is_(True),
            )
        )
        return int(count or 0)

    # --- daily runs ---------------------------------------------------------------------

    async def start_run(self, administration_id: str, business_date: date) -> None:
        """Record that the run of a date started (again, when it is repeated)."""
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

    async def finish_run(
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
