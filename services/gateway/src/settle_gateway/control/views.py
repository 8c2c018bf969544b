"""Settings and dunning control: the administration's pause, flows and profile, the pauses of
debtors and the commands on an invoice's dunning, passed to the service that owns them."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    ServiceAnswer,
    proxy,
    ui_router,
)
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.security import Administrator, Reader, Worker
from settle_gateway.control.models import (
    AdministrationSettingsOut,
    FlowIn,
    FlowOut,
    PauseIn,
    ProfileIn,
    ProfileOut,
    RescheduleIn,
)
from settle_gateway.control.service import show_pause

router = ui_router()


@router.get(
    ADMINISTRATION + "/settings", response_model=AdministrationSettingsOut, responses=NOT_FOUND
)
async def administration_settings(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """The administration's pause state and last run, as dunning has it."""
    result: dict[str, Any] = await proxy(request, context, "dunning", "GET", administration_id, "")
    return result


@router.post(
    ADMINISTRATION + "/pause", response_model=AdministrationSettingsOut, responses=NOT_FOUND
)
async def pause_administration(
    administration_id: str,
    body: PauseIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Pause reminders (or everything); answers the administration as dunning has it now."""
    await proxy(
        request, context, "dunning", "POST", administration_id, "/pause", json=body.model_dump()
    )
    await show_pause(context, administration_id, None, body.mode)
    result: dict[str, Any] = await proxy(request, context, "dunning", "GET", administration_id, "")
    return result


@router.post(
    ADMINISTRATION + "/resume", response_model=AdministrationSettingsOut, responses=NOT_FOUND
)
async def resume_administration(
    administration_id: str, request: Request, principal: Administrator, context: Context
) -> ServiceAnswer:
    """Resume; answers the administration as dunning has it now."""
    await proxy(request, context, "dunning", "POST", administration_id, "/resume")
    await show_pause(context, administration_id, None, "active")
    result: dict[str, Any] = await proxy(request, context, "dunning", "GET", administration_id, "")
    return result


@router.get(ADMINISTRATION + "/flows", response_model=list[FlowOut], responses=NOT_FOUND)
async def flows(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> list[dict[str, Any]]:
    """The administration's dunning flows in selection order: steps (with their channels,
    template, phase and minimum open amount), selection, sending days and blocked dates,
    bundling, and what is wrong with each now."""
    result: list[dict[str, Any]] = await proxy(
        request, context, "dunning", "GET", administration_id, "/flows"
    )
    return result


@router.get(ADMINISTRATION + "/flows/{flow_id}", response_model=FlowOut, responses=NOT_FOUND)
async def flow(
    administration_id: str, flow_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """One flow, with what is wrong with it now."""
    result: dict[str, Any] = await proxy(
        request, context, "dunning", "GET", administration_id, f"/flows/{flow_id}"
    )
    return result


@router.put(ADMINISTRATION + "/flows/{flow_id}", response_model=FlowOut, responses=NOT_FOUND)
async def update_flow(
    administration_id: str,
    flow_id: str,
    body: FlowIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Change a flow (administrators): dunning checks it, refusing it field by field, and
    answers it as stored; open invoices on it follow it from their next step on."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "dunning",
        "PUT",
        administration_id,
        f"/flows/{flow_id}",
        json=body.model_dump(mode="json", exclude_unset=True),
    )
    return result


@router.post(
    ADMINISTRATION + "/flows", response_model=FlowOut, status_code=201, responses=NOT_FOUND
)
async def create_flow(
    administration_id: str,
    body: FlowIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Add a flow (administrators; dunning checks it and answers the flow as stored)."""
    result: dict[str, Any] = await proxy(
        request,
        context,
        "dunning",
        "POST",
        administration_id,
        "/flows",
        json=body.model_dump(mode="json", exclude_unset=True),
    )
    return result


@router.delete(ADMINISTRATION + "/flows/{flow_id}", status_code=204, responses=NOT_FOUND)
async def delete_flow(
    administration_id: str,
    flow_id: str,
    request: Request,
    principal: Administrator,
    context: Context,
) -> Response:
    """Remove a flow (dunning refuses while invoices use it)."""
    await proxy(request, context, "dunning", "DELETE", administration_id, f"/flows/{flow_id}")
    return Response(status_code=204)


@router.get(ADMINISTRATION + "/profile", response_model=ProfileOut, responses=NOT_FOUND)
async def profile(
    administration_id: str, request: Request, principal: Reader, context: Context
) -> ServiceAnswer:
    """How the administration signs its messages: sender details, default and fallback
    language, bounce policy (kept by messaging)."""
    result: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, "/profile"
    )
    return result


@router.put(ADMINISTRATION + "/profile", response_model=ProfileOut, responses=NOT_FOUND)
async def update_profile(
    administration_id: str,
    body: ProfileIn,
    request: Request,
    principal: Administrator,
    context: Context,
) -> ServiceAnswer:
    """Change the profile (languages and the bounce policy among it); answers it as
    messaging stored it."""
    await proxy(
        request,
        context,
        "messaging",
        "PUT",
        administration_id,
        "/profile",
        json=body.model_dump(mode="json"),
    )
    result: dict[str, Any] = await proxy(
        request, context, "messaging", "GET", administration_id, "/profile"
    )
    return result


@router.post(ADMINISTRATION + "/debtors/{debtor_id}/pause", status_code=204, responses=NOT_FOUND)
async def pause_debtor(
    administration_id: str,
    debtor_id: str,
    body: PauseIn,
    request: Request,
    principal: Worker,
    context: Context,
) -> Response:
    """Pause a debtor's reminders (or everything for the debtor)."""
    await proxy(
        request,
        context,
        "dunning",
        "POST",
        administration_id,
        f"/debtors/{debtor_id}/pause",
        json=body.model_dump(),
    )
    await show_pause(context, administration_id, debtor_id, body.mode)
    return Response(status_code=204)


@router.post(ADMINISTRATION + "/debtors/{debtor_id}/resume", status_code=204, responses=NOT_FOUND)
async def resume_debtor(
    administration_id: str,
    debtor_id: str,
    request: Request,
    principal: Worker,
    context: Context,
) -> Response:
    """Resume a debtor."""
    await proxy(
        request, context, "dunning", "POST", administration_id, f"/debtors/{debtor_id}/resume"
    )
    await show_pause(context, administration_id, debtor_id, "active")
    return Response(status_code=204)


async def _invoice_command(
    request: Request,
    context: GatewayContext,
    administration_id: str,
    invoice_id: str,
    command: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = await proxy(
        request,
        context,
        "dunning",
        "POST",
        administration_id,
        f"/invoices/{invoice_id}/{command}",
        json=body,
    )
    return result


def _invoice_route(command: str, summary: str) -> None:
    async def route(
        administration_id: str,
        invoice_id: str,
        request: Request,
        principal: Worker,
        context: Context,
    ) -> ServiceAnswer:
        return await _invoice_command(request, context, administration_id, invoice_id, command)

    route.__doc__ = summary + " Answers the invoice's dunning as it is now."
    name = "invoice_" + command.replace("/", "_").replace("-", "_")
    route.__name__ = name
    router.post(
        ADMINISTRATION + f"/invoices/{{invoice_id}}/{command}", responses=NOT_FOUND, name=name
    )(route)


_invoice_route("pause", "Put an invoice on hold.")
_invoice_route("resume", "Take an invoice off hold.")
_invoice_route("steps/skip", "Skip the invoice's next step.")
_invoice_route("steps/perform-now", "Perform the invoice's next step now.")
_invoice_route("flow/reset", "Start the invoice's flow again.")


@router.post(ADMINISTRATION + "/invoices/{invoice_id}/steps/reschedule", responses=NOT_FOUND)
async def reschedule_step(
    administration_id: str,
    invoice_id: str,
    body: RescheduleIn,
    request: Request,
    principal: Worker,
    context: Context,
) -> ServiceAnswer:
    """Move the invoice's next step to another date. Answers the invoice's dunning."""
    return await _invoice_command(
        request,
        context,
        administration_id,
        invoice_id,
        "steps/reschedule",
        {"to": body.to.isoformat()},
    )
