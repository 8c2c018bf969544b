"""Wiring of the gateway: the UI API, its read-model consumer and the demo seed."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from pathlib import Path

from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway import errors
from settle_gateway.adapters.payments import PaymentsClient
from settle_gateway.adapters.read_model import TOPICS, project
from settle_gateway.adapters.tables import metadata
from settle_gateway.adapters.upstream import Upstreams
from settle_gateway.administrations import views as administrations
from settle_gateway.administrations.service import announce_unannounced
from settle_gateway.application.context import GatewayContext
from settle_gateway.attention import views as attention
from settle_gateway.auth import views as auth
from settle_gateway.auth.security import LoginLimiter, OidcVerifier, PrincipalCache
from settle_gateway.auth.service import DEMO_ADMINISTRATION, IdentityError, seed_demo
from settle_gateway.cases import views as cases
from settle_gateway.cli import cli
from settle_gateway.control import views as control
from settle_gateway.credit_notes import views as credit_notes
from settle_gateway.dashboard import views as dashboard
from settle_gateway.debtors import views as debtors
from settle_gateway.imports import views as imports
from settle_gateway.invoices import views as invoices
from settle_gateway.members import views as members
from settle_gateway.messages import views as messages
from settle_gateway.organisations import views as organisations
from settle_gateway.payments import views as payments
from settle_gateway.plans import views as plans
from settle_gateway.portal import views as portal
from settle_gateway.portal.service import PortalLimiter
from settle_gateway.settings import GatewaySettings
from settle_gateway.templates import views as templates
from settle_gateway.webapp.service import WebApp
from settle_gateway.webapp.views import add_web_app
from settle_shared.consumer import ReceivedEvent
from settle_shared.db import session_factory, transaction
from settle_shared.logs import get_logger
from settle_shared.service import EmbeddedContext, ServiceRuntime, ServiceSpec

log = get_logger(__name__)

DEMO_LOGIN_FILE = "demo-login.json"
# The web app `make web` builds, beside the source checkout the gateway runs from.
CHECKOUT_WEB_DIR = Path(__file__).resolve().parents[4] / "web" / "dist"


async def seed_demo_login(runtime: ServiceRuntime) -> str | None:
    """Create the demo organisation, administration and user when missing; write the login
    where the embedded stack shows it. Returns the password when a user was created."""
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    try:
        async with transaction(runtime.sessions) as session:
            password = await seed_demo(
                session, runtime.outbox, settings.demo_email, runtime.clock.now()
            )
    except (IntegrityError, IdentityError):
        # Another worker of this gateway seeded at the same moment; its rows are there now.
        # (Its organisation may have been committed between our look for one and our look
        # for the administration: then the administration seems to belong to another one.)
        async with transaction(runtime.sessions) as session:
            password = await seed_demo(
                session, runtime.outbox, settings.demo_email, runtime.clock.now()
            )
    runtime.relay.notify()  # the demo administration's announcement, when it was new
    if password is None:
        log.info("demo login exists", email=settings.demo_email)
        return None
    if settings.demo_login_file is not None:
        path = settings.demo_login_file
        path.parent.mkdir(parents=True, exist_ok=True)
        # Readable by its owner only: it holds a password, even if only a demo one.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump(
                {
                    "email": settings.demo_email,
                    "password": password,
                    "administration_id": DEMO_ADMINISTRATION,
                },
                file,
            )
    # The embedded stack's demo user exists to be shown: this one line says how to sign in.
    log.info(
        "demo login created",
        login=f"{settings.demo_email} / {password}",
        administration_id=DEMO_ADMINISTRATION,
    )
    return password


async def announce_existing(runtime: ServiceRuntime) -> int:
    """Announce the administrations an upgraded database holds from before the gateway
    published them, so the other services learn of them; retried while the database is not
    there yet. Returns how many were announced."""
    for attempt in range(5):
        try:
            async with transaction(runtime.sessions) as session:
                announced = await announce_unannounced(session, runtime.outbox, runtime.clock.now())
        except Exception as exc:  # the API still serves; the next start tries again
            log.warning("administrations not announced; retrying", error=repr(exc))
            await asyncio.sleep(2**attempt)
            continue
        if announced:
            log.info("administrations announced to the other services", count=announced)
            runtime.relay.notify()
        return announced
    return 0


# In the order of the OpenAPI document.
ROUTERS = (
    auth.auth,
    auth.router,
    dashboard.router,
    invoices.router,
    credit_notes.router,
    attention.router,
    members.router,
    organisations.router,
    administrations.router,
    debtors.router,
    messages.router,
    payments.router,
    imports.router,
    control.router,
    plans.router,
    cases.router,
    templates.router,
)


def setup(runtime: ServiceRuntime) -> None:
    """The UI API, the debtor portal, the read-model consumer, CORS and the demo seed."""
    settings = runtime.settings
    assert isinstance(settings, GatewaySettings)
    oidc = (
        OidcVerifier(settings)
        if settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url
        else None
    )
    upstreams = Upstreams(settings)
    reads = session_factory(runtime.engine.execution_options(isolation_level="AUTOCOMMIT"))
    online_payments = PaymentsClient(
        settings.payments_url,
        settings.service_token.get_secret_value(),
        settings.payments_timeout_s,
    )
    context = runtime.app.state.gateway = GatewayContext(
        runtime=runtime,
        settings=settings,
        limiter=LoginLimiter(
            runtime.sessions,
            per_account=settings.login_max_failures,
            per_address=settings.login_max_failures_per_address,
            window_s=settings.login_window_s,
        ),
        oidc=oidc,
        upstreams=upstreams,
        principals=PrincipalCache(settings.principal_cache_s),
        reads=reads,
        payments=online_payments,
        portal_limiter=PortalLimiter(
            runtime.sessions,
            reads,
            per_address=settings.portal_max_failures_per_address,
            window_s=settings.portal_failure_window_s,
        ),
    )
    for router in ROUTERS:
        runtime.app.include_router(router)
    # The debtor portal's pages: HTML for debtors, not part of the API's document.
    runtime.app.include_router(portal.router)
    errors.install(runtime.app)
    # Last: the web app answers every path no route above took.
    add_web_app(runtime.app, WebApp(settings.web_dir or CHECKOUT_WEB_DIR))
    if settings.cors_origins:
        runtime.app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Correlation-ID"],
            expose_headers=["X-Correlation-ID"],
        )

    async def project_on_business_date(
        session: AsyncSession, events: Sequence[ReceivedEvent]
    ) -> None:
        # The business date when the batch arrives: the month ends it closes (dashboard).
        await project(session, events, context.today())

    runtime.consume(
        settings.consumer_group,
        TOPICS,
        batch_handler=project_on_business_date,
        dead_letters=errors.DEAD_LETTER_ERRORS,
    )

    seeded = asyncio.Event()

    async def demo_login_ready() -> None:
        if not seeded.is_set():
            raise RuntimeError("the demo login is being created")

    if settings.seed_demo:
        # Ready only once the demo login exists, so `settle up` can print it.
        runtime.add_readiness_check("demo login", demo_login_ready)

    async def start_and_stop(stop: asyncio.Event) -> None:
        await announce_existing(runtime)
        if settings.seed_demo:
            try:
                await seed_demo_login(runtime)
            except Exception as exc:  # the API still serves; the log says what went wrong
                log.error("demo seed failed", error=repr(exc))
            seeded.set()
        await stop.wait()
        await upstreams.close()
        await online_payments.close()

    runtime.add_background(start_and_stop)


def embedded_settings(ctx: EmbeddedContext) -> dict[str, str]:
    """The embedded stack: the neighbours' URLs, and a demo login written under var/."""
    settings = {
        "seed_demo": "true",
        "demo_login_file": str(ctx.var_dir / DEMO_LOGIN_FILE),
    }
    for name, url in ctx.service_urls.items():  # the registered services the stack started
        if name in GatewaySettings.UPSTREAMS:
            settings[f"{name}_url"] = url
    return settings


SERVICE = ServiceSpec(
    name="gateway",
    description="The API of Settle's web interface: sign-in, the read model of every "
    "service's events, and commands passed to the service that owns them.",
    settings_cls=GatewaySettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    cli=cli,
    start_order=90,
    embedded_settings=embedded_settings,
)
