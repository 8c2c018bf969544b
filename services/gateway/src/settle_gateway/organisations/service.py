"""Organisations: those a caller may see (a platform administrator every one, anyone else
their own), a new one with its first administration and administrator, a new name."""

from __future__ import annotations

from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import administrations, api_tokens, organisations, users
from settle_gateway.administrations.service import create_administration
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.service import new_id
from settle_gateway.domain.access import ActionNotAllowed, Principal, Role
from settle_gateway.domain.administrations import check_organisation_name
from settle_gateway.domain.errors import CannotInvite, NotFound, OrganisationExists
from settle_gateway.members.models import InvitedOut
from settle_gateway.members.service import add_member
from settle_gateway.organisations.models import (
    OrganisationAdministration,
    OrganisationCreated,
    OrganisationIn,
    OrganisationOut,
)
from settle_shared.db import aware, transaction


async def own_organisation(session: AsyncSession, principal: Principal) -> str | None:
    """The organisation of the caller: a user's, or that of an API token's administration."""
    if principal.kind == "api_token":
        return await session.scalar(
            sa.select(administrations.c.organisation_id)
            .join(api_tokens, api_tokens.c.administration_id == administrations.c.id)
            .where(api_tokens.c.id == principal.subject)
        )
    return await session.scalar(
        sa.select(users.c.organisation_id).where(users.c.id == principal.subject)
    )


async def organisations_of(
    session: AsyncSession, ids: Collection[str] | None
) -> list[OrganisationOut]:
    """The organisations with these ids (None: every one), by name, with their
    administrations and how many users each has."""
    query = sa.select(organisations).order_by(organisations.c.name, organisations.c.id)
    if ids is not None:
        query = query.where(organisations.c.id.in_(list(ids)))
    found = list(await session.execute(query))
    wanted = [row.id for row in found]
    owned: dict[str, list[OrganisationAdministration]] = {id_: [] for id_ in wanted}
    for row in await session.execute(
        sa.select(administrations.c.id, administrations.c.name, administrations.c.organisation_id)
        .where(administrations.c.organisation_id.in_(wanted))
        .order_by(administrations.c.name, administrations.c.id)
    ):
        owned[row.organisation_id].append(OrganisationAdministration(id=row.id, name=row.name))
    counts: dict[str, int] = dict(
        (
            await session.execute(
                sa.select(users.c.organisation_id, sa.func.count())
                .where(users.c.organisation_id.in_(wanted))
                .group_by(users.c.organisation_id)
            )
        ).all()
    )
    return [
        OrganisationOut(
            id=row.id,
            name=row.name,
            created_at=aware(row.created_at),
            administrations=owned[row.id],
            users=counts.get(row.id, 0),
        )
        for row in found
    ]


async def visible_organisations(
    session: AsyncSession, principal: Principal
) -> list[OrganisationOut]:
    """Every organisation for a platform administrator; the caller's own for anyone else."""
    if principal.platform:
        return await organisations_of(session, None)
    own = await own_organisation(session, principal)
    return await organisations_of(session, [own] if own else [])


async def create_organisation(
    context: GatewayContext, principal: Principal, body: OrganisationIn
) -> OrganisationCreated:
    """A new organisation (platform administrators only), its first administration,
    announced to every service, and its first administrator, invited to choose a password."""
    principal.check_platform()
    now = context.runtime.clock.now()
    name = check_organisation_name(body.name)
    try:
        async with transaction(context.sessions) as session:
            taken = await session.scalar(
                sa.select(organisations.c.id).where(organisations.c.name == name)
            )
            if taken is not None:
                raise OrganisationExists(name)
            organisation_id = new_id("org")
            await session.execute(
                sa.insert(organisations).values(id=organisation_id, name=name, created_at=now)
            )
            await create_administration(
                session,
                context.runtime.outbox,
                organisation_id=organisation_id,
                administration_id=body.administration.id,
                name=body.administration.name,
                now=now,
            )
            member, invitation = await add_member(
                session,
                body.administration.id,
                email=body.administrator.email,
                name=body.administrator.name,
                role=Role.ADMINISTRATOR,
                inviter_id=principal.subject,
                invitation_days=context.settings.invitation_days,
            )
            [organisation] = await organisations_of(session, [organisation_id])
    except IntegrityError:  # an id, name or email taken by another request since we looked
        raise OrganisationExists(name) from None
    except CannotInvite:
        raise CannotInvite(
            f"{body.administrator.email} is a user of another organisation already; "
            "choose another email for this organisation's administrator"
        ) from None
    context.runtime.relay.notify()  # the administration's announcement
    return OrganisationCreated(
        organisation=organisation,
        administrator=InvitedOut(**member.model_dump(), invitation=invitation),
    )


async def rename_organisation(
    context: GatewayContext, principal: Principal, organisation_id: str, name: str
) -> OrganisationOut:
    """A new name, given by a platform administrator or an administrator of one of the
    organisation's administrations. Another organisation is as unknown as one that does not
    exist (NotFound); a user of this one who administers none of it may not (403)."""
    name = check_organisation_name(name)
    async with transaction(context.sessions) as session:
        if not principal.platform:
            if await own_organisation(session, principal) != organisation_id:
                raise NotFound("organisation not found")
            owned = set(
                await session.scalars(
                    sa.select(administrations.c.id).where(
                        administrations.c.organisation_id == organisation_id
                    )
                )
            )
            if principal.kind == "api_token" or not owned & principal.administers():
                raise ActionNotAllowed(
                    "only an administrator of one of the organisation's administrations may "
                    "rename it"
                )
        taken = await session.scalar(
            sa.select(organisations.c.id).where(
                organisations.c.name == name, organisations.c.id != organisation_id
            )
        )
        if taken is not None:
            raise OrganisationExists(name)
        renamed = await session.execute(
            sa.update(organisations).where(organisations.c.id == organisation_id).values(name=name)
        )
        if not renamed.rowcount:
            raise NotFound("organisation not found")
        [organisation] = await organisations_of(session, [organisation_id])
    return organisation
