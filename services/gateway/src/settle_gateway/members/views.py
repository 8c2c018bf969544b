"""The users of an administration: invited, given and taken roles, deactivated and made active
again (administrators only)."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Response

from settle_gateway.adapters.web import ADMINISTRATION, NOT_FOUND, Context, ReadSession, ui_router
from settle_gateway.auth.security import Administrator
from settle_gateway.domain.access import Role
from settle_gateway.members import service
from settle_gateway.members.models import (
    InvitationOut,
    InvitedOut,
    InviteIn,
    MemberIn,
    MemberOut,
)

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


@router.post(
    ADMINISTRATION + "/users",
    response_model=InvitedOut,
    status_code=201,
    responses={
        **NOT_FOUND,
        409: {"description": "the email is another organisation's user's"},
    },
)
async def invite_member(
    administration_id: str, body: InviteIn, principal: Administrator, context: Context
) -> InvitedOut:
    """Give a person a role (administrators only). A new person becomes a user of the
    organisation with an invitation, shown once, to choose a password
    (`POST /api/v1/auth/invitation`); a user of the organisation gets the role at once."""
    return await service.invite_member(
        context,
        principal,
        administration_id,
        email=body.email,
        name=body.name,
        role=Role(body.role),
    )


@router.post(
    ADMINISTRATION + "/users/{user_id}/invitation",
    response_model=InvitationOut,
    status_code=201,
    responses={**NOT_FOUND, 409: {"description": "the user has chosen a password already"}},
)
async def invite_again(
    administration_id: str, user_id: str, principal: Administrator, context: Context
) -> InvitationOut:
    """A new invitation for a member who has not chosen a password yet (the earlier one
    ends), when it expired or was lost."""
    return await service.invite_again(context, principal, administration_id, user_id)


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


DEACTIVATION: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {
        "description": "yourself, or a user with a role in an administration you do not administer"
    },
}


@router.post(
    ADMINISTRATION + "/users/{user_id}/deactivate", response_model=MemberOut, responses=DEACTIVATION
)
async def deactivate_member(
    administration_id: str, user_id: str, principal: Administrator, context: Context
) -> MemberOut:
    """Deactivate a user (administrators of every administration the user has a role in):
    their sign-in, access and refresh tokens and open invitation stop at once on this
    replica, on the others within `PRINCIPAL_CACHE_S`. Their roles stay, for when they are
    made active again."""
    return await service.set_member_active(context, principal, administration_id, user_id, False)


@router.post(
    ADMINISTRATION + "/users/{user_id}/activate", response_model=MemberOut, responses=DEACTIVATION
)
async def activate_member(
    administration_id: str, user_id: str, principal: Administrator, context: Context
) -> MemberOut:
    """Make a deactivated user active again; they sign in with their password as before."""
    return await service.set_member_active(context, principal, administration_id, user_id, True)
