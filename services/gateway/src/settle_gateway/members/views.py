"""The users of an administration and their roles (administrators only)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Response

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ReadSession, ui_router
from settle_gateway.auth.security import Administrator
from settle_gateway.domain.access import Role
from settle_gateway.members import service
from settle_gateway.members.models import MemberIn, MemberOut

router = ui_router()

# A role change or removal that would leave the administration without an administrator.
KEEPS_AN_ADMINISTRATOR: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {"description": "it would leave the administration without an administrator"},
}


@router.get(ADMINISTRATION + "/users", response_model=list[MemberOut], responses=NOT_FOUND)
async def members(
    administration_id: str, principal: Administrator, session: ReadSession
) -> list[MemberOut]:
    """The users with a role in the administration (administrators only)."""
    return await service.members_of(session, administration_id)


@router.put(
    ADMINISTRATION + "/users/{user_id}", response_model=MemberOut, responses=KEEPS_AN_ADMINISTRATOR
)
async def set_role(
    administration_id: str,
    user_id: str,
    body: MemberIn,
    principal: Administrator,
    context: Context,
) -> MemberOut:
    """Give a user of the same organisation a role in the administration (administrators
    only). Takes effect on the user's next request. The last administrator keeps the role."""
    return await service.give_role(context, administration_id, user_id, Role(body.role))


@router.delete(
    ADMINISTRATION + "/users/{user_id}", status_code=204, responses=KEEPS_AN_ADMINISTRATOR
)
async def remove_member(
    administration_id: str, user_id: str, principal: Administrator, context: Context
) -> Response:
    """Take the user's role in the administration away (administrators only; not your own,
    so an administration never loses its last administrator by accident)."""
    if user_id == principal.subject:
        raise HTTPException(409, detail="you cannot remove your own role")
    await service.take_role(context, administration_id, user_id)
    return Response(status_code=204)
