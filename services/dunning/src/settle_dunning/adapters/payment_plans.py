"""Payment plans (the `payment_plans`, `payment_plan_invoices` and `payment_plan_cases`
tables): one row per plan with the whole plan as JSON, and which invoices and collection cases
each plan ever covered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from settle_dunning.adapters.sql import BULK_MIN, SqlRepository
from settle_dunning.adapters.tables import (
    payment_plan_cases,
    payment_plan_invoices,
    payment_plans,
)
from settle_dunning.domain.plans import (
    CustomInstalment,
    Instalment,
    PaymentPlan,
    PlanCase,
    PlanKind,
    PlanStatus,
    PlanTerms,
    ProposedBy,
)

Json = dict[str, Any]

_UPDATE_PLANS = """
UPDATE payment_plans AS p
SET status = v.status, next_action_on = v.next_action_on, plan = v.plan::json, updated_at = $2
FROM unnest($3::text[], $4::text[], $5::date[], $6::text[])
    AS v(plan_id, status, next_action_on, plan)
WHERE p.administration_id = $1 AND p.plan_id = v.plan_id
"""


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def terms_to_json(terms: PlanTerms) -> Json:
    return {
        "kind": terms.kind.value,
        "first_date": terms.first_date.isoformat(),
        "instalments": terms.instalments,
        "instalment_amount": str(terms.instalment_amount)
        if terms.instalment_amount is not None
        else None,
        "payment_day": terms.payment_day,
        "custom": [{"due_on": c.due_on.isoformat(), "amount": str(c.amount)} for c in terms.custom],
    }


def terms_from_json(data: Json) -> PlanTerms:
    amount = data["instalment_amount"]
    return PlanTerms(
        kind=PlanKind(data["kind"]),
        first_date=date.fromisoformat(data["first_date"]),
        instalments=data["instalments"],
        instalment_amount=Decimal(amount) if amount is not None else None,
        payment_day=data["payment_day"],
        custom=tuple(
            CustomInstalment(date.fromisoformat(c["due_on"]), Decimal(c["amount"]))
            for c in data["custom"]
        ),
    )


def plan_to_json(plan: PaymentPlan) -> Json:
    """The whole plan as a JSON object (the `plan` column)."""
    return {
        "id": plan.id,
        "debtor_id": plan.debtor_id,
        "invoice_ids": list(plan.invoice_ids),
        "currency": plan.currency,
        "terms": terms_to_json(plan.terms),
        "instalments": [
            {"number": i.number, "due_on": i.due_on.isoformat(), "amount": str(i.amount)}
            for i in plan.instalments
        ],
        "status": plan.status.value,
        "proposed_by": plan.proposed_by.value,
        "created_on": plan.created_on.isoformat(),
        "baseline_open": str(plan.baseline_open),
        "open_amounts": [[i, str(a)] for i, a in plan.open_amounts],
        "reason": plan.reason,
        "started_on": _iso(plan.started_on),
        "ended_on": _iso(plan.ended_on),
        "unbooked_online": str(plan.unbooked_online),
        "paid_before_schedule": str(plan.paid_before_schedule),
        "counted_payments": list(plan.counted_payments),
        "in_flight": list(plan.in_flight),
        "reminded": list(plan.reminded),
        "missed_notified": list(plan.missed_notified),
        "version": plan.version,
        "cases": [
            {
                "case_id": c.case_id,
                "invoice_ids": list(c.invoice_ids),
                "covered": str(c.covered),
                "open": str(c.open),
                "closed": c.closed,
            }
            for c in plan.cases
        ],
    }


def plan_from_json(data: Json) -> PaymentPlan:
    """The plan stored by `plan_to_json`."""
    return PaymentPlan(
        id=data["id"],
        debtor_id=data["debtor_id"],
        invoice_ids=tuple(data["invoice_ids"]),
        currency=data["currency"],
        terms=terms_from_json(data["terms"]),
        instalments=tuple(
            Instalment(i["number"], date.fromisoformat(i["due_on"]), Decimal(i["amount"]))
            for i in data["instalments"]
        ),
        status=PlanStatus(data["status"]),
        proposed_by=ProposedBy(data["proposed_by"]),
        created_on=date.fromisoformat(data["created_on"]),
        baseline_open=Decimal(data["baseline_open"]),
        open_amounts=tuple((i, Decimal(a)) for i, a in data["open_amounts"]),
        reason=data["reason"],
        started_on=_day(data["started_on"]),
        ended_on=_day(data["ended_on"]),
        unbooked_online=Decimal(data["unbooked_online"]),
        paid_before_schedule=Decimal(data["paid_before_schedule"]),
        counted_payments=tuple(data["counted_payments"]),
        in_flight=tuple(data["in_flight"]),
        reminded=tuple(data["reminded"]),
        missed_notified=tuple(data["missed_notified"]),
        version=data["version"],
        # Plans stored before plans covered cases have no "cases".
        cases=tuple(
            PlanCase(
                c["case_id"],
                tuple(c["invoice_ids"]),
                Decimal(c["covered"]),
                Decimal(c["open"]),
                c["closed"],
            )
            for c in data.get("cases", ())
        ),
    )


class PaymentPlanRepository(SqlRepository):
    async def get(
        self, administration_id: str, plan_id: str, *, lock: bool = False
    ) -> PaymentPlan | None:
        """A plan; `lock` holds it until the transaction ends (a payment and a person's edit
        of one plan are applied one after the other)."""
        query = sa.select(payment_plans.c.plan).where(
            payment_plans.c.administration_id == administration_id,
            payment_plans.c.plan_id == plan_id,
        )
        if lock:
            query = await self.locked(query)
        data = await self.session.scalar(query)
        return plan_from_json(data) if data is not None else None

    async def add(
        self, administration_id: str, plan: PaymentPlan, next_action_on: date | None
    ) -> None:
        await self.session.execute(
            sa.insert(payment_plans).values(
                administration_id=administration_id,
                plan_id=plan.id,
                debtor_id=plan.debtor_id,
                status=plan.status.value,
                next_action_on=next_action_on,
                plan=plan_to_json(plan),
                created_at=self.now,
                updated_at=self.now,
            )
        )
        if plan.invoice_ids:
            await self.session.execute(
                sa.insert(payment_plan_invoices),
                [
                    {"administration_id": administration_id, "invoice_id": i, "plan_id": plan.id}
                    for i in plan.invoice_ids
                ],
            )
        if plan.cases:
            await self.session.execute(
                sa.insert(payment_plan_cases),
                [
                    {"administration_id": administration_id, "case_id": c, "plan_id": plan.id}
                    for c in plan.case_ids
                ],
            )

    async def holding_cases(
        self, administration_id: str, case_ids: Sequence[str]
    ) -> dict[str, str]:
        """Of these cases, those a plan holds (requested, active or expired): case id to the
        plan's id."""
        if not case_ids:
            return {}
        holding = [s.value for s in PlanStatus if s.holds_invoices]
        rows = await self.session.execute(
            sa.select(payment_plan_cases.c.case_id, payment_plan_cases.c.plan_id)
            .join(
                payment_plans,
                sa.and_(
                    payment_plans.c.administration_id == payment_plan_cases.c.administration_id,
                    payment_plans.c.plan_id == payment_plan_cases.c.plan_id,
                ),
            )
            .where(
                payment_plan_cases.c.administration_id == administration_id,
                payment_plan_cases.c.case_id.in_(list(case_ids)),
                payment_plans.c.status.in_(holding),
            )
        )
        return {row.case_id: row.plan_id for row in rows}

    async def save(
        self, administration_id: str, plan: PaymentPlan, next_action_on: date | None
    ) -> None:
        await self.session.execute(
            sa.update(payment_plans)
            .where(
                payment_plans.c.administration_id == administration_id,
                payment_plans.c.plan_id == plan.id,
            )
            .values(
                status=plan.status.value,
                next_action_on=next_action_on,
                plan=plan_to_json(plan),
                updated_at=self.now,
            )
        )

    async def due(
        self, administration_id: str, business_date: date, limit: int
    ) -> list[PaymentPlan]:
        """Plans with something to do by `business_date` (locked), through the index."""
        query = (
            sa.select(payment_plans.c.plan)
            .where(
                payment_plans.c.administration_id == administration_id,
                payment_plans.c.next_action_on <= business_date,
            )
            .order_by(payment_plans.c.next_action_on, payment_plans.c.plan_id)
            .limit(limit)
        )
        rows = await self.session.scalars(await self.locked(query))
        return [plan_from_json(data) for data in rows]

    async def save_many(
        self, administration_id: str, plans: Sequence[tuple[PaymentPlan, date | None]]
    ) -> None:
        """Write back plans with their next action: one statement for the batch on
        PostgreSQL, an executemany elsewhere."""
        if not plans:
            return
        if self.postgres and len(plans) >= BULK_MIN:
            # One UPDATE joined to the new values as arrays: one round trip for the batch.
            driver = await self.driver()
            await driver.execute(
                _UPDATE_PLANS,
                administration_id,
                self.now,
                [plan.id for plan, _ in plans],
                [plan.status.value for plan, _ in plans],
                [next_on for _, next_on in plans],
                [json.dumps(plan_to_json(plan), separators=(",", ":")) for plan, _ in plans],
            )
            return
        await self.session.execute(
            sa.update(payment_plans)
            .where(
                payment_plans.c.administration_id == administration_id,
                payment_plans.c.plan_id == sa.bindparam("k_plan"),
            )
            .values(
                status=sa.bindparam("v_status"),
                next_action_on=sa.bindparam("v_next_action_on"),
                plan=sa.bindparam("v_plan"),
                updated_at=self.now,
            ),
            [
                {
                    "k_plan": plan.id,
                    "v_status": plan.status.value,
                    "v_next_action_on": next_on,
                    "v_plan": plan_to_json(plan),
                }
                for plan, next_on in plans
            ],
        )

    async def search(
        self,
        administration_id: str,
        *,
        debtor_id: str | None = None,
        invoice_id: str | None = None,
        statuses: Sequence[PlanStatus] = (),
        limit: int = 100,
    ) -> list[PaymentPlan]:
        """Plans of a debtor and/or an invoice and/or in these statuses, newest first."""
        query = sa.select(payment_plans.c.plan).where(
            payment_plans.c.administration_id == administration_id
        )
        if debtor_id is not None:
            query = query.where(payment_plans.c.debtor_id == debtor_id)
        if invoice_id is not None:
            covering = sa.select(payment_plan_invoices.c.plan_id).where(
                payment_plan_invoices.c.administration_id == administration_id,
                payment_plan_invoices.c.invoice_id == invoice_id,
            )
            query = query.where(payment_plans.c.plan_id.in_(covering))
        if statuses:
            query = query.where(payment_plans.c.status.in_([s.value for s in statuses]))
        query = query.order_by(
            payment_plans.c.created_at.desc(), payment_plans.c.plan_id.desc()
        ).limit(limit)
        return [plan_from_json(data) for data in (await self.session.execute(query)).scalars()]
