"""The collection service's repositories on its database, and the store that hands them to a
use case with the outbox of the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
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
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

OWN_STEPS = [s.value for s in Step if s.own and s is not Step.READY_FOR_BAILIFF]
ACTIVE = [Status.PROPOSED.value, Status.OPEN.value]


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


class SqlSettings:
    def __init__(self, session: AsyncSession, clock_now: datetime) -> None:
        self.session, self.now = session, clock_now

    async def get(self, administration_id: str) -> AdministrationSettings:
        data = await self.session.scalar(
            sa.select(collection_settings.c.settings).where(
                collection_settings.c.administration_id == administration_id
            )
        )
        return settings_of(data) if data is not None else AdministrationSettings()

    async def save(self, administration_id: str, settings: AdministrationSettings) -> None:
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
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None:
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
        address = debtor.address or Address()
        await _upsert(
            self.session,
            debtors,
            {
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
            },
            ["administration_id", "debtor_id"],
        )


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
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, administration_id: str, invoice_id: str) -> Invoice | None:
        found = await self.many(administration_id, [invoice_id])
        return found.get(invoice_id)

    async def many(self, administration_id: str, invoice_ids: Sequence[str]) -> dict[str, Invoice]:
        if not invoice_ids:
            return {}
        rows = await self.session.execute(
            sa.select(invoices).where(
                invoices.c.administration_id == administration_id,
                invoices.c.invoice_id.in_(list(invoice_ids)),
            )
        )
        return {row.invoice_id: _invoice(row) for row in rows}

    async def save(self, administration_id: str, invoice: Invoice) -> None:
        await _upsert(
            self.session,
            invoices,
            {
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
            },
            ["administration_id", "invoice_id"],
        )

    async def hold(
        self, administration_id: str, invoice_ids: Sequence[str], case_id: str | None
    ) -> None:
        if invoice_ids:
            await self.session.execute(
                sa.update(invoices)
                .where(
                    invoices.c.administration_id == administration_id,
                    invoices.c.invoice_id.in_(list(invoice_ids)),
                )
                .values(case_id=case_id)
            )


class SqlCreditNotes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[CreditNote]:
        rows = await self.session.execute(
            sa.select(credit_notes).where(
                credit_notes.c.administration_id == administration_id,
                credit_notes.c.debtor_id == debtor_id,
            )
        )
        return [
            CreditNote(row.credit_note_id, row.debtor_id, Decimal(row.open_amount), row.version)
            for row in rows
        ]

    async def save(self, administration_id: str, note: CreditNote) -> None:
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
    )


class SqlCases:
    def __init__(self, session: AsyncSession, now: datetime) -> None:
        self.session, self.now = session, now
        self.postgres = _postgres(session)

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
            "invoices": [invoice_json(i) for i in case.invoices],
            "entries": [entry_json(e) for e in case.entries],
            "updated_at": self.now,
        }

    async def get(self, administration_id: str, case_id: str, *, lock: bool = False) -> Case | None:
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
        row = (
            await self.session.execute(sa.select(cases).where(cases.c.case_id == case_id))
        ).first()
        return _case(row) if row else None

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[Case]:
        rows = await self.session.execute(
            sa.select(cases)
            .where(
                cases.c.administration_id == administration_id,
                cases.c.debtor_id == debtor_id,
                cases.c.status.in_(ACTIVE),
            )
            .order_by(cases.c.case_id)
        )
        return [_case(row) for row in rows]

    async def add(self, case: Case) -> None:
        await self.session.execute(
            sa.insert(cases).values(case_id=case.case_id, **self._values(case))
        )

    async def save(self, case: Case) -> None:
        await self.session.execute(
            sa.update(cases).where(cases.c.case_id == case.case_id).values(**self._values(case))
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
    """The repositories and the outbox of one session's transaction."""

    def __init__(self, session: AsyncSession, outbox: Outbox, now: datetime) -> None:
        self.session = session
        self.outbox = outbox
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
        if not events:
            return
        await self.outbox.add_envelopes(
            self.session,
            [
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
            ],
        )
