"""Payment plans: listed and read from the read model; created, edited, ended, approved and
rejected by dunning, which owns them (standard users and administrators may; readers only
read). The administration's plan offers are a setting: administrators change them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Limit,
    ReadSession,
    ServiceAnswer,
    proxy,
    ui_router,
)
from settle_gateway.auth.security import Administrator, Reader, Worker
from settle_gateway.plans import service
from settle_gateway.plans.models import (
    ApproveIn,
    PlanIn,
    PlanList,
    PlanOffers,
    PlanOut,
    PlanStatus,
    PlanTermsIn,
)

router = ui_router()

PLANS = ADMINISTRATION + "/plans"
COMMAND_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {
        "description": "the plan cannot do this now, or cannot cover these invoices or cases "
        "(another debtor's, settled, in collection, a case not open or with the partner, "
        "already in a plan, a payment in flight)"
    },
    422: {"description": "the terms break a rule; `detail` lists every problem by field"},
}


@router.get(PLANS, response_model=PlanList, responses=NOT_FOUND)
async def plans(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    status: Annotated[list[PlanStatus] | None, Query()] = None,
    debtor_id: Annotated[str | None, Query(max_length=64)] = None,
    invoice_id: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 50,
) -> PlanList:
    """Payment plans, newest first: filter by status (active, expired, requested, …), by
    debtor, by invoice (also an invoice of a case the plan covers) or by collection case."""
    return await service.plan_list(
        session,
        administration_id,
        statuses=status or [],
        debtor_id=debtor_id,
        invoice_id=invoice_id,
        case_id=case_id,
        limit=limit,
    )


@router.get(PLANS + "/{plan_id}", response_model=PlanOut, responses=NOT_FOUND)
async def plan(
    administration_id: str, plan_id: str, principal: Reader, session: ReadSession
) -> PlanOut:
    """One plan with its instalments and what of each is paid."""
    return await service.one_plan(session, administration_id, plan_id)


@router.post(PLANS, status_code=201, responses=COMMAND_ERRORS)
async def create_plan(
    administration_id: str, body: PlanIn, request: Request, principal: Worker, context: Context
) -> ServiceAnswer:
    """Start a payment plan for one debtor's open invoices and/or collection cases: their
    reminders (a case's steps) wait, the debtor gets the schedule, a reminder before each
    instalment and a payment link for it. A case counts for its balance today; an unknown
    case is a 404, one that is not open, with the partner or in a plan a 409."""
    payload = _json(body)
    case_ids = payload.pop("case_ids", [])
    if case_ids:
        payload["cases"] = await service.cases_to_cover(
            request, context, administration_id, case_ids
        )
    result: dict[str, Any] = await proxy(
        request, context, "dunning", "POST", administration_id, "/plans", json=payload
    )
    return result


@router.put(PLANS + "/{plan_id}", responses=COMMAND_ERRORS)
async def edit_plan(
    administration_id: str,
    plan_id: str,
    body: PlanTermsIn,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """A new schedule for what is left of the same invoices (an active or expired plan)."""
    result: dict[str, Any] = await proxy(
        request, context, "dunning", "PUT", administration_id, f"/plans/{plan_id}", json=_json(body)
    )
    return result


async def _command(
    request: Request,
    context: Context,
    administration_id: str,
    plan_id: str,
    action: str,
    **kwargs: Any,
) -> ServiceAnswer:
    result: dict[str, Any] = await proxy(
        request,
        context,
        "dunning",
        "POST",
        administration_id,
        f"/plans/{plan_id}/{action}",
        **kwargs,
    )
    return result


@router.post(PLANS + "/{plan_id}/end", responses=COMMAND_ERRORS)
async def end_plan(
    administration_id: str, plan_id: str, request: Request, principal: Worker, context: Context
) -> ServiceAnswer:
    """End a plan: each invoice's reminders resume from today, one step at a time."""
    return await _command(request, context, administration_id, plan_id, "end")


@router.post(PLANS + "/{plan_id}/approve", responses=COMMAND_ERRORS)
async def approve_plan(
    administration_id: str,
    plan_id: str,
    request: Request,
    principal: Worker,
    context: Context,
    body: ApproveIn | None = None,
) -> ServiceAnswer:
    """Approve a debtor's proposal, as proposed or with other terms: the plan starts."""
    payload = _json(body) if body is not None else {}
    return await _command(request, context, administration_id, plan_id, "approve", json=payload)


@router.post(PLANS + "/{plan_id}/reject", responses=COMMAND_ERRORS)
async def reject_plan(
    administration_id: str, plan_id: str, request: Request, principal: Worker, context: Context
) -> ServiceAnswer:
    """Decline a debtor's proposal: reminders resume and the debtor is told."""
    return await _command(request, context, administration_id, plan_id, "reject")


OFFERS = ADMINISTRATION + "/plan-offers"
OFFER_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {"description": "the offers break a rule; `detail` lists every problem by field"},
}


@router.get(OFFERS, response_model=PlanOffers, responses=NOT_FOUND)
async def plan_offers(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """The payment plans the portal offers by open amount (e.g. 200 to 2,000: up to 3
    monthly instalments); a debtor's proposal within the offer starts without approval."""
    result: dict[str, Any] = await proxy(
        request, context, "dunning", "GET", administration_id, "/plan-offers"
    )
    return result


@router.put(OFFERS, response_model=PlanOffers, responses=OFFER_ERRORS)
async def update_plan_offers(
    administration_id: str,
    body: PlanOffers,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Replace the plan offers (an empty list: every proposal waits for a person); answers
    them as stored. Overlapping ranges, a minimum above its maximum and fewer than 1 or more
    than 24 instalments are refused by field."""
    result: dict[str, Any] = await proxy(
        request, context, "dunning", "PUT", administration_id, "/plan-offers", json=_json(body)
    )
    return result


def _json(body: Any) -> dict[str, Any]:
    data: dict[str, Any] = body.model_dump(mode="json", exclude_none=True)
    return data
