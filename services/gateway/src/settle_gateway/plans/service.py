"""Queries of payment plans: a list by status, debtor or invoice, and one plan; and the
collection cases a new plan names, as collection reports them today."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import (
    rm_payment_plan_cases,
    rm_payment_plan_invoices,
    rm_payment_plans,
)
from settle_gateway.adapters.web import Context, proxy
from settle_gateway.domain.errors import NotFound
from settle_gateway.plans.models import PlanList, PlanOut


async def plan_list(
    session: AsyncSession,
    administration_id: str,
    *,
    statuses: Sequence[str] = (),
    debtor_id: str | None = None,
    invoice_id: str | None = None,
    case_id: str | None = None,
    limit: int = 50,
) -> PlanList:
    """The newest plans in these statuses, of a debtor, of an invoice (its own or in a case
    the plan covers), of a case (each filter optional)."""
    query = sa.select(rm_payment_plans.c.plan).where(
        rm_payment_plans.c.administration_id == administration_id
    )
    if statuses:
        query = query.where(rm_payment_plans.c.status.in_(list(statuses)))
    if debtor_id is not None:
        query = query.where(rm_payment_plans.c.debtor_id == debtor_id)
    if invoice_id is not None:
        query = query.where(
            rm_payment_plans.c.plan_id.in_(
                sa.select(rm_payment_plan_invoices.c.plan_id).where(
                    rm_payment_plan_invoices.c.administration_id == administration_id,
                    rm_payment_plan_invoices.c.invoice_id == invoice_id,
                )
            )
        )
    if case_id is not None:
        query = query.where(
            rm_payment_plans.c.plan_id.in_(
                sa.select(rm_payment_plan_cases.c.plan_id).where(
                    rm_payment_plan_cases.c.administration_id == administration_id,
                    rm_payment_plan_cases.c.case_id == case_id,
                )
            )
        )
    query = query.order_by(
        rm_payment_plans.c.created_on.desc(), rm_payment_plans.c.plan_id.desc()
    ).limit(limit)
    rows = (await session.execute(query)).scalars()
    return PlanList(items=[PlanOut.model_validate(plan) for plan in rows])


async def one_plan(session: AsyncSession, administration_id: str, plan_id: str) -> PlanOut:
    """One plan as dunning last published it."""
    plan = await session.scalar(
        sa.select(rm_payment_plans.c.plan).where(
            rm_payment_plans.c.administration_id == administration_id,
            rm_payment_plans.c.plan_id == plan_id,
        )
    )
    if plan is None:
        raise NotFound(f"no payment plan {plan_id}")
    return PlanOut.model_validate(plan)


async def cases_to_cover(
    request: Request, context: Context, administration_id: str, case_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The cases a plan names, read from collection (which owns them and computes their
    balance today): what dunning needs to check them and to cover each for its balance. An
    unknown case (or another administration's) is collection's 404."""
    cases = []
    for case_id in dict.fromkeys(case_ids):
        case = await proxy(
            request, context, "collection", "GET", administration_id, f"/cases/{case_id}"
        )
        cases.append(
            {
                "case_id": case["case_id"],
                "debtor_id": case["debtor_id"],
                "currency": case["currency"],
                "status": case["status"],
                "step": case["step"],
                "invoice_ids": case["invoice_ids"],
                "balance": case["balance"]["total"],
            }
        )
    return cases
