"""The read model: the other services' events projected into the gateway's own tables.

Idempotent twice over: the shared consumer skips an event whose id is in the inbox, and every
row remembers how new its facts are (the importer's `version`, else the event time), so an
older fact arriving late never overwrites a newer one. The aggregates the dashboard reads
(per phase, per attention reason, per debtor) are kept up to date by deltas: the contribution
of each touched invoice before and after the batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.db import (
    rm_attention,
    rm_attention_counts,
    rm_debtor_words,
    rm_debtors,
    rm_due_totals,
    rm_import_runs,
    rm_invoices,
    rm_message_invoices,
    rm_messages,
    rm_pauses,
    rm_phase_totals,
    rm_steps,
)
from settle_gateway.search import word_rows
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import aware
from settle_shared.events import dunning, importer, messaging

TOPICS = [
    importer.INVOICES.name,
    importer.DEBTORS.name,
    importer.RUNS.name,
    dunning.STEPS.name,
    dunning.ATTENTION.name,
    dunning.PAUSES.name,
    messaging.MESSAGES.name,
]
NEW_PHASE = "new"  # an imported invoice dunning has not reported on yet
ZERO = Decimal("0.00")

InvoiceKey = tuple[str, str]
# phase, currency, debtor_id, due date, open amount
Contribution = tuple[str, str, str, date, Decimal] | None


def _contribution(row: dict[str, Any]) -> Contribution:
    if row["status"] != "open" or row["due_date"] is None or row["open_amount"] is None:
        return None  # not open, or its import not seen yet
    return (
        row["phase"],
        row["currency"] or "EUR",
        row["debtor_id"],
        row["due_date"],
        Decimal(row["open_amount"]),
    )


@dataclass
class _Batch:
    """Rows touched by one batch, written once at its end."""

    session: AsyncSession
    invoices: dict[InvoiceKey, dict[str, Any]] = field(default_factory=dict)
    before: dict[InvoiceKey, Contribution] = field(default_factory=dict)
    stored: set[InvoiceKey] = field(default_factory=set)
    looked_up: set[InvoiceKey] = field(default_factory=set)  # prefetched, found or not
    new_debtors: set[InvoiceKey] = field(default_factory=set)
    renamed_debtors: dict[InvoiceKey, str] = field(default_factory=dict)
    attention: dict[tuple[str, str, str], int] = field(default_factory=lambda: defaultdict(int))

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
        self.before[key] = _contribution(row)

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
        self.before[key] = _contribution(row)
        return row

    async def flush(self) -> None:
        session = self.session
        inserts = [row for key, row in self.invoices.items() if key not in self.stored]
        updates = [row for key, row in self.invoices.items() if key in self.stored]
        if inserts:
            await session.execute(sa.insert(rm_invoices), inserts)
        if updates:
            columns = [c.name for c in rm_invoices.columns if not c.primary_key]
            statement = (
                sa.update(rm_invoices)
                .where(
                    rm_invoices.c.administration_id == sa.bindparam("k_adm"),
                    rm_invoices.c.invoice_id == sa.bindparam("k_inv"),
                )
                .values({name: sa.bindparam(f"v_{name}") for name in columns})
            )
            params = [
                {
                    "k_adm": row["administration_id"],
                    "k_inv": row["invoice_id"],
                    **{f"v_{name}": row[name] for name in columns},
                }
                for row in updates
            ]
            await session.execute(statement, params)
        await self._apply_totals()
        await self._apply_attention_counts()
        for (administration_id, debtor_id), name in self.renamed_debtors.items():
            await session.execute(
                sa.update(rm_invoices)
                .where(
                    rm_invoices.c.administration_id == administration_id,
                    rm_invoices.c.debtor_id == debtor_id,
                )
                .values(debtor_name=name)
            )
        for administration_id, debtor_id in self.new_debtors:
            await _recount_debtor(session, administration_id, debtor_id)

    async def _apply_totals(self) -> None:
        phases: dict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
        dues: dict[tuple[str, date, str], list[Any]] = defaultdict(lambda: [0, ZERO])
        debtors: dict[tuple[str, str], list[Any]] = defaultdict(lambda: [0, ZERO])
        for key, row in self.invoices.items():
            before, after = self.before[key], _contribution(row)
            if before == after:
                continue
            for sign, part in ((-1, before), (1, after)):
                if part is None:
                    continue
                phase, currency, debtor_id, due_date, amount = part
                for totals in (
                    phases[(key[0], phase, currency)],
                    dues[(key[0], due_date, currency)],
                ):
                    totals[0] += sign
                    totals[1] += sign * amount
                if debtor_id is not None and (key[0], debtor_id) not in self.new_debtors:
                    counts = debtors[(key[0], debtor_id)]
                    counts[0] += sign
                    counts[1] += sign * amount
        for (administration_id, phase, currency), (count, total) in phases.items():
            if count == 0 and total == 0:
                continue
            await _add(
                self.session,
                rm_phase_totals,
                {"administration_id": administration_id, "phase": phase, "currency": currency},
                {"count": count, "total": total},
            )
        for (administration_id, due_date, currency), (count, total) in dues.items():
            if count == 0 and total == 0:
                continue
            await _add(
                self.session,
                rm_due_totals,
                {
                    "administration_id": administration_id,
                    "due_date": due_date,
                    "currency": currency,
                },
                {"count": count, "total": total},
            )
        for (administration_id, debtor_id), (count, total) in debtors.items():
            if count == 0 and total == 0:
                continue
            await self.session.execute(
                sa.update(rm_debtors)
                .where(
                    rm_debtors.c.administration_id == administration_id,
                    rm_debtors.c.debtor_id == debtor_id,
                )
                .values(
                    open_invoices=rm_debtors.c.open_invoices + count,
                    open_amount=rm_debtors.c.open_amount + total,
                )
            )

    async def _apply_attention_counts(self) -> None:
        for (administration_id, subject_type, reason), delta in self.attention.items():
            if delta:
                await _add(
                    self.session,
                    rm_attention_counts,
                    {
                        "administration_id": administration_id,
                        "subject_type": subject_type,
                        "reason": reason,
                    },
                    {"count": delta},
                )


async def _add(
    session: AsyncSession, table: sa.Table, key: dict[str, Any], deltas: dict[str, Any]
) -> None:
    """Add `deltas` to the counters of the row `key`, creating it when missing."""
    where = [table.c[name] == value for name, value in key.items()]
    result = await session.execute(
        sa.update(table)
        .where(*where)
        .values({name: table.c[name] + value for name, value in deltas.items()})
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(sa.insert(table).values(**key, **deltas))


async def _recount_debtor(session: AsyncSession, administration_id: str, debtor_id: str) -> None:
    """A debtor seen for the first time: count its open invoices once (indexed by debtor)."""
    count, total = (
        await session.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(rm_invoices.c.open_amount), 0)
            ).where(
                rm_invoices.c.administration_id == administration_id,
                rm_invoices.c.debtor_id == debtor_id,
                rm_invoices.c.status == "open",
                rm_invoices.c.due_date.is_not(None),
            )
        )
    ).one()
    await session.execute(
        sa.update(rm_debtors)
        .where(
            rm_debtors.c.administration_id == administration_id,
            rm_debtors.c.debtor_id == debtor_id,
        )
        .values(open_invoices=count, open_amount=Decimal(total))
    )


async def project(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
    """The batch handler of the gateway's consumer group."""
    batch = _Batch(session)
    await batch.prefetch(
        {
            (event.administration_id, event.invoice_id)
            for event in (received.payload for received in events)
            if isinstance(event, importer._InvoiceFact | dunning._InvoiceStepEvent)
        }
    )
    for received in events:
        await _apply(batch, received)
    await batch.flush()


async def _apply(batch: _Batch, received: ReceivedEvent) -> None:
    event = received.payload
    at = aware(received.envelope.time)
    assert at is not None
    if isinstance(event, importer.DebtorUpserted):
        await _debtor(batch, event)
    elif isinstance(event, importer.ImportRunFinished):
        await _run(batch.session, event)
    elif isinstance(event, importer.CreditNoteImported):
        return  # credit notes are not shown in the read model yet
    elif isinstance(event, importer._InvoiceFact):
        await _invoice_fact(batch, event)
    elif isinstance(event, dunning.StepExecuted):
        await _step_executed(batch, event, received.envelope.id, at)
    elif isinstance(event, dunning.StepPlanned | dunning.PhaseChanged):
        await _dunning_state(batch, event, at)
    elif isinstance(event, dunning.AttentionRaised | dunning.AttentionResolved):
        await _attention(batch, event, at)
    elif isinstance(event, dunning.AdministrationPauseChanged | dunning.DebtorPauseChanged):
        await _pause(batch.session, event, at)
    elif isinstance(event, messaging.MessageRead):
        await _message_read(batch.session, event, at)
    elif isinstance(event, messaging._MessageEvent):
        await _message(batch.session, event, at)


async def _invoice_fact(batch: _Batch, fact: importer._InvoiceFact) -> None:
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if fact.version <= row["import_version"]:
        # An older (or the same) fact: the row already knows better, except for the fields
        # fixed at the first import, when a newer fact overtook that import.
        if isinstance(fact, importer.InvoiceImported) and row["due_date"] is None:
            await _fixed_fields(batch, row, fact)
            if row["status"] == "unknown":
                row["status"] = "open"
            if row["open_amount"] is None:
                row["open_amount"] = fact.open_amount
        return
    row["import_version"] = fact.version
    row["number"] = fact.number
    if isinstance(fact, importer.InvoiceImported):
        await _fixed_fields(batch, row, fact)
        row.update(open_amount=fact.open_amount, status="open")
    elif isinstance(fact, importer.InvoiceChanged):
        row.update(open_amount=fact.open_amount, currency=fact.currency)
        if fact.pdf_url is not None:  # absent from older producers: keep what we have
            row["pdf_url"] = fact.pdf_url
    elif isinstance(fact, importer.InvoiceSettled):
        row["status"] = "settled"
    elif isinstance(fact, importer.InvoiceReopened):
        row.update(status="open", open_amount=fact.open_amount, currency=fact.currency)


async def _fixed_fields(batch: _Batch, row: dict[str, Any], fact: importer.InvoiceImported) -> None:
    """Number, dates, amount and debtor: fixed from the first import on."""
    if row["debtor_id"] != fact.debtor_id or row["debtor_name"] is None:
        row["debtor_name"] = await batch.session.scalar(
            sa.select(rm_debtors.c.name).where(
                rm_debtors.c.administration_id == fact.administration_id,
                rm_debtors.c.debtor_id == fact.debtor_id,
            )
        )
    row.update(
        number=fact.number,
        debtor_id=fact.debtor_id,
        invoice_date=fact.invoice_date,
        due_date=fact.due_date,
        amount=fact.amount,
        currency=fact.currency,
        pdf_url=row["pdf_url"] or fact.pdf_url,
    )


async def _debtor(batch: _Batch, fact: importer.DebtorUpserted) -> None:
    session = batch.session
    key = (fact.administration_id, fact.debtor_id)
    current = (
        await session.execute(
            sa.select(rm_debtors.c.version, rm_debtors.c.name, rm_debtors.c.number).where(
                rm_debtors.c.administration_id == fact.administration_id,
                rm_debtors.c.debtor_id == fact.debtor_id,
            )
        )
    ).first()
    if current is not None and fact.version <= current.version:
        return
    values = {
        "version": fact.version,
        "number": fact.number,
        "name": fact.name,
        "kind": fact.kind,
        "emails": list(fact.emails),
        "phone": fact.phone,
        "address_lines": list(fact.address_lines),
        "postal_code": fact.postal_code,
        "city": fact.city,
        "country": fact.country,
        "language": fact.language,
    }
    if current is None:
        await session.execute(
            sa.insert(rm_debtors).values(
                administration_id=fact.administration_id,
                debtor_id=fact.debtor_id,
                open_invoices=0,
                open_amount=ZERO,
                **values,
            )
        )
        batch.new_debtors.add(key)
        batch.renamed_debtors[key] = fact.name
    else:
        await session.execute(
            sa.update(rm_debtors)
            .where(
                rm_debtors.c.administration_id == fact.administration_id,
                rm_debtors.c.debtor_id == fact.debtor_id,
            )
            .values(**values)
        )
        if current.name != fact.name:
            batch.renamed_debtors[key] = fact.name
    if current is None or (current.name, current.number) != (fact.name, fact.number):
        await _index_words(session, fact, replace=current is not None)
    for row in batch.invoices.values():  # invoices of this batch not yet written
        if (
            row["administration_id"] == fact.administration_id
            and row["debtor_id"] == fact.debtor_id
        ):
            row["debtor_name"] = fact.name


async def _index_words(
    session: AsyncSession, fact: importer.DebtorUpserted, *, replace: bool
) -> None:
    """The words the debtor search finds the debtor by (see settle_gateway.search)."""
    if replace:
        await session.execute(
            sa.delete(rm_debtor_words).where(
                rm_debtor_words.c.administration_id == fact.administration_id,
                rm_debtor_words.c.debtor_id == fact.debtor_id,
            )
        )
    rows = list(word_rows(fact.administration_id, [(fact.debtor_id, fact.number, fact.name)]))
    if rows:
        await session.execute(sa.insert(rm_debtor_words), rows)


async def _run(session: AsyncSession, fact: importer.ImportRunFinished) -> None:
    exists = await session.scalar(
        sa.select(rm_import_runs.c.run_id).where(rm_import_runs.c.run_id == fact.run_id)
    )
    if exists is not None:
        return  # a run finishes once
    await session.execute(
        sa.insert(rm_import_runs).values(
            run_id=fact.run_id,
            administration_id=fact.administration_id,
            source=fact.source,
            status=fact.status,
            error=fact.error,
            counts=fact.counts.model_dump(),
            started_at=aware(fact.started_at),
            finished_at=aware(fact.finished_at),
            duration_ms=fact.duration_ms,
        )
    )


def _newer(row: dict[str, Any], at: datetime) -> bool:
    """Dunning's events carry no version: the event time orders them."""
    if row["dunning_at"] is not None and at < row["dunning_at"]:
        return False
    row["dunning_at"] = at
    return True


async def _step_executed(
    batch: _Batch, fact: dunning.StepExecuted, event_id: str, at: datetime
) -> None:
    await batch.session.execute(
        sa.insert(rm_steps).values(
            event_id=event_id,
            administration_id=fact.administration_id,
            invoice_id=fact.invoice_id,
            step_id=fact.step_id,
            executed_on=fact.executed_on,
            phase=fact.phase,
            reason=fact.reason,
            channels=list(fact.channels),
            legally_required=fact.legally_required,
            at=at,
        )
    )
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if _newer(row, at):
        row.update(
            phase=fact.phase,
            next_step_id=fact.next_step_id,
            next_step_on=fact.next_step_on,
            debtor_id=row["debtor_id"] or fact.debtor_id,
        )


async def _dunning_state(
    batch: _Batch, fact: dunning.StepPlanned | dunning.PhaseChanged, at: datetime
) -> None:
    row = await batch.invoice(fact.administration_id, fact.invoice_id)
    if not _newer(row, at):
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


async def _attention(
    batch: _Batch, fact: dunning.AttentionRaised | dunning.AttentionResolved, at: datetime
) -> None:
    session = batch.session
    key = {
        "administration_id": fact.administration_id,
        "subject_type": fact.subject_type,
        "subject_id": fact.subject_id,
        "reason": fact.reason,
    }
    where = [rm_attention.c[name] == value for name, value in key.items()]
    current = (await session.execute(sa.select(rm_attention).where(*where))).first()
    is_open = isinstance(fact, dunning.AttentionRaised)
    if current is None:
        await session.execute(
            sa.insert(rm_attention).values(**key, open=is_open, sentence=fact.sentence, at=at)
        )
        was_open = False
    else:
        stored_at = aware(current.at)
        assert stored_at is not None
        if at < stored_at:
            return
        await session.execute(
            sa.update(rm_attention)
            .where(*where)
            .values(open=is_open, sentence=fact.sentence, at=at)
        )
        was_open = current.open
    if is_open != was_open:
        counter = (fact.administration_id, fact.subject_type, fact.reason)
        batch.attention[counter] += 1 if is_open else -1


def pause_key(administration_id: str, debtor_id: str | None) -> dict[str, str]:
    """The rm_pauses row of an administration (no debtor) or of one of its debtors."""
    return {
        "administration_id": administration_id,
        "subject_type": "debtor" if debtor_id else "administration",
        "subject_id": debtor_id or administration_id,
    }


async def _pause(
    session: AsyncSession,
    fact: dunning.AdministrationPauseChanged | dunning.DebtorPauseChanged,
    at: datetime,
) -> None:
    debtor_id = fact.debtor_id if isinstance(fact, dunning.DebtorPauseChanged) else None
    await record_pause(session, pause_key(fact.administration_id, debtor_id), fact.mode, at)


async def record_pause(session: AsyncSession, key: dict[str, str], mode: str, at: datetime) -> None:
    """Set a pause unless what is stored is newer."""
    where = [rm_pauses.c[name] == value for name, value in key.items()]
    stored = (await session.execute(sa.select(rm_pauses.c.at).where(*where))).first()
    if stored is None:
        await session.execute(sa.insert(rm_pauses).values(**key, mode=mode, at=at))
        return
    stored_at = aware(stored.at)
    assert stored_at is not None
    if at >= stored_at:
        await session.execute(sa.update(rm_pauses).where(*where).values(mode=mode, at=at))


async def record_pause_locally(session: AsyncSession, key: dict[str, str], mode: str) -> None:
    """After dunning accepted a pause or resume, show it at once. The row keeps the time of
    the newest event applied, so the event of this very command still applies after it."""
    where = [rm_pauses.c[name] == value for name, value in key.items()]
    result = await session.execute(sa.update(rm_pauses).where(*where).values(mode=mode))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(sa.insert(rm_pauses).values(**key, mode=mode, at=BEFORE_ANY_EVENT))


_STATES: dict[type[messaging._MessageEvent], str] = {
    messaging.MessageSent: "sent",
    messaging.MessageFailed: "failed",
    messaging.MessageBounced: "bounced",
    messaging.LetterAwaitingPosting: "awaiting_posting",
    messaging.ReplyReceived: "received",
}


async def _message(session: AsyncSession, fact: messaging._MessageEvent, at: datetime) -> None:
    state = _STATES.get(type(fact))
    if state is None:
        return
    inbound = isinstance(fact, messaging.ReplyReceived)
    values: dict[str, Any] = {"state": state, "state_at": at, "thread_id": fact.thread_id}
    if isinstance(fact, messaging.MessageSent | messaging.MessageFailed):
        values["channel"] = fact.channel
    if isinstance(fact, messaging.MessageFailed):
        values["detail"] = fact.detail
    if isinstance(fact, messaging.MessageBounced):
        values["detail"] = fact.reason
    if isinstance(fact, messaging.LetterAwaitingPosting):
        values["channel"] = "letter"
    if isinstance(fact, messaging.ReplyReceived):
        values["subject"] = fact.subject_line
        values["channel"] = "email" if fact.via == "email" else "reply_page"
    current = (
        await session.execute(
            sa.select(rm_messages.c.state_at).where(rm_messages.c.message_id == fact.message_id)
        )
    ).first()
    if current is None:
        await session.execute(
            sa.insert(rm_messages).values(
                message_id=fact.message_id,
                administration_id=fact.administration_id,
                debtor_id=fact.debtor_id,
                direction="inbound" if inbound else "outbound",
                invoice_ids=list(fact.invoice_ids),
                read=not inbound,  # our own messages need no reading
                created_at=at,
                **{"channel": None, "subject": None, "detail": None, **values},
            )
        )
        if fact.invoice_ids:
            await session.execute(
                sa.insert(rm_message_invoices),
                [
                    {
                        "message_id": fact.message_id,
                        "invoice_id": invoice_id,
                        "administration_id": fact.administration_id,
                    }
                    for invoice_id in dict.fromkeys(fact.invoice_ids)
                ],
            )
        return
    stored_at = aware(current.state_at)
    assert stored_at is not None
    if at >= stored_at:
        await session.execute(
            sa.update(rm_messages).where(rm_messages.c.message_id == fact.message_id).values(values)
        )


async def _message_read(session: AsyncSession, fact: messaging.MessageRead, at: datetime) -> None:
    current = (
        await session.execute(
            sa.select(rm_messages.c.read_at).where(rm_messages.c.message_id == fact.message_id)
        )
    ).first()
    if current is None:
        return  # a read mark of a reply we never saw: nothing to show it on
    stored = aware(current.read_at)
    if stored is not None and at < stored:
        return
    await session.execute(
        sa.update(rm_messages)
        .where(rm_messages.c.message_id == fact.message_id)
        .values(read=fact.read, read_at=at)
    )


async def mark_read_locally(
    session: AsyncSession, administration_id: str, message_id: str, read: bool, at: datetime
) -> None:
    """After messaging accepted a read mark, show it at once; its event confirms it later."""
    await session.execute(
        sa.update(rm_messages)
        .where(
            rm_messages.c.administration_id == administration_id,
            rm_messages.c.message_id == message_id,
        )
        .values(read=read, read_at=at)
    )


# Older than any event: the first event about the message overwrites the state recorded here.
BEFORE_ANY_EVENT = datetime(2000, 1, 1, tzinfo=UTC)


async def record_written_locally(
    session: AsyncSession,
    *,
    administration_id: str,
    message_id: str,
    debtor_id: str,
    thread_id: str | None,
    subject: str,
    invoice_ids: list[str],
    at: datetime,
) -> None:
    """A message a user wrote, as soon as messaging queued it, so it shows in the debtor's
    thread at once. The events about it (sent, bounced) update its state afterwards; only the
    subject, which no event carries, comes from here."""
    exists = await session.scalar(
        sa.select(rm_messages.c.message_id).where(rm_messages.c.message_id == message_id)
    )
    if exists is not None:  # its first event was quicker than this request
        await session.execute(
            sa.update(rm_messages)
            .where(rm_messages.c.message_id == message_id)
            .values(subject=subject)
        )
        return
    await session.execute(
        sa.insert(rm_messages).values(
            message_id=message_id,
            administration_id=administration_id,
            debtor_id=debtor_id,
            thread_id=thread_id or message_id,
            direction="outbound",
            state="queued",
            channel=None,
            subject=subject,
            detail=None,
            invoice_ids=invoice_ids,
            read=True,
            created_at=at,
            state_at=BEFORE_ANY_EVENT,
        )
    )
    if invoice_ids:
        await session.execute(
            sa.insert(rm_message_invoices),
            [
                {
                    "message_id": message_id,
                    "invoice_id": invoice_id,
                    "administration_id": administration_id,
                }
                for invoice_id in dict.fromkeys(invoice_ids)
            ],
        )
