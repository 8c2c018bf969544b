"""The invoices' part of the read model: the rows of rm_invoices and rm_steps, kept from the
importer's facts and dunning's steps.

Every row remembers how new its facts are (the importer's `version`, else the event time), so
an older fact arriving late never overwrites a newer one. A batch of events touches each
invoice in memory and writes it once; the aggregates the dashboard and the debtor list read
are kept by deltas: the contribution of each touched invoice before and after the batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import rm_debtors, rm_invoices, rm_steps
from settle_shared.db import aware
from settle_shared.events import dunning, importer

NEW_PHASE = "new"  # an imported invoice dunning has not reported on yet
ZERO = Decimal("0.00")

InvoiceKey = tuple[str, str]
# phase, currency, debtor_id, due date, open amount
Contribution = tuple[str, str, str, date, Decimal] | None


# The dashboard's phase of the invoices an active payment plan holds: a user sees how much is
# in plans beside the flows' phases (the invoice keeps its dunning phase for when it ends).
PAYMENT_PLAN_PHASE = "payment_plan"


def totals_phase(row: dict[str, Any]) -> str:
    """The phase an invoice is counted in by the totals per phase."""
    if row.get("blocked_by") == "payment_plan_active":
        return PAYMENT_PLAN_PHASE
    phase: str = row["phase"]
    return phase


def contribution(row: dict[str, Any]) -> Contribution:
    """What an invoice adds to the open totals (None when it is not open)."""
    if row["status"] != "open" or row["due_date"] is None or row["open_amount"] is None:
        return None  # not open, or its import not seen yet
    return (
        totals_phase(row),
        row["currency"] or "EUR",
        row["debtor_id"],
        row["due_date"],
        Decimal(row["open_amount"]),
    )


# month of the invoice date, currency, amount
Invoiced = tuple[date, str, Decimal] | None


def invoiced_contribution(row: dict[str, Any]) -> Invoiced:
    """What an invoice adds to the invoiced total of its invoice date's month, open or settled
    (None until its import is seen)."""
    if row["invoice_date"] is None or row["amount"] is None:
        return None
    return (row["invoice_date"].replace(day=1), row["currency"] or "EUR", Decimal(row["amount"]))


# currency, amount paid online
PaidOnline = tuple[str, Decimal] | None


def paid_online_contribution(row: dict[str, Any]) -> PaidOnline:
    """What an invoice adds to "paid online, not yet booked" (None when it adds nothing): an
    open invoice a paid payment covers, until the import that settles it."""
    if row["status"] != "open" or row["paid_online"] is None:
        return None
    return (row["currency"] or "EUR", Decimal(row["paid_online"]))


@dataclass(frozen=True)
class KnownDebtor:
    """What the projection compares a debtor's new facts with."""

    version: int
    name: str
    number: str


@dataclass
class Batch:
    """Rows touched by one batch, written once at its end (adapters/read_model.py), and the
    deltas of the aggregates the other concepts keep (totals, debtors, attention counts)."""

    session: AsyncSession
    invoices: dict[InvoiceKey, dict[str, Any]] = field(default_factory=dict)
    before: dict[InvoiceKey, Contribution] = field(default_factory=dict)
    paid_before: dict[InvoiceKey, PaidOnline] = field(default_factory=dict)
    invoiced_before: dict[InvoiceKey, Invoiced] = field(default_factory=dict)
    stored: set[InvoiceKey] = field(default_factory=set)
    looked_up: set[InvoiceKey] = field(default_factory=set)  # prefetched, found or not
    # The batch's debtors as stored (version, name, number; None: not stored), then as the
    # batch changed them; the rows written at its end (debtors/projection.py): inserted for
    # the new debtors, updated for the others.
    debtors: dict[InvoiceKey, KnownDebtor | None] = field(default_factory=dict)
    debtor_rows: dict[InvoiceKey, dict[str, Any]] = field(default_factory=dict)
    reindexed_debtors: set[InvoiceKey] = field(default_factory=set)
    new_debtors: set[InvoiceKey] = field(default_factory=set)
    renamed_debtors: dict[InvoiceKey, str] = field(default_factory=dict)
    # Timeline entries of executed steps, inserted at the end of the batch.
    steps: list[dict[str, Any]] = field(default_factory=list)
    attention: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))
    # Document ids known as credit notes: the importer's later facts about them say "invoice".
    credit_notes: set[InvoiceKey] = field(default_factory=set)

    async def prefetch(self, keys: set[InvoiceKey]) -> None:
        """Load the batch's invoices with one query per administration and chunk, instead of
        one per event: most batches touch hundreds of invoices."""
        by_administration: dict[str, list[str]] = defaultdict(list)
        self.looked_up |= keys
        for administration_id, invoice_id in keys:
            by_administration[administration_id].append(invoice_id)
        for administration_id, ids in by_administration.items():
            for start in range(0, len(ids), 500):
                rows = await self.session.execute(
                    sa.select(rm_invoices).where(
                        rm_invoices.c.administration_id == administration_id,
                        rm_invoices.c.invoice_id.in_(ids[start : start + 500]),
                    )
                )
                for found in rows:
                    self._keep(dict(found._mapping))

    def _keep(self, row: dict[str, Any]) -> None:
        key = (row["administration_id"], row["invoice_id"])
        row["dunning_at"] = aware(row["dunning_at"])
        self.stored.add(key)
        self.invoices[key] = row
        self.before[key] = contribution(row)
        self.paid_before[key] = paid_online_contribution(row)
        self.invoiced_before[key] = invoiced_contribution(row)

    async def invoice(self, administration_id: str, invoice_id: str) -> dict[str, Any]:
        key = (administration_id, invoice_id)
        if key in self.invoices:
            return self.invoices[key]
        found = (
            None
            if key in self.looked_up
            else (
                await self.session.execute(
                    sa.select(rm_invoices).where(
                        rm_invoices.c.administration_id == administration_id,
                        rm_invoices.c.invoice_id == invoice_id,
                    )
                )
            ).first()
        )
        if found is not None:
            self._keep(dict(found._mapping))
            return self.invoices[key]
        # A dunning fact may arrive before the importer's: keep it in a stub.
        row: dict[str, Any] = {column.name: None for column in rm_invoices.columns}
        row.update(
            administration_id=administration_id,
            invoice_id=invoice_id,
            import_version=0,
            status="unknown",
            phase=NEW_PHASE,
            on_hold=False,
        )
        self.invoices[key] = row
        self.before[key] = contribution(row)
        self.paid_before[key] = None
        self.invoiced_before[key] = None
        return row

    async def prefetch_debtors(self, keys: set[InvoiceKey]) -> None:
        """Load what the batch compares its debtors' facts with, and the names its new invoices
        show, with one query per administration and chunk."""
        by_administration: dict[str, list[str]] = defaultdict(list)
        for administration_id, debtor_id in keys - self.debtors.keys():
            by_administration[administration_id].append(debtor_id)
            self.debtors[(administration_id, debtor_id)] = None
        for administration_id, ids in by_administration.items():
            for start in range(0, len(ids), 500):
                rows = await self.session.execute(
                    sa.select(
                        rm_debtors.c.debtor_id,
                        rm_debtors.c.version,
                        rm_debtors.c.name,
                        rm_debtors.c.number,
                    ).where(
                        rm_debtors.c.administration_id == administration_id,
                        rm_debtors.c.debtor_id.in_(ids[start : start + 500]),
                    )
                )
                for found in rows:
                    self.debtors[(administration_id, found.debtor_id)] = KnownDebtor(
                        found.version, found.name, found.number
                    )

    async def debtor_name(self, administration_id: str, debtor_id: str) -> str | None:
        """The debtor's name as the batch knows it (None: no such debtor yet)."""
        key = (administration_id, debtor_id)
        if key not in self.debtors:
            await self.prefetch_debtors({key})
        known = self.debtors[key]
        return known.name if known is not None else None

    async def write(self) -> None:
        """Insert the batch's new invoices and update the others, each in one statement, and
        insert its steps' timeline entries."""
        session = self.session
        if self.steps:
            await session.execute(sa.insert(rm_steps), self.steps)
        inserts = [row for key, row in self.invoices.items() if key not in self.stored]
        updates = [row for key, row in self.invoices.items() if key in self.stored]
        if inserts:
            await session.execute(sa.insert(rm_invoices), inserts)
        if updates:
            columns = [c.name for c in rm_invoices.columns if not c.primary_key]
            statement = (
                sa.update(rm_invoices)
                .where(
                    rm_invoices.c.administration_id == sa.bindparam("key_administration"),
                    rm_invoices.c.invoice_id == sa.bindparam("key_invoice"),
                )
                .values({name: sa.bindparam(f"v_{name}") for name in columns})
            )
            params = [
                {
                    "key_administration": row["administration_id"],
                    "key_invoice": row["invoice_id"],
                    **{f"v_{name}": row[name] for name in columns},
                }
                for row in updates
            ]
            await session.execute(statement, params)


async def invoice_fact(batch: Batch, fact: importer.InvoiceFact) -> None:
    """An importer's fact about an invoice, unless the row already knows a newer one."""
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if fact.version <= row["import_version"]:
        # An older (or the same) fact: the row already knows better, except for the fields
        # fixed at the first import, when a newer fact overtook that import.
        if isinstance(fact, importer.InvoiceImported) and row["due_date"] is None:
            await fixed_fields(batch, row, fact)
            if row["status"] == "unknown":
                row["status"] = "open"
            if row["open_amount"] is None:
                row["open_amount"] = fact.open_amount
        return
    row["import_version"] = fact.version
    row["number"] = fact.number
    if isinstance(fact, importer.InvoiceImported):
        await fixed_fields(batch, row, fact)
        row.update(open_amount=fact.open_amount, status="open")
    elif isinstance(fact, importer.InvoiceChanged):
        row.update(open_amount=fact.open_amount, currency=fact.currency)
        if fact.pdf_url is not None:  # absent from older producers: keep what we have
            row["pdf_url"] = fact.pdf_url
    elif isinstance(fact, importer.InvoiceSettled):
        row["status"] = "settled"
    elif isinstance(fact, importer.InvoiceReopened):
        row.update(status="open", open_amount=fact.open_amount, currency=fact.currency)


async def fixed_fields(batch: Batch, row: dict[str, Any], fact: importer.InvoiceImported) -> None:
    """Number, dates, amount and debtor: fixed from the first import on."""
    if row["debtor_id"] != fact.debtor_id or row["debtor_name"] is None:
        row["debtor_name"] = await batch.debtor_name(fact.administration_id, fact.debtor_id)
    row.update(
        number=fact.number,
        debtor_id=fact.debtor_id,
        invoice_date=fact.invoice_date,
        due_date=fact.due_date,
        amount=fact.amount,
        currency=fact.currency,
        pdf_url=row["pdf_url"] or fact.pdf_url,
        due_date_source=fact.due_date_source,
    )


def newer(row: dict[str, Any], at: datetime) -> bool:
    """Dunning's events carry no version: the event time orders them."""
    if row["dunning_at"] is not None and at < row["dunning_at"]:
        return False
    row["dunning_at"] = at
    return True


async def step_executed(
    batch: Batch, fact: dunning.StepExecuted, event_id: str, at: datetime
) -> None:
    """A step dunning performed: one entry of the invoice's timeline, and its next step."""
    batch.steps.append(
        {
            "event_id": event_id,
            "administration_id": fact.administration_id,
            "invoice_id": fact.invoice_id,
            "step_id": fact.step_id,
            "executed_on": fact.executed_on,
            "phase": fact.phase,
            "reason": fact.reason,
            "channels": list(fact.channels),
            "legally_required": fact.legally_required,
            "at": at,
            "failed_on": None,
            "failure_reason": None,
            "failure_detail": None,
        }
    )
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if newer(row, at):
        row.update(
            phase=fact.phase,
            next_step_id=fact.next_step_id,
            next_step_on=fact.next_step_on,
            debtor_id=row["debtor_id"] or fact.debtor_id,
        )


async def step_failed(batch: Batch, fact: dunning.StepFailed) -> None:
    """A step whose message reached the debtor on no channel: its timeline entry shows it
    failed (the phase and the plan that follow come as their own events)."""
    failure = {
        "failed_on": fact.failed_on,
        "failure_reason": fact.reason[:40],
        "failure_detail": fact.detail,
    }
    executed = (fact.administration_id, fact.invoice_id, fact.step_id, fact.executed_on)
    pending = [
        entry
        for entry in batch.steps
        if (entry["administration_id"], entry["invoice_id"], entry["step_id"], entry["executed_on"])
        == executed
    ]
    for entry in pending:  # executed in this batch, not written yet
        entry.update(failure)
    if pending:
        return
    await batch.session.execute(
        sa.update(rm_steps)
        .where(
            rm_steps.c.administration_id == fact.administration_id,
            rm_steps.c.invoice_id == fact.invoice_id,
            rm_steps.c.step_id == fact.step_id,
            rm_steps.c.executed_on == fact.executed_on,
        )
        .values(**failure)
    )


async def dunning_state(
    batch: Batch, fact: dunning.StepPlanned | dunning.PhaseChanged, at: datetime
) -> None:
    """The invoice's phase and planned step, as dunning last announced them."""
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if not newer(row, at):
        return
    row["phase"] = fact.phase
    row["debtor_id"] = row["debtor_id"] or fact.debtor_id
    if isinstance(fact, dunning.StepPlanned):
        row.update(
            next_step_id=fact.step_id,
            next_step_on=fact.planned_on,
            on_hold=fact.on_hold,
            blocked_by=fact.blocked_by,
        )


def changes(batch: Batch) -> Iterator[tuple[str, int, tuple[str, str, str, date, Decimal]]]:
    """(administration id, sign, contribution) of every invoice whose contribution to the
    open totals the batch changed: the old one taken away (-1), the new one added (+1)."""
    for key, row in batch.invoices.items():
        before, after = batch.before[key], contribution(row)
        if before == after:
            continue
        for sign, part in ((-1, before), (1, after)):
            if part is not None:
                yield key[0], sign, part
