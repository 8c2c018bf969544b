"""Creating an administration and renaming one. Every other service learns of either from the
gateway's event within moments; until then it refuses work for a new administration."""

from __future__ import annotations

from typing import Any

from settle_gateway.adapters.web import (
    ADMINISTRATION,
    NOT_FOUND,
    Context,
    ReadSession,
    ui_router,
)
from settle_gateway.administrations import service
from settle_gateway.administrations.models import (
    AdministrationDetail,
    AdministrationIn,
    AdministrationNameIn,
)
from settle_gateway.auth.models import AdministrationOut
from settle_gateway.auth.security import Administrator, CurrentPrincipal, Reader
from settle_gateway.domain.errors import NotFound

router = ui_router()

CREATED: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller administers no administration (or is an API token)"},
    409: {"description": "an administration with this id exists already"},
}


@router.get("/administrations", response_model=list[AdministrationDetail])
async def list_administrations(
    principal: CurrentPrincipal, session: ReadSession
) -> list[AdministrationDetail]:
    """The administrations the caller has a role in, by name, with its role and organisation."""
    return await service.administrations_for(session, principal)


@router.get(ADMINISTRATION, response_model=AdministrationDetail, responses=NOT_FOUND)
async def administration(
    administration_id: str, principal: Reader, session: ReadSession
) -> AdministrationDetail:
    """One administration: its name, the caller's role in it, its organisation."""
    found = await service.administrations_for(session, principal, administration_id)
    if not found:  # a role in it, but the row is gone: as unknown as any other
        raise NotFound("administration not found")
    return found[0]


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
