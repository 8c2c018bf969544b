"""The collection service's repositories on its database, and the store that hands them to a
use case with the outbox of the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from settle_collection.adapters.codec import (
    entry_json,
    entry_of,
    invoice_json,
    invoice_of,
    settings_json,
    settings_of,
)
from settle_collection.adapters.tables import (
    cases,
    collection_settings,
    credit_notes,
    debtors,
    handoffs,
    interest_rates,
    invoices,
    messages,
)
from settle_collection.application.ports import Handoff
from settle_collection.domain.cases import Case, Outcome, Status, Step
from settle_collection.domain.parties import (
    Address,
    AdministrationSettings,
    CreditNote,
    Debtor,
    Invoice,
    Message,
)
from settle_law.interest import RateKind, RatePeriod, RateTable
from settle_shared.db import aware, is_sqlite
from settle_shared.envelope import Envelope
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

# Keeps IN lists well inside every driver's parameter limits.
CHUNK = 500

OWN_STEPS = [s.value for s in Step if s.own and s is not Step.READY_FOR_BAILIFF]
ACTIVE = [Status.PROPOSED.value, Status.OPEN.value]


def chunks(items: Sequence[str], size: int = CHUNK) -> list[list[str]]:
    """`items` in lists of at most `size`."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def _postgres(session: AsyncSession) -> bool:
    bind = session.bind
    return bind is not None and not is_sqlite(str(bind.engine.url))


def _insert(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    return (postgresql.insert if _postgres(session) else sqlite.insert)(table)


async def _upsert(
    session: AsyncSession, table: sa.Table, values: dict[str, Any], keys: Sequence[str]
) -> None:
    statement = _insert(session, table).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in values if name not in keys},
        )
    )


async def _upsert_rows(
    session: AsyncSession, table: sa.Table, rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Many rows of the same columns in one statement (an executemany)."""
    statement = _insert(session, table)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(keys),
            set_={name: statement.excluded[name] for name in rows[0] if name not in keys},
        ),
        rows,
    )


class SqlSettings:
    """An administration's settings, read once per transaction (a consumer's batch asks for
    them for every event)."""

    def __init__(self, session: AsyncSession, clock_now: datetime) -> None:
        self.session, self.now = session, clock_now
        self.known: dict[str, AdministrationSettings] = {}

    async def get(self, administration_id: str) -> AdministrationSettings:
        if administration_id in self.known:
            return self.known[administration_id]
        data = await self.session.scalar(
            sa.select(collection_settings.c.settings).where(
                collection_settings.c.administration_id == administration_id
            )
        )
        found = settings_of(data) if data is not None else AdministrationSettings()
        self.known[administration_id] = found
        return found

    async def save(self, administration_id: str, settings: AdministrationSettings) -> None:
        self.known[administration_id] = settings
        await _upsert(
            self.session,
            collection_settings,
            {
                "administration_id": administration_id,
                "settings": settings_json(settings),
                "updated_at": self.now,
            },
            ["administration_id"],
        )


def _debtor(row: Any) -> Debtor:
    lines = tuple(row.address_lines or ())
    address = (
        Address(lines, row.postal_code, row.city, row.country)
        if lines or row.postal_code or row.city
        else None
    )
    return Debtor(
        debtor_id=row.debtor_id,
        number=row.number,
        name=row.name,
        kind=row.kind,
        emails=tuple(row.emails or ()),
        phone=row.phone,
        address=address,
        language=row.language,
        version=row.version,
    )


class SqlDebtors:
    """The copies of debtors. What a transaction writes is kept and written at `flush`, one
    statement for all, like the invoices'."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # What this transaction read or wrote already, or prefetched for a consumer's batch.
        self.known: dict[tuple[str, str], Debtor | None] = {}
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}

    async def prefetch(self, administration_id: str, debtor_ids: Sequence[str]) -> None:
        """Read the debtors of a batch in one query."""
        wanted = [d for d in dict.fromkeys(debtor_ids) if (administration_id, d) not in self.known]
        for part in chunks(wanted):
            rows = await self.session.execute(
                sa.select(debtors).where(
                    debtors.c.administration_id == administration_id,
                    debtors.c.debtor_id.in_(part),
                )
            )
            found = {row.debtor_id: _debtor(row) for row in rows}
            for debtor_id in part:
                self.known[administration_id, debtor_id] = found.get(debtor_id)

    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None:
        if (administration_id, debtor_id) in self.known:
            return self.known[administration_id, debtor_id]
        row = (
            await self.session.execute(
                sa.select(debtors).where(
                    debtors.c.administration_id == administration_id,
                    debtors.c.debtor_id == debtor_id,
                )
            )
        ).first()
        return _debtor(row) if row else None

    async def save(self, administration_id: str, debtor: Debtor) -> None:
        self.known[administration_id, debtor.debtor_id] = debtor
        address = debtor.address or Address()
        self.pending[administration_id, debtor.debtor_id] = {
            "administration_id": administration_id,
            "debtor_id": debtor.debtor_id,
            "number": debtor.number,
            "name": debtor.name,
            "kind": debtor.kind,
            "emails": list(debtor.emails),
            "phone": debtor.phone,
            "address_lines": list(address.lines),
            "postal_code": address.postal_code,
            "city": address.city,
            "country": address.country,
            "language": debtor.language,
            "version": debtor.version,
        }

    async def flush(self) -> None:
        """Write what the transaction changed, in one statement."""
        rows, self.pending = list(self.pending.values()), {}
        if not rows:
            return
        await _upsert_rows(self.session, debtors, rows, ("administration_id", "debtor_id"))


def _invoice(row: Any) -> Invoice:
    return Invoice(
        invoice_id=row.invoice_id,
        debtor_id=row.debtor_id,
        number=row.number,
        invoice_date=row.invoice_date,
        due_date=row.due_date,
        amount=Decimal(row.amount),
        open_amount=Decimal(row.open_amount),
        currency=row.currency,
        version=row.version,
        pdf_url=row.pdf_url,
        settled=row.settled,
        ready_on=row.ready_on,
        legal_letter_sent_on=row.legal_letter_sent_on,
        case_id=row.case_id,
    )


class SqlInvoices:
    """The copies of invoices. What a transaction writes is kept and written at `flush`, one
    statement for all (a consumer's batch writes hundreds); every read goes through `known`,
    which holds what was written, so nothing reads around a pending write."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # What this transaction read or wrote already, or prefetched for a consumer's batch.
        self.known: dict[tuple[str, str], Invoice | None] = {}
        self.pending: dict[tuple[str, str], dict[str, Any]] = {}

    async def get(self, administration_id: str, invoice_id: str) -> Invoice | None:
        found = await self.many(administration_id, [invoice_id])
        return found.get(invoice_id)

    async def many(self, administration_id: str, invoice_ids: Sequence[str]) -> dict[str, Invoice]:
        wanted = [i for i in dict.fromkeys(invoice_ids) if (administration_id, i) not in self.known]
        for part in chunks(wanted):
            rows = await self.session.execute(
                sa.select(invoices).where(
                    invoices.c.administration_id == administration_id,
                    invoices.c.invoice_id.in_(part),
                )
            )
            found = {row.invoice_id: _invoice(row) for row in rows}
            for invoice_id in part:
                self.known[administration_id, invoice_id] = found.get(invoice_id)
        result = {}
        for invoice_id in invoice_ids:
            known = self.known[administration_id, invoice_id]
            if known is not None:
                result[invoice_id] = known
        return result

    async def save(self, administration_id: str, invoice: Invoice) -> None:
        self.known[administration_id, invoice.invoice_id] = invoice
        self.pending[administration_id, invoice.invoice_id] = self._row(administration_id, invoice)

    def _row(self, administration_id: str, invoice: Invoice) -> dict[str, Any]:
        return {
            "administration_id": administration_id,
            "invoice_id": invoice.invoice_id,
            "debtor_id": invoice.debtor_id,
            "number": invoice.number,
            "invoice_date": invoice.invoice_date,
            "due_date": invoice.due_date,
            "amount": invoice.amount,
            "open_amount": invoice.open_amount,
            "currency": invoice.currency,
            "pdf_url": invoice.pdf_url,
            "version": invoice.version,
            "settled": invoice.settled,
            "ready_on": invoice.ready_on,
            "legal_letter_sent_on": invoice.legal_letter_sent_on,
            "case_id": invoice.case_id,
        }

    async def hold(
        self, administration_id: str, invoice_ids: Sequence[str], case_id: str | None
    ) -> None:
        unknown = []
        for invoice_id in invoice_ids:
            known = self.known.get((administration_id, invoice_id))
            if known is None:
                unknown.append(invoice_id)
            elif known.case_id != case_id:
                await self.save(administration_id, replace(known, case_id=case_id))
        if unknown:
            await self.session.execute(
                sa.update(invoices)
                .where(
                    invoices.c.administration_id == administration_id,
                    invoices.c.invoice_id.in_(unknown),
                )
                .values(case_id=case_id)
            )

    async def flush(self) -> None:
        """Write what the transaction changed, in one statement."""
        rows, self.pending = list(self.pending.values()), {}
        if not rows:
            return
        await _upsert_rows(self.session, invoices, rows, ("administration_id", "invoice_id"))


class SqlCreditNotes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.known: dict[tuple[str, str], list[CreditNote]] = {}

    async def prefetch(self, administration_id: str, debtor_ids: Sequence[str]) -> None:
        """Read the credit notes of a batch's debtors in one query."""
        wanted = [d for d in dict.fromkeys(debtor_ids) if (administration_id, d) not in self.known]
        for part in chunks(wanted):
            rows = await self.session.execute(
                sa.select(credit_notes).where(
                    credit_notes.c.administration_id == administration_id,
                    credit_notes.c.debtor_id.in_(part),
                )
            )
            for debtor_id in part:
                self.known[administration_id, debtor_id] = []
            for row in rows:
                self.known[administration_id, row.debtor_id].append(_note(row))

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[CreditNote]:
        if (administration_id, debtor_id) not in self.known:
            await self.prefetch(administration_id, [debtor_id])
        return list(self.known[administration_id, debtor_id])

    async def save(self, administration_id: str, note: CreditNote) -> None:
        key = (administration_id, note.debtor_id)
        if key in self.known:
            others = [n for n in self.known[key] if n.credit_note_id != note.credit_note_id]
            self.known[key] = [*others, note]
        await _upsert(
            self.session,
            credit_notes,
            {
                "administration_id": administration_id,
                "credit_note_id": note.credit_note_id,
                "debtor_id": note.debtor_id,
                "open_amount": note.open_amount,
                "version": note.version,
            },
            ["administration_id", "credit_note_id"],
        )


def _note(row: Any) -> CreditNote:
    return CreditNote(row.credit_note_id, row.debtor_id, Decimal(row.open_amount), row.version)


def _message(row: Any) -> Message:
    return Message(
        message_id=row.message_id,
        debtor_id=row.debtor_id,
        invoice_ids=tuple(row.invoice_ids or ()),
        case_id=row.case_id,
        channel=row.channel,
        direction=row.direction,
        state=row.state,
        subject=row.subject,
        legally_required=row.legally_required,
        at=aware(row.at),
        detail=row.detail,
    )


class SqlMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, administration_id: str, message: Message) -> None:
        await _upsert(
            self.session,
            messages,
            {
                "message_id": message.message_id,
                "administration_id": administration_id,
                "debtor_id": message.debtor_id,
                "invoice_ids": list(message.invoice_ids),
                "case_id": message.case_id,
                "channel": message.channel,
                "direction": message.direction,
                "state": message.state,
                "subject": (message.subject or "")[:500] or None,
                "legally_required": message.legally_required,
                "at": message.at,
                "detail": (message.detail or "")[:2000] or None,
            },
            ["message_id"],
        )

    async def get(self, message_id: str) -> Message | None:
        row = (
            await self.session.execute(
                sa.select(messages).where(messages.c.message_id == message_id)
            )
        ).first()
        return _message(row) if row else None

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[Message]:
        rows = await self.session.execute(
            sa.select(messages)
            .where(
                messages.c.administration_id == administration_id,
                messages.c.debtor_id == debtor_id,
            )
            .order_by(messages.c.at, messages.c.message_id)
        )
        return [_message(row) for row in rows]


def _case(row: Any) -> Case:
    return Case(
        case_id=row.case_id,
        administration_id=row.administration_id,
        debtor_id=row.debtor_id,
        currency=row.currency,
        consumer=row.consumer,
        status=Status(row.status),
        step=Step(row.step),
        step_on=row.step_on,
        invoices=tuple(invoice_of(item) for item in row.invoices),
        entries=tuple(entry_of(item) for item in row.entries),
        opened_on=row.opened_on,
        closed_on=row.closed_on,
        outcome=Outcome(row.outcome) if row.outcome else None,
        paused=row.paused,
        unbooked=Decimal(row.unbooked),
        partner_id=row.partner_id,
        handoff_id=row.handoff_id,
        partner_sequence=row.partner_sequence,
        partner_status=row.partner_status,
        plan_id=row.plan_id,
    )


class SqlCases:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session, self.now = session, now
        self.postgres = _postgres(session)
        # Active cases per debtor, as this transaction read and changed them.
        self.active: dict[tuple[str, str], list[Case]] = {}
        # Written at `flush`, one statement each for the new and the changed; reads of a case
        # look here first.
        self.added: dict[str, Case] = {}
        self.changed: dict[str, Case] = {}

    async def prefetch(self, administration_id: str, debtor_ids: Sequence[str]) -> None:
        """Read the active cases of a batch's debtors in one query."""
        wanted = [d for d in dict.fromkeys(debtor_ids) if (administration_id, d) not in self.active]
        for part in chunks(wanted):
            # By debtor alone, unordered, the status tested here: a condition on the status or
            # an order lets a planner without fresh statistics (a table that just grew) take
            # another index and read every open case of the administration.
            rows = await self.session.execute(
                sa.select(cases).where(
                    cases.c.administration_id == administration_id, cases.c.debtor_id.in_(part)
                )
            )
            for debtor_id in part:
                self.active[administration_id, debtor_id] = []
            for row in sorted(rows, key=lambda row: row.case_id):
                if row.status in ACTIVE:
                    self.active[administration_id, row.debtor_id].append(_case(row))

    def _remember(self, case: Case) -> None:
        key = (case.administration_id, case.debtor_id)
        if key not in self.active:
            return
        others = [c for c in self.active[key] if c.case_id != case.case_id]
        self.active[key] = sorted(
            [*others, case] if case.active else others, key=lambda c: c.case_id
        )

    def _values(self, case: Case) -> dict[str, Any]:
        return {
            "administration_id": case.administration_id,
            "debtor_id": case.debtor_id,
            "currency": case.currency,
            "consumer": case.consumer,
            "status": case.status.value,
            "step": case.step.value,
            "step_on": case.step_on,
            "paused": case.paused,
            "opened_on": case.opened_on,
            "closed_on": case.closed_on,
            "outcome": case.outcome.value if case.outcome else None,
            "unbooked": case.unbooked,
            "partner_id": case.partner_id,
            "handoff_id": case.handoff_id,
            "partner_sequence": case.partner_sequence,
            "partner_status": case.partner_status,
            "plan_id": case.plan_id,
            "invoices": [invoice_json(i) for i in case.invoices],
            "entries": [entry_json(e) for e in case.entries],
            "updated_at": self.now,
        }

    def _pending(self, case_id: str) -> Case | None:
        return self.added.get(case_id) or self.changed.get(case_id)

    async def get(self, administration_id: str, case_id: str, *, lock: bool = False) -> Case | None:
        pending = self._pending(case_id)
        if pending is not None:
            return pending if pending.administration_id == administration_id else None
        query = sa.select(cases).where(
            cases.c.administration_id == administration_id, cases.c.case_id == case_id
        )
        if lock:
            if self.postgres:
                query = query.with_for_update()
            else:
                # pysqlite begins a transaction at the first write only: a write that changes
                # nothing takes the database's write lock before the read.
                await self.session.execute(sa.update(cases).where(sa.false()).values(status="open"))
        row = (await self.session.execute(query)).first()
        return _case(row) if row else None

    async def find(self, case_id: str) -> Case | None:
        pending = self._pending(case_id)
        if pending is not None:
            return pending
        row = (
            await self.session.execute(sa.select(cases).where(cases.c.case_id == case_id))
        ).first()
        return _case(row) if row else None

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[Case]:
        if (administration_id, debtor_id) not in self.active:
            await self.prefetch(administration_id, [debtor_id])
        return list(self.active[administration_id, debtor_id])

    async def add(self, case: Case) -> None:
        self._remember(case)
        self.added[case.case_id] = case

    async def save(self, case: Case) -> None:
        self._remember(case)
        if case.case_id in self.added:
            self.added[case.case_id] = case
        else:
            self.changed[case.case_id] = case

    async def flush(self) -> None:
        """Write the cases the transaction added and changed: one statement each."""
        added, self.added = list(self.added.values()), {}
        changed, self.changed = list(self.changed.values()), {}
        if added:
            await self.session.execute(
                sa.insert(cases), [{"case_id": c.case_id, **self._values(c)} for c in added]
            )
        if changed:
            columns = self._values(changed[0])
            await self.session.execute(
                sa.update(cases)
                .where(cases.c.case_id == sa.bindparam("key"))
                .values({name: sa.bindparam(f"new_{name}") for name in columns}),
                [
                    {"key": c.case_id, **{f"new_{k}": v for k, v in self._values(c).items()}}
                    for c in changed
                ],
            )

    async def scheduled(self, started_by: date, limit: int, after: str | None) -> list[Case]:
        query = (
            sa.select(cases)
            .where(
                cases.c.status == Status.OPEN.value,
                cases.c.step_on <= started_by,
                cases.c.paused.is_(False),
                cases.c.step.in_([*OWN_STEPS, Step.READY_FOR_BAILIFF.value]),
            )
            .order_by(cases.c.case_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(cases.c.case_id > after)
        return [_case(row) for row in await self.session.execute(query)]

    async def search(
        self,
        administration_id: str,
        *,
        status: Status | None,
        step: Step | None,
        debtor_id: str | None,
        after: str | None,
        limit: int,
    ) -> list[Case]:
        query = sa.select(cases).where(cases.c.administration_id == administration_id)
        if status is not None:
            query = query.where(cases.c.status == status.value)
        if step is not None:
            query = query.where(cases.c.step == step.value)
        if debtor_id is not None:
            query = query.where(cases.c.debtor_id == debtor_id)
        if after is not None:
            query = query.where(cases.c.case_id > after)
        query = query.order_by(cases.c.case_id).limit(limit)
        return [_case(row) for row in await self.session.execute(query)]


class SqlRates:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def table(self) -> RateTable:
        rows = await self.session.execute(sa.select(interest_rates))
        return RateTable(
            RatePeriod(
                kind=RateKind(row.kind),
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                rate=Decimal(row.rate_percent).normalize(),
                source=row.source,
                confirmed=row.confirmed,
            )
            for row in rows
        )

    async def replace(self, table: RateTable) -> None:
        await self.session.execute(sa.delete(interest_rates))
        await self.session.execute(
            sa.insert(interest_rates),
            [
                {
                    "kind": p.kind.value,
                    "valid_from": p.valid_from,
                    "valid_until": p.valid_until,
                    "rate_percent": p.rate,
                    "confirmed": p.confirmed,
                    "source": p.source,
                }
                for p in table.all_periods()
            ],
        )


def _handoff(row: Any) -> Handoff:
    return Handoff(
        handoff_id=row.handoff_id,
        administration_id=row.administration_id,
        case_id=row.case_id,
        partner_id=row.partner_id,
        document=row.document,
        created_at=aware(row.created_at),
        email_to=row.email_to,
        emailed_at=aware(row.emailed_at),
        attempts=row.attempts,
        last_error=row.last_error,
        next_attempt_at=aware(row.next_attempt_at),
    )


class SqlHandoffs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, handoff: Handoff) -> None:
        await self.session.execute(
            sa.insert(handoffs).values(
                handoff_id=handoff.handoff_id,
                administration_id=handoff.administration_id,
                case_id=handoff.case_id,
                partner_id=handoff.partner_id,
                document=handoff.document,
                created_at=handoff.created_at,
                email_to=handoff.email_to,
                emailed_at=handoff.emailed_at,
                attempts=handoff.attempts,
                last_error=handoff.last_error,
                next_attempt_at=handoff.next_attempt_at,
            )
        )

    async def get(self, handoff_id: str) -> Handoff | None:
        row = (
            await self.session.execute(
                sa.select(handoffs).where(handoffs.c.handoff_id == handoff_id)
            )
        ).first()
        return _handoff(row) if row else None

    async def of_case(self, administration_id: str, case_id: str) -> list[Handoff]:
        rows = await self.session.execute(
            sa.select(handoffs)
            .where(handoffs.c.administration_id == administration_id, handoffs.c.case_id == case_id)
            .order_by(handoffs.c.created_at)
        )
        return [_handoff(row) for row in rows]

    async def emails_due(self, now: datetime, limit: int) -> list[Handoff]:
        rows = await self.session.execute(
            sa.select(handoffs)
            .where(
                handoffs.c.email_to.is_not(None),
                handoffs.c.emailed_at.is_(None),
                sa.or_(handoffs.c.next_attempt_at.is_(None), handoffs.c.next_attempt_at <= now),
            )
            .order_by(handoffs.c.created_at)
            .limit(limit)
        )
        return [_handoff(row) for row in rows]

    async def emailed(self, handoff_id: str, at: datetime) -> None:
        await self.session.execute(
            sa.update(handoffs)
            .where(handoffs.c.handoff_id == handoff_id)
            .values(emailed_at=at, attempts=handoffs.c.attempts + 1, last_error=None)
        )

    async def email_failed(self, handoff_id: str, error: str, next_attempt_at: datetime) -> None:
        await self.session.execute(
            sa.update(handoffs)
            .where(handoffs.c.handoff_id == handoff_id)
            .values(
                attempts=handoffs.c.attempts + 1,
                last_error=error[:2000],
                next_attempt_at=next_attempt_at,
            )
        )


class SqlStore:
    """The repositories and the outbox of one session's transaction. Staged events are
    written to the outbox at `flush` (before the commit), all at once: a consumer's batch
    stages hundreds."""

    def __init__(self, session: AsyncSession, outbox: Outbox, now: datetime) -> None:
        self.session = session
        self.outbox = outbox
        self.pending: list[tuple[str, Envelope]] = []
        self.settings = SqlSettings(session, now)
        self.debtors = SqlDebtors(session)
        self.invoices = SqlInvoices(session)
        self.credit_notes = SqlCreditNotes(session)
        self.messages = SqlMessages(session)
        self.cases = SqlCases(session, now)
        self.rates = SqlRates(session)
        self.handoffs = SqlHandoffs(session)

    async def stage(
        self,
        administration_id: str,
        events: Sequence[Event],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        self.pending += [
            (
                event.topic.name,
                self.outbox.envelope(
                    event,
                    administration_id=administration_id,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                ),
            )
            for event in events
        ]

    async def flush(self) -> None:
        """Write what the transaction changed and the staged events, in the order they were
        staged."""
        await self.debtors.flush()
        await self.invoices.flush()
        await self.cases.flush()
        pending, self.pending = self.pending, []
        await self.outbox.add_envelopes(self.session, pending)

    async def prefetch(
        self, administration_id: str, invoice_ids: Sequence[str], debtor_ids: Sequence[str]
    ) -> None:
        """Read what a consumer's batch will ask for, a query per table instead of per event."""
        await self.invoices.many(administration_id, invoice_ids)
        if debtor_ids:
            await self.debtors.prefetch(administration_id, debtor_ids)
            await self.cases.prefetch(administration_id, debtor_ids)
            await self.credit_notes.prefetch(administration_id, debtor_ids)
