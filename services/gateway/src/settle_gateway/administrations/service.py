"""Administrations are the gateway's: it creates and renames them, and in the same transaction
stages AdministrationCreated or AdministrationChanged in its outbox, so every other service
knows an administration before its first invoice. One created before the gateway published
these events is announced when the gateway starts (`announce_unannounced`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import administrations, memberships, users
from settle_gateway.application.context import GatewayContext
from settle_gateway.auth.models import AdministrationOut
from settle_gateway.domain.access import ActionNotAllowed, Principal, Role
from settle_gateway.domain.administrations import check_administration_id, check_name
from settle_gateway.domain.errors import AdministrationExists, NotFound
from settle_shared.db import transaction
from settle_shared.events.gateway import (
    AdministrationChanged,
    AdministrationCreated,
    AdministrationEvent,
)
from settle_shared.outbox import Outbox


async def create_administration(
    session: AsyncSession,
    outbox: Outbox,
    *,
    organisation_id: str,
    administration_id: str,
    name: str,
    now: datetime,
) -> None:
    """Add an administration to the organisation and announce it; AdministrationExists when
    the id is taken (in any organisation), InvalidAdministration for a bad id or name."""
    check_administration_id(administration_id)
    name = check_name(name)
    taken = await session.scalar(
        sa.select(administrations.c.id).where(administrations.c.id == administration_id)
    )
    if taken is not None:
        raise AdministrationExists(administration_id)
    await session.execute(
        sa.insert(administrations).values(
            id=administration_id,
            organisation_id=organisation_id,
            name=name,
            created_at=now,
            announced_at=now,
        )
    )
    await _announce(
        session, outbox, AdministrationCreated, administration_id, name, organisation_id, now
    )


async def rename_administration(
    session: AsyncSession, outbox: Outbox, administration_id: str, name: str, now: datetime
) -> str:
    """Give the administration a new name and announce it; returns the name as stored."""
    name = check_name(name)
    organisation_id = await session.scalar(
        sa.update(administrations)
        .where(administrations.c.id == administration_id)
        .values(name=name)
        .returning(administrations.c.organisation_id)
    )
    if organisation_id is None:
        raise NotFound(f"unknown administration {administration_id}")
    await _announce(
        session, outbox, AdministrationChanged, administration_id, name, organisation_id, now
    )
    return name


async def announce_unannounced(session: AsyncSession, outbox: Outbox, now: datetime) -> int:
    """Announce every administration created before the gateway published administrations
    (an upgraded database); returns how many. Each is claimed by a conditional update, so
    several gateway workers starting at once announce it once."""
    rows = await session.execute(
        sa.select(administrations.c.id).where(administrations.c.announced_at.is_(None))
    )
    announced = 0
    for administration_id in rows.scalars().all():
        claimed = (
            await session.execute(
                sa.update(administrations)
                .where(
                    administrations.c.id == administration_id,
                    administrations.c.announced_at.is_(None),
                )
                .values(announced_at=now)
                .returning(administrations.c.name, administrations.c.organisation_id)
            )
        ).first()
        if claimed is None:
            continue  # another worker announced it
        await _announce(
            session,
            outbox,
            AdministrationCreated,
            administration_id,
            claimed.name,
            claimed.organisation_id,
            now,
        )
        announced += 1
    return announced


async def _announce(
    session: AsyncSession,
    outbox: Outbox,
    kind: type[AdministrationEvent],
    administration_id: str,
    name: str,
    organisation_id: str,
    now: datetime,
) -> None:
    event = kind(
        administration_id=administration_id, name=name, organisation_id=organisation_id, at=now
    )
    await outbox.add(session, event, administration_id=administration_id)


async def create_for(
    context: GatewayContext, principal: Principal, administration_id: str, name: str
) -> AdministrationOut:
    """A new administration in the caller's organisation, with the caller as its
    administrator. Only a person who administers an administration may create one."""
    if principal.kind == "api_token":
        raise ActionNotAllowed("an API token cannot create administrations; a person can")
    if Role.ADMINISTRATOR not in principal.roles.values():
        raise ActionNotAllowed(
            "only an administrator of an administration may create administrations"
        )
    now = context.runtime.clock.now()
    try:
        async with transaction(context.sessions) as session:
            organisation_id = await session.scalar(
                sa.select(users.c.organisation_id).where(users.c.id == principal.subject)
            )
            assert organisation_id is not None  # an authenticated user exists
            await create_administration(
                session,
                context.runtime.outbox,
                organisation_id=organisation_id,
                administration_id=administration_id,
                name=name,
                now=now,
            )
            await session.execute(
                sa.insert(memberships).values(
                    user_id=principal.subject,
                    administration_id=administration_id,
                    role=Role.ADMINISTRATOR.value,
                )
            )
    except IntegrityError:  # created by another request since we looked
        raise AdministrationExists(administration_id) from None
    # Committed: the creator's new role applies at once here, on other replicas within
    # principal_cache_s.
    context.principals.clear()
    context.runtime.relay.notify()
    return AdministrationOut(id=administration_id, name=name, role=Role.ADMINISTRATOR.value)


async def rename_for(
    context: GatewayContext, administration_id: str, name: str
) -> AdministrationOut:
    """Rename the administration (its administrators only: the route checks)."""
    async with transaction(context.sessions) as session:
        stored = await rename_administration(
            session, context.runtime.outbox, administration_id, name, context.runtime.clock.now()
        )
    context.runtime.relay.notify()
    return AdministrationOut(id=administration_id, name=stored, role=Role.ADMINISTRATOR.value)
