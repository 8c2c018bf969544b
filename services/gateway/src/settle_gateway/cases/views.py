"""Collection cases: the list and the dashboard's counts from the read model; a case's detail
and every command passed to the collection service, which owns cases. Reading needs the read
role, working a case the standard role, the collection settings the administrator."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Query, Request

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    Cursor,
    Limit,
    ReadSession,
    ServiceAnswer,
    proxy,
    ui_router,
)
from settle_gateway.auth.security import Administrator, Reader, Worker
from settle_gateway.cases import service
from settle_gateway.cases.models import CasePage, CaseStatus, CaseStep, CaseStepCount

router = ui_router()
CASE = ADMINISTRATION + "/cases/{case_id}"
SERVICE = "collection"


@router.get(ADMINISTRATION + "/cases", response_model=CasePage, responses=NOT_FOUND)
async def list_cases(
    administration_id: str,
    principal: Reader,
    session: ReadSession,
    status: CaseStatus | None = None,
    step: CaseStep | None = None,
    debtor_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> CasePage:
    """Cases of the administration, filtered by status, step and debtor, a page at a time,
    each with its balance as of its last change."""
    return await service.case_page(
        session,
        administration_id,
        status=status,
        step=step,
        debtor_id=debtor_id,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    ADMINISTRATION + "/cases-per-step", response_model=list[CaseStepCount], responses=NOT_FOUND
)
async def cases_per_step(
    administration_id: str, principal: Reader, session: ReadSession
) -> list[CaseStepCount]:
    """Proposed and open cases per step (also on the dashboard)."""
    return await service.counts_per_step(session, administration_id)


@router.get(CASE, responses=NOT_FOUND)
async def one_case(
    administration_id: str,
    case_id: str,
    request: Request,
    principal: Reader,
    context: Context,
    as_of: date | None = None,
) -> ServiceAnswer:
    """A case: its balances as of a date (default: today), each invoice's interest periods
    with their rates and sources, each payment's allocation, the 14-day letter and the
    timeline of the case and its messages."""
    params = {"as_of": as_of.isoformat()} if as_of else None
    result: dict[str, Any] = await proxy(
        request, context, SERVICE, "GET", administration_id, f"/cases/{case_id}", params=params
    )
    return result


@router.post(ADMINISTRATION + "/cases", status_code=201, responses=NOT_FOUND)
async def open_case(
    administration_id: str,
    body: dict[str, Any],
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Open a case by hand for ready invoices of one debtor (`invoice_ids`)."""
    result: dict[str, Any] = await proxy(
        request, context, SERVICE, "POST", administration_id, "/cases", json=body
    )
    return result


def _command(action: str, summary: str, with_body: bool) -> None:
    """A POST on a case, passed to the collection service; answers the case as it is now."""

    async def with_payload(
        administration_id: str,
        case_id: str,
        body: dict[str, Any],
        request: Request,
        principal: Worker,
        context: Context,
    ) -> ServiceAnswer:
        result: dict[str, Any] = await proxy(
            request,
            context,
            SERVICE,
            "POST",
            administration_id,
            f"/cases/{case_id}/{action}",
            json=body,
        )
        return result

    async def without_payload(
        administration_id: str,
        case_id: str,
        request: Request,
        principal: Worker,
        context: Context,
    ) -> ServiceAnswer:
        result: dict[str, Any] = await proxy(
            request, context, SERVICE, "POST", administration_id, f"/cases/{case_id}/{action}"
        )
        return result

    route = with_payload if with_body else without_payload
    route.__doc__ = summary
    name = "case_" + action
    route.__name__ = name
    status = 201 if action == "payments" else 200
    router.post(CASE + f"/{action}", responses=NOT_FOUND, name=name, status_code=status)(route)


_command("approve", "Open a proposed case.", False)
_command("decline", "Decline a proposed case (`reason`); its invoices stay with dunning.", True)
_command("pause", "Pause a case (`reason` optional): no step until it is resumed.", True)
_command("resume", "Resume a paused case.", False)
_command("step", "Take the next step now (or `to` a later own step), with its message.", True)
_command(
    "charges",
    "Charge costs (`part: costs`, all or `amount`) or claim interest (`part: interest`).",
    True,
)
_command(
    "remissions",
    "Remit costs or interest (`part`), all or `amount`, with a `reason` on the timeline.",
    True,
)
_command(
    "payments",
    "Register money received outside bookkeeping (`amount`, `received_on`, `order`).",
    True,
)
_command("forward", "Forward the case to the administration's judicial collection partner.", False)
_command("close", "Withdraw a case or write it off (`outcome`, `reason`).", True)


@router.put(CASE + "/payments/{payment_id}/allocation", responses=NOT_FOUND)
async def allocate_otherwise(
    administration_id: str,
    case_id: str,
    payment_id: str,
    body: dict[str, Any],
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Allocate one payment in another order (`order`); the balances are replayed."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        SERVICE,
        "PUT",
        administration_id,
        f"/cases/{case_id}/payments/{payment_id}/allocation",
        json=body,
    )
    return result


@router.get(ADMINISTRATION + "/collection/settings", responses=NOT_FOUND)
async def collection_settings(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """How the administration collects: automatic opening, VAT on costs, its partner, …"""
    result: dict[str, Any] = await proxy(
        request, context, SERVICE, "GET", administration_id, "/collection/settings"
    )
    return result


@router.put(ADMINISTRATION + "/collection/settings", responses=NOT_FOUND)
async def update_collection_settings(
    administration_id: str,
    body: dict[str, Any],
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Change the collection settings; answers them as stored."""
    result: dict[str, Any] = await proxy(
        request, context, SERVICE, "PUT", administration_id, "/collection/settings", json=body
    )
    return result


@router.get(ADMINISTRATION + "/collection/partners", responses=NOT_FOUND)
async def collection_partners(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> list[dict[str, Any]]:
    """The registry of judicial collection partners with a direct integration."""
    result: list[dict[str, Any]] = await proxy(
        request, context, SERVICE, "GET", administration_id, "/collection/partners"
    )
    return result
