"""The users of an administration and their roles: who they are, a role given, a role taken."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import memberships, users
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.service import IdentityError, grant
from settle_gateway.domain.access import Role
from settle_gateway.domain.errors import LastAdministrator, NotFound
from settle_gateway.members.models import MemberOut
from settle_shared.db import transaction


async def members_of(session: AsyncSession, administration_id: str) -> list[MemberOut]:
    """The users with a role in the administration, by email."""
    rows = await session.execute(
        sa.select(users.c.id, users.c.email, users.c.name, users.c.active, memberships.c.role)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.administration_id == administration_id)
        .order_by(users.c.email)
    )
    return [
        MemberOut(user_id=r.id, email=r.email, name=r.name, role=r.role, active=r.active)
        for r in rows
    ]


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
    # Committed: this replica applies the new role at once, others within principal_cache_s.
    context.principals.clear()
    return MemberOut(
        user_id=user.id, email=user.email, name=user.name, role=role.value, active=user.active
    )


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
    """The administration's administrators, their rows locked on PostgreSQL until the
    transaction ends, so two administrators demoting each other at once cannot leave none."""
    rows = await session.scalars(
        sa.select(memberships.c.user_id)
        .where(
            memberships.c.administration_id == administration_id,
            memberships.c.role == Role.ADMINISTRATOR.value,
        )
        .with_for_update()
    )
    return set(rows)
