"""`settle gateway …`: users, administrators, API tokens and rebuilding the read model."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.ext.asyncio import AsyncSession

    from settle_gateway.settings import GatewaySettings
    from settle_shared.outbox import Outbox

cli = typer.Typer(
    help="Gateway: administrations, users, roles and the read model.", no_args_is_help=True
)

T = TypeVar("T")


@cli.callback()
def gateway() -> None:
    """Gateway: administrations, users, roles and the read model."""


def _with_session(work: Callable[..., Awaitable[T]]) -> T:
    """Run `work(session, settings, now)` in one transaction against the gateway database."""
    from settle_gateway.settings import GatewaySettings
    from settle_shared.clock import clock_from_settings
    from settle_shared.db import create_engine, session_factory, transaction
    from settle_shared.settings import load_settings

    settings = load_settings(GatewaySettings)

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as session:
                now = clock_from_settings(settings.clock_file).now()
                return await work(session, settings, now)
        finally:
            await engine.dispose()

    return asyncio.run(main())


RoleOption = Annotated[
    str, typer.Option("--role", help="administrator, standard, communication or restricted")
]


def _outbox(settings: GatewaySettings) -> Outbox:
    """The gateway's outbox, written by a command: the running gateway's relay publishes what
    it stages (or the gateway does when it next starts)."""
    from settle_gateway.adapters.tables import metadata
    from settle_shared.clock import clock_from_settings
    from settle_shared.outbox import Outbox

    return Outbox(
        metadata, source="/settle/gateway", clock=clock_from_settings(settings.clock_file)
    )


ANNOUNCED = (
    "the importer, dunning and messaging learn of it as soon as the gateway publishes its outbox "
    "(at once while the gateway runs)"
)


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@cli.command("admin-create")
def admin_create(
    email: Annotated[str, typer.Option("--email", help="login of the administrator")],
    organisation: Annotated[str, typer.Option("--organisation", help="organisation name")],
    administration: Annotated[
        str, typer.Option("--administration", help="administration id (the services' id)")
    ],
    administration_name: Annotated[
        str | None, typer.Option("--administration-name", help="default: the id")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="the user's name")] = None,
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an organisation and administration when missing, and a user who administers it."""
    from settle_gateway.auth.service import (
        IdentityError,
        create_user,
        ensure_administration,
        ensure_organisation,
        grant,
    )
    from settle_gateway.domain.access import Role

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> str:
        org_id = await ensure_organisation(session, organisation, now)
        await ensure_administration(
            session,
            _outbox(settings),
            org_id,
            administration,
            administration_name or administration,
            now,
        )
        user_id = await create_user(
            session,
            organisation_id=org_id,
            email=email,
            name=name or email,
            password=password,
            now=now,
        )
        await grant(session, user_id, administration, Role.ADMINISTRATOR)
        return user_id

    try:
        user_id = _with_session(work)
    except IdentityError as exc:
        _fail(str(exc))
    else:
        typer.echo(f"administrator {email} created ({user_id}) for administration {administration}")


@cli.command("administration-create")
def administration_create(
    administration: Annotated[
        str,
        typer.Option(
            "--administration",
            help="its id: letters, digits, '_', '.', ':' and '-' (the services' id and its "
            "drop folder's name)",
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="its name, as people see it")],
    organisation: Annotated[
        str, typer.Option("--organisation", help="organisation name (created when missing)")
    ],
) -> None:
    """Create an administration and announce it to every service. Give people a role in it
    with `user-create` (or `admin-create` for its administrator)."""
    from settle_gateway.administrations.service import create_administration
    from settle_gateway.auth.service import ensure_organisation
    from settle_gateway.domain.errors import AdministrationExists, InvalidAdministration

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> None:
        org_id = await ensure_organisation(session, organisation, now)
        await create_administration(
            session,
            _outbox(settings),
            organisation_id=org_id,
            administration_id=administration,
            name=name,
            now=now,
        )

    try:
        _with_session(work)
    except (AdministrationExists, InvalidAdministration) as exc:
        _fail(str(exc))
    else:
        typer.echo(f"administration {administration} created; {ANNOUNCED}")


@cli.command("administration-rename")
def administration_rename(
    administration: Annotated[str, typer.Option("--administration", help="administration id")],
    name: Annotated[str, typer.Option("--name", help="its new name")],
) -> None:
    """Rename an administration and tell every service."""
    from settle_gateway.administrations.service import rename_administration
    from settle_gateway.domain.errors import InvalidAdministration, NotFound

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> str:
        return await rename_administration(session, _outbox(settings), administration, name, now)

    try:
        stored = _with_session(work)
    except (NotFound, InvalidAdministration) as exc:
        _fail(str(exc))
    else:
        typer.echo(f"administration {administration} renamed to {stored!r}")


@cli.command("user-create")
def user_create(
    email: Annotated[str, typer.Option("--email", help="login of the user")],
    administration: Annotated[
        list[str], typer.Option("--administration", help="administration id (repeatable)")
    ],
    role: RoleOption = "standard",
    name: Annotated[str | None, typer.Option("--name", help="the user's name")] = None,
    password: Annotated[
        str | None,
        typer.Option("--password", help="omit for a user who signs in through OpenID Connect"),
    ] = None,
) -> None:
    """Create a user in the organisation of the given administrations, with one role in each."""
    import sqlalchemy as sa

    from settle_gateway.adapters.tables import administrations
    from settle_gateway.auth.service import IdentityError, create_user, grant
    from settle_gateway.domain.access import Role

    try:
        chosen = Role(role)
    except ValueError:
        _fail(f"unknown role {role!r}")
        return

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> str:
        org_id = await session.scalar(
            sa.select(administrations.c.organisation_id).where(
                administrations.c.id == administration[0]
            )
        )
        if org_id is None:
            raise IdentityError(f"unknown administration {administration[0]}")
        user_id = await create_user(
            session,
            organisation_id=org_id,
            email=email,
            name=name or email,
            password=password,
            now=now,
        )
        for administration_id in administration:
            await grant(session, user_id, administration_id, chosen)
        return str(user_id)

    try:
        user_id = _with_session(work)
    except IdentityError as exc:
        _fail(str(exc))
    else:
        typer.echo(f"user {email} created ({user_id}) as {chosen.value}")


@cli.command("token-create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="what the machine client is")],
    administration: Annotated[str, typer.Option("--administration", help="administration id")],
    role: RoleOption = "restricted",
) -> None:
    """Create an API token for a machine client; it is printed once and stored hashed."""
    from settle_gateway.auth.service import create_api_token
    from settle_gateway.domain.access import Role

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> str:
        return await create_api_token(
            session, name=name, administration_id=administration, role=Role(role), now=now
        )

    typer.echo(_with_session(work))


@cli.command("rebuild")
def rebuild(
    group: Annotated[
        str | None, typer.Option("--group", help="the new consumer group (default: a fresh one)")
    ] = None,
) -> None:
    """Empty the read model so it is projected again from the beginning of every topic.

    Stop the gateway first. The read model is rebuilt by a consumer group that has no
    committed offsets, so it reads every topic from its start: restart the gateway with
    SETTLE_GATEWAY_CONSUMER_GROUP set to the group this command prints."""
    from settle_gateway.adapters.read_model import empty

    fresh = group or f"gateway-rebuild-{int(time.time())}"

    async def work(session: AsyncSession, settings: GatewaySettings, now: datetime) -> int:
        return await empty(session, [settings.consumer_group, fresh])

    forgotten = _with_session(work)
    typer.echo(f"read model emptied ({forgotten} processed events forgotten)")
    typer.echo(f"now start the gateway with SETTLE_GATEWAY_CONSUMER_GROUP={fresh}")
