"""The payments service's repositories on its database: payments (with the invoices they
cover) and the payable copy of invoices, and the store that hands them to a use case with the
outbox of the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from settle_payments.adapters.tables import (
    payable_invoices,
    payable_plans,
    payment_invoices,
    payments,
)
from settle_payments.application.ports import Checkout
from settle_payments.domain.invoices import PayableInvoice
from settle_payments.domain.money import from_minor, to_minor
from settle_payments.domain.payments import Chargeback, CoveredInvoice, Payment, Refund
from settle_payments.domain.plans import PayableCase, PayablePlan, PlanInstalment
from settle_payments.domain.statuses import PaymentStatus
from settle_shared.db import aware, is_sqlite
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

COVERING = [s.value for s in PaymentStatus if s.covers_invoices]


def _postgres(session: AsyncSession) -> bool:
    bind = session.bind
    return bind is not None and not is_sqlite(str(bind.engine.url))


def _insert(session: AsyncSession, table: sa.Table) -> Any:
    """An INSERT that can say ON CONFLICT, in the session's dialect."""
    return (postgresql.insert if _postgres(session) else sqlite.insert)(table)


def _refunds_json(items: Sequence[Refund]) -> list[dict[str, str]]:
    return [{"id": r.refund_id, "amount": str(r.amount), "at": r.at.isoformat()} for r in items]


def _chargebacks_json(items: Sequence[Chargeback]) -> list[dict[str, str]]:
    return [{"id": c.chargeback_id, "amount": str(c.amount), "at": c.at.isoformat()} for c in items]


def _payment(row: Any, covered: Sequence[Any]) -> Payment:
    currency = row.currency
    return Payment(
        payment_id=row.payment_id,
        administration_id=row.administration_id,
        debtor_id=row.debtor_id,
        invoices=tuple(
            CoveredInvoice(c.invoice_id, c.number, from_minor(c.amount_minor, currency))
            for c in covered
        ),
        amount=from_minor(row.amount_minor, currency),
        currency=currency,
        description=row.description,
        redirect_url=row.redirect_url,
        idempotency_key=row.idempotency_key,
        created_at=aware(row.created_at),
        status=PaymentStatus(row.status),
        psp=row.psp,
        psp_payment_id=row.psp_payment_id,
        psp_status=row.psp_status,
        checkout_url=row.checkout_url,
        method=row.method,
        status_changed_at=aware(row.status_changed_at),
        refunds=tuple(
            Refund(r["id"], Decimal(r["amount"]), datetime.fromisoformat(r["at"]))
            for r in row.refunds
        ),
        chargebacks=tuple(
            Chargeback(c["id"], Decimal(c["amount"]), datetime.fromisoformat(c["at"]))
            for c in row.chargebacks
        ),
        plan_id=row.plan_id,
        instalment=row.instalment,
    )


class SqlPayments:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.postgres = _postgres(session)

    async def _with_invoices(self, rows: Sequence[Any]) -> list[Payment]:
        if not rows:
            return []
        ids = [row.payment_id for row in rows]
        covered: dict[str, list[Any]] = {payment_id: [] for payment_id in ids}
        result = await self.session.execute(
            sa.select(payment_invoices)
            .where(payment_invoices.c.payment_id.in_(ids))
            .order_by(payment_invoices.c.payment_id, payment_invoices.c.position)
        )
        for line in result:
            covered[line.payment_id].append(line)
        return [_payment(row, covered[row.payment_id]) for row in rows]

    async def _one(self, query: sa.Select[Any]) -> Payment | None:
        row = (await self.session.execute(query)).first()
        found = await self._with_invoices([row] if row else [])
        return found[0] if found else None

    async def get(
        self, payment_id: str, *, administration_id: str | None = None, lock: bool = False
    ) -> Payment | None:
        query = sa.select(payments).where(payments.c.payment_id == payment_id)
        if administration_id is not None:
            query = query.where(payments.c.administration_id == administration_id)
        if lock:
            if self.postgres:
                query = query.with_for_update()
            else:
                # pysqlite begins a transaction at the first write only: a write that changes
                # nothing takes the database's write lock before the read.
                await self.session.execute(
                    sa.update(payments).where(sa.false()).values(status="open")
                )
        return await self._one(query)

    async def by_idempotency_key(self, administration_id: str, key: str) -> Payment | None:
        return await self._one(
            sa.select(payments).where(
                payments.c.administration_id == administration_id,
                payments.c.idempotency_key == key,
            )
        )

    async def id_of(self, psp: str, psp_payment_id: str) -> str | None:
        found = await self.session.scalar(
            sa.select(payments.c.payment_id).where(
                payments.c.psp == psp, payments.c.psp_payment_id == psp_payment_id
            )
        )
        return str(found) if found is not None else None

    async def add(self, payment: Payment) -> bool:
        currency = payment.currency
        inserted = await self.session.execute(
            _insert(self.session, payments)
            .values(
                payment_id=payment.payment_id,
                administration_id=payment.administration_id,
                debtor_id=payment.debtor_id,
                amount_minor=to_minor(payment.amount, currency),
                currency=currency,
                description=payment.description,
                redirect_url=payment.redirect_url,
                idempotency_key=payment.idempotency_key,
                status=payment.status.value,
                psp=payment.psp,
                refunds=[],
                chargebacks=[],
                created_at=payment.created_at,
                refresh_due=False,
                plan_id=payment.plan_id,
                instalment=payment.instalment,
            )
            .on_conflict_do_nothing(index_elements=["administration_id", "idempotency_key"])
        )
        if inserted.rowcount != 1:  # type: ignore[attr-defined]
            return False
        await self.session.execute(
            sa.insert(payment_invoices),
            [
                {
                    "payment_id": payment.payment_id,
                    "invoice_id": covered.invoice_id,
                    "administration_id": payment.administration_id,
                    "number": covered.number,
                    "amount_minor": to_minor(covered.amount, currency),
                    "position": position,
                }
                for position, covered in enumerate(payment.invoices)
            ],
        )
        return True

    async def set_checkout(self, payment_id: str, checkout: Checkout) -> bool:
        result = await self.session.execute(
            sa.update(payments)
            .where(payments.c.payment_id == payment_id, payments.c.psp_payment_id.is_(None))
            .values(
                psp_payment_id=checkout.psp_payment_id,
                checkout_url=checkout.checkout_url,
                psp_status=checkout.psp_status,
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def save(self, payment: Payment, checked_at: datetime) -> None:
        await self.session.execute(
            sa.update(payments)
            .where(payments.c.payment_id == payment.payment_id)
            .values(
                status=payment.status.value,
                psp_status=payment.psp_status,
                method=payment.method,
                status_changed_at=payment.status_changed_at,
                refunds=_refunds_json(payment.refunds),
                chargebacks=_chargebacks_json(payment.chargebacks),
                checked_at=checked_at,
                refresh_due=False,
            )
        )

    async def checked(self, payment_id: str, at: datetime, *, refresh_due: bool = False) -> None:
        await self.session.execute(
            sa.update(payments)
            .where(payments.c.payment_id == payment_id)
            .values(checked_at=at, refresh_due=refresh_due)
        )

    async def being_paid(self, administration_id: str, invoice_ids: Sequence[str]) -> set[str]:
        if not invoice_ids:
            return set()
        result = await self.session.execute(
            sa.select(payment_invoices.c.invoice_id)
            .join(payments, payments.c.payment_id == payment_invoices.c.payment_id)
            .where(
                payment_invoices.c.administration_id == administration_id,
                payment_invoices.c.invoice_id.in_(list(invoice_ids)),
                payments.c.status.in_(COVERING),
            )
        )
        return set(result.scalars())

    async def instalments_in_flight(
        self, administration_id: str, plan_id: str, counted_at: datetime
    ) -> set[int]:
        covering = sa.or_(
            payments.c.status.in_(["pending", "authorized"]),
            sa.and_(payments.c.status == "paid", payments.c.status_changed_at > counted_at),
        )
        result = await self.session.execute(
            sa.select(payments.c.instalment).where(
                payments.c.administration_id == administration_id,
                payments.c.plan_id == plan_id,
                covering,
            )
        )
        return {int(n) for n in result.scalars() if n is not None}

    async def search(
        self,
        administration_id: str,
        *,
        debtor_id: str | None,
        invoice_id: str | None,
        limit: int,
    ) -> list[Payment]:
        query = sa.select(payments).where(
            payments.c.administration_id == administration_id,
            payments.c.psp_payment_id.is_not(None),
        )
        if debtor_id is not None:
            query = query.where(payments.c.debtor_id == debtor_id)
        if invoice_id is not None:
            covering = sa.select(payment_invoices.c.payment_id).where(
                payment_invoices.c.administration_id == administration_id,
                payment_invoices.c.invoice_id == invoice_id,
            )
            query = query.where(payments.c.payment_id.in_(covering))
        query = query.order_by(payments.c.created_at.desc(), payments.c.payment_id).limit(limit)
        return await self._with_invoices(list(await self.session.execute(query)))

    async def to_refresh(
        self, statuses: frozenset[PaymentStatus], checked_before: datetime, limit: int
    ) -> list[Payment]:
        stale = sa.and_(
            payments.c.status.in_([s.value for s in statuses]),
            sa.or_(payments.c.checked_at.is_(None), payments.c.checked_at < checked_before),
        )
        query = (
            sa.select(payments)
            .where(payments.c.psp_payment_id.is_not(None), sa.or_(stale, payments.c.refresh_due))
            .order_by(payments.c.checked_at.nulls_first(), payments.c.payment_id)
            .limit(limit)
        )
        return await self._with_invoices(list(await self.session.execute(query)))


def _invoice(row: Any) -> PayableInvoice:
    return PayableInvoice(
        invoice_id=row.invoice_id,
        debtor_id=row.debtor_id,
        number=row.number,
        currency=row.currency,
        open_amount=from_minor(row.open_minor, row.currency),
        settled=row.settled,
        version=row.version,
    )


class SqlPayableInvoices:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def many(
        self, administration_id: str, invoice_ids: Sequence[str]
    ) -> dict[str, PayableInvoice]:
        if not invoice_ids:
            return {}
        result = await self.session.execute(
            sa.select(payable_invoices).where(
                payable_invoices.c.administration_id == administration_id,
                payable_invoices.c.invoice_id.in_(list(invoice_ids)),
            )
        )
        return {row.invoice_id: _invoice(row) for row in result}

    async def get(self, administration_id: str, invoice_id: str) -> PayableInvoice | None:
        return (await self.many(administration_id, [invoice_id])).get(invoice_id)

    async def save_many(self, administration_id: str, invoices: Sequence[PayableInvoice]) -> None:
        if not invoices:
            return
        insert = _insert(self.session, payable_invoices)
        columns = ["debtor_id", "number", "currency", "open_minor", "settled", "version"]
        await self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["administration_id", "invoice_id"],
                set_={name: insert.excluded[name] for name in columns},
            ),
            [
                {
                    "administration_id": administration_id,
                    "invoice_id": invoice.invoice_id,
                    "debtor_id": invoice.debtor_id,
                    "number": invoice.number,
                    "currency": invoice.currency,
                    "open_minor": to_minor(invoice.open_amount, invoice.currency),
                    "settled": invoice.settled,
                    "version": invoice.version,
                }
                for invoice in invoices
            ],
        )

    async def debtor_known(self, administration_id: str, debtor_id: str) -> bool:
        found = await self.session.execute(
            sa.select(sa.literal(1))
            .where(
                payable_invoices.c.administration_id == administration_id,
                payable_invoices.c.debtor_id == debtor_id,
            )
            .limit(1)
        )
        return found.first() is not None


class SqlPayablePlans:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, administration_id: str, plan_id: str
    ) -> tuple[PayablePlan, datetime] | None:
        row = (
            await self.session.execute(
                sa.select(payable_plans).where(
                    payable_plans.c.administration_id == administration_id,
                    payable_plans.c.plan_id == plan_id,
                )
            )
        ).first()
        if row is None:
            return None
        plan = PayablePlan(
            plan_id=row.plan_id,
            debtor_id=row.debtor_id,
            status=row.status,
            currency=row.currency,
            invoice_ids=tuple(row.invoice_ids),
            instalments=tuple(
                PlanInstalment(
                    i["number"],
                    date.fromisoformat(i["due_on"]),
                    Decimal(i["amount"]),
                    Decimal(i["paid_amount"]),
                )
                for i in row.instalments
            ),
            version=row.version,
            cases=tuple(
                PayableCase(c["case_id"], tuple(c["invoice_ids"]), Decimal(c["open_amount"]))
                for c in row.cases or ()
            ),
        )
        return plan, aware(row.updated_at)

    async def save(self, administration_id: str, plan: PayablePlan, at: datetime) -> None:
        values = {
            "debtor_id": plan.debtor_id,
            "status": plan.status,
            "currency": plan.currency,
            "invoice_ids": list(plan.invoice_ids),
            "instalments": [
                {
                    "number": i.number,
                    "due_on": i.due_on.isoformat(),
                    "amount": str(i.amount),
                    "paid_amount": str(i.paid_amount),
                }
                for i in plan.instalments
            ],
            "version": plan.version,
            "updated_at": at,
            "cases": [
                {
                    "case_id": c.case_id,
                    "invoice_ids": list(c.invoice_ids),
                    "open_amount": str(c.open_amount),
                }
                for c in plan.cases
            ],
        }
        await self.session.execute(
            _insert(self.session, payable_plans)
            .values(administration_id=administration_id, plan_id=plan.plan_id, **values)
            .on_conflict_do_update(index_elements=["administration_id", "plan_id"], set_=values)
        )


class SqlStore:
    """The repositories and the outbox of one transaction."""

    def __init__(self, session: AsyncSession, outbox: Outbox) -> None:
        self.session = session
        self.outbox = outbox
        self.payments = SqlPayments(session)
        self.invoices = SqlPayableInvoices(session)
        self.plans = SqlPayablePlans(session)

    async def stage(
        self,
        administration_id: str,
        events: Sequence[Event],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        envelopes = [
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
        await self.outbox.add_envelopes(self.session, envelopes)
