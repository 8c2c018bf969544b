"""The users of an administration and their roles: who they are, a person invited, a role
given or taken, a user deactivated (every session of theirs ends) or made active again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import administrations, invitations, memberships, users
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.service import (
    IdentityError,
    create_user,
    grant,
    invite,
    set_active,
    token_time,
)
from settle_gateway.domain.access import Principal, Role, check_may_deactivate
from settle_gateway.domain.errors import (
    CannotInvite,
    InvitationNotNeeded,
    LastAdministrator,
    NotFound,
)
from settle_gateway.members.models import InvitationOut, InvitedOut, MemberOut
from settle_shared.db import transaction

# Whether a user has an invitation still to spend.
_INVITED = (
    sa.exists()
    .where(invitations.c.user_id == users.c.id, invitations.c.used_at.is_(None))
    .label("invited")
)
_MEMBERS = (
    sa.select(
        users.c.id,
        users.c.email,
        users.c.name,
        users.c.active,
        users.c.password_hash.is_(None).label("no_password"),
        _INVITED,
        memberships.c.role,
    )
    .join(memberships, memberships.c.user_id == users.c.id)
    .where(memberships.c.administration_id == sa.bindparam("administration_id"))
)


def member_out(row: Any) -> MemberOut:
    """The member of a row of _MEMBERS."""
    state = (
        "deactivated"
        if not row.active
        else "invited"
        if row.no_password and row.invited
        else "active"
    )
    return MemberOut(
        user_id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        active=row.active,
        state=state,
    )


async def members_of(session: AsyncSession, administration_id: str) -> list[MemberOut]:
    """The users with a role in the administration, by email."""
    rows = await session.execute(
        _MEMBERS.order_by(users.c.email), {"administration_id": administration_id}
    )
    return [member_out(r) for r in rows]


async def _member(session: AsyncSession, administration_id: str, user_id: str) -> Any:
    """The row of a member of the administration; NotFound for anyone else (another
    organisation's user as much as one that does not exist)."""
    row = (
        await session.execute(
            _MEMBERS.where(users.c.id == user_id), {"administration_id": administration_id}
        )
    ).first()
    if row is None:
        raise NotFound("user not found")
    return row


async def invite_member(
    context: GatewayContext,
    inviter: Principal,
    administration_id: str,
    *,
    email: str,
    name: str,
    role: Role,
) -> InvitedOut:
    """Give a person a role in the administration: a new user of its organisation with an
    invitation to choose a password, or the organisation's user with that email. An email of
    another organisation's user is refused (CannotInvite)."""
    email = email.strip().lower()
    invitation: InvitationOut | None = None
    try:
        member, invitation = await _invite(context, inviter, administration_id, email, name, role)
    except IntegrityError:  # the same person invited by another request at this moment
        raise CannotInvite(f"{email} was invited just now; look at the users again") from None
    context.principals.clear()
    return InvitedOut(**member.model_dump(), invitation=invitation)


async def _invite(
    context: GatewayContext,
    inviter: Principal,
    administration_id: str,
    email: str,
    name: str,
    role: Role,
) -> tuple[MemberOut, InvitationOut | None]:
    async with transaction(context.sessions) as session:
        return await add_member(
            session,
            administration_id,
            email=email,
            name=name,
            role=role,
            inviter_id=inviter.subject,
            invitation_days=context.settings.invitation_days,
        )


async def add_member(
    session: AsyncSession,
    administration_id: str,
    *,
    email: str,
    name: str,
    role: Role,
    inviter_id: str | None,
    invitation_days: int,
) -> tuple[MemberOut, InvitationOut | None]:
    """Give the person with `email` `role` in the administration, in the session's
    transaction: a new user of its organisation with an invitation, or its user with that
    email (invited again when they never chose a password). CannotInvite for another
    organisation's user, LastAdministrator when it would leave no administrator."""
    now = token_time()
    email = email.strip().lower()
    organisation_id = await session.scalar(
        sa.select(administrations.c.organisation_id).where(
            administrations.c.id == administration_id
        )
    )
    user = (
        await session.execute(
            sa.select(users.c.id, users.c.organisation_id, users.c.password_hash).where(
                users.c.email == email
            )
        )
    ).first()
    if user is not None and user.organisation_id != organisation_id:
        # Said without telling whose: a user never learns of another organisation.
        raise CannotInvite(f"{email} cannot be given a role in this administration")
    if user is None:
        user_id = await create_user(
            session,
            organisation_id=organisation_id,
            email=email,
            name=name.strip(),
            password=None,
            now=now,
        )
    else:
        user_id = user.id
    administrators = await _administrators(session, administration_id)
    await grant(session, user_id, administration_id, role)
    if role is not Role.ADMINISTRATOR and administrators == {user_id}:
        raise LastAdministrator()
    invitation: InvitationOut | None = None
    if user is None or user.password_hash is None:
        token, expires_at = await invite(
            session, user_id, created_by=inviter_id, now=now, days=invitation_days
        )
        invitation = InvitationOut(token=token, expires_at=expires_at)
    return member_out(await _member(session, administration_id, user_id)), invitation


async def invite_again(
    context: GatewayContext, inviter: Principal, administration_id: str, user_id: str
) -> InvitationOut:
    """A new invitation for a member who has not chosen a password (the old one ends);
    InvitationNotNeeded for one who has: their password is theirs to change."""
    now = token_time()
    async with transaction(context.sessions) as session:
        row = await _member(session, administration_id, user_id)
        if not row.no_password:
            raise InvitationNotNeeded(
                f"{row.email} has chosen a password already and signs in with it"
            )
        if not row.active:
            raise InvitationNotNeeded(f"{row.email} is deactivated: activate them first")
        token, expires_at = await invite(
            session,
            user_id,
            created_by=inviter.subject,
            now=now,
            days=context.settings.invitation_days,
        )
    return InvitationOut(token=token, expires_at=expires_at)


async def set_member_active(
    context: GatewayContext,
    caller: Principal,
    administration_id: str,
    user_id: str,
    active: bool,
) -> MemberOut:
    """Deactivate a member (their access tokens, refresh tokens and invitations stop at once
    on this replica, within principal_cache_s on the others) or make them active again. Only
    for a member whose every administration the caller administers."""
    async with transaction(context.sessions) as session:
        await _member(session, administration_id, user_id)
        rows = await session.execute(
            sa.select(memberships.c.administration_id, memberships.c.role).where(
                memberships.c.user_id == user_id
            )
        )
        check_may_deactivate(caller, user_id, {r.administration_id: Role(r.role) for r in rows})
        await set_active(session, user_id, active, token_time())
        member = member_out(await _member(session, administration_id, user_id))
    context.principals.clear()
    return member


async def give_role(
    context: GatewayContext, administration_id: str, user_id: str, role: Role
) -> MemberOut:
    """Give a user of the administration's organisation `role` there; raises NotFound for
    an unknown user and for another organisation's user alike."""
    async with transaction(context.sessions) as session:
        user = (await session.execute(sa.select(users).where(users.c.id == user_id))).first()
        if user is None:
            raise NotFound("user not found")
        administrators = await _administrators(session, administration_id)
        try:
            await grant(session, user_id, administration_id, role)
        except IdentityError:
            # Another organisation's user: as unknown as a user that does not exist.
            raise NotFound("user not found") from None
        if role is not Role.ADMINISTRATOR and administrators == {user_id}:
            raise LastAdministrator()
        member = member_out(await _member(session, administration_id, user_id))
    # Committed: this replica applies the new role at once, others within principal_cache_s.
    context.principals.clear()
    return member


async def take_role(context: GatewayContext, administration_id: str, user_id: str) -> None:
    """Take the user's role in the administration away; raises NotFound when it had none."""
    async with transaction(context.sessions) as session:
        if await _administrators(session, administration_id) == {user_id}:
            raise LastAdministrator()
        removed = await session.execute(
            sa.delete(memberships).where(
                memberships.c.administration_id == administration_id,
                memberships.c.user_id == user_id,
            )
        )
    context.principals.clear()
    if not removed.rowcount:
        raise NotFound("user not found")


async def _administrators(session: AsyncSession, administration_id: str) -> set[str]:
    """The administration's active administrators, their rows locked on PostgreSQL until the
    transaction ends, so two administrators demoting each other at once cannot leave none."""
    rows = await session.scalars(
        sa.select(memberships.c.user_id)
        .join(users, users.c.id == memberships.c.user_id)
        .where(
            memberships.c.administration_id == administration_id,
            memberships.c.role == Role.ADMINISTRATOR.value,
            users.c.active,
        )
        .with_for_update(of=memberships)
    )
    return set(rows)
