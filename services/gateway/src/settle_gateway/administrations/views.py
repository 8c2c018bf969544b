"""Creating an administration and renaming one. Every other service learns of either from the
gateway's event within moments; until then it refuses work for a new administration."""

from __future__ import annotations

from typing import Any

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ui_router
from settle_gateway.administrations import service
from settle_gateway.administrations.models import AdministrationIn, AdministrationNameIn
from settle_gateway.auth.models import AdministrationOut
from settle_gateway.auth.security import Administrator, CurrentPrincipal

router = ui_router()

CREATED: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller administers no administration (or is an API token)"},
    409: {"description": "an administration with this id exists already"},
}


@router.post(
    "/administrations", response_model=AdministrationOut, status_code=201, responses=CREATED
)
async def create_administration(
    body: AdministrationIn, principal: CurrentPrincipal, context: Context
) -> AdministrationOut:
    """Create an administration in the caller's organisation, with the caller as its
    administrator (for people who administer an administration). The importer, dunning and
    messaging know it moments later: its drop folder, flows and settings are there before
    its first import."""
    return await service.create_for(context, principal, body.id, body.name)


@router.put(ADMINISTRATION, response_model=AdministrationOut, responses=NOT_FOUND)
async def rename_administration(
    administration_id: str, body: AdministrationNameIn, principal: Administrator, context: Context
) -> AdministrationOut:
    """Rename the administration (administrators only); the other services are told."""
    return await service.rename_for(context, administration_id, body.name)
