"""Organisations: listed (a platform administrator sees every one, anyone else their own),
created by platform administrators with a first administration and administrator, renamed."""

from __future__ import annotations

from typing import Any

from settle_gateway.adapters.web import Context, ReadSession, ui_router
from settle_gateway.auth.security import CurrentPrincipal
from settle_gateway.organisations import service
from settle_gateway.organisations.models import (
    OrganisationCreated,
    OrganisationIn,
    OrganisationNameIn,
    OrganisationOut,
)

router = ui_router()

CREATED: dict[int | str, dict[str, Any]] = {
    403: {"description": "the caller is no platform administrator"},
    409: {"description": "the name, the administration id or the email is taken"},
}


@router.get("/organisations", response_model=list[OrganisationOut])
async def list_organisations(
    principal: CurrentPrincipal, session: ReadSession
) -> list[OrganisationOut]:
    """Organisations by name with their administrations: every one for a platform
    administrator, the caller's own for anyone else."""
    return await service.visible_organisations(session, principal)


@router.post(
    "/organisations", response_model=OrganisationCreated, status_code=201, responses=CREATED
)
async def create_organisation(
    body: OrganisationIn, principal: CurrentPrincipal, context: Context
) -> OrganisationCreated:
    """A new customer (platform administrators only): the organisation, its first
    administration (announced to every service, as one created by its administrators is) and
    its first administrator, with an invitation to choose a password that is shown once:
    pass it on to them."""
    return await service.create_organisation(context, principal, body)


@router.put(
    "/organisations/{organisation_id}",
    response_model=OrganisationOut,
    responses={
        403: {"description": "the caller administers none of its administrations"},
        404: {"description": "unknown, or not the caller's"},
        409: {"description": "another organisation has this name"},
    },
)
async def rename_organisation(
    organisation_id: str, body: OrganisationNameIn, principal: CurrentPrincipal, context: Context
) -> OrganisationOut:
    """Rename an organisation (a platform administrator, or an administrator of one of its
    administrations)."""
    return await service.rename_organisation(context, principal, organisation_id, body.name)
