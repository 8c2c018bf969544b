"""Wiring of the payments service: the consumer of the importer's invoice facts, the API the
portal calls, the PSP's webhook and the refresher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import cast

from settle_payments import api, errors
from settle_payments.adapters.consumer import TOPICS, batch_handler
from settle_payments.adapters.psp.local_server import DEFAULT_PORT
from settle_payments.adapters.psp.mollie import MolliePsp
from settle_payments.adapters.repositories import SqlStore
from settle_payments.adapters.tables import metadata
from settle_payments.application.context import PaymentsContext
from settle_payments.application.reports import refresh_loop
from settle_payments.cli import cli
from settle_payments.settings import LOCAL_PSP_KEY, PaymentsSettings
from settle_shared.service import Companion, EmbeddedContext, ServiceRuntime, ServiceSpec

CONSUMER_GROUP = "payments"


def setup(runtime: ServiceRuntime) -> None:
    """The consumer of invoice facts and payment plans, the API, the webhook and the
    refresher."""
    settings = cast(PaymentsSettings, runtime.settings)
    outbox = runtime.outbox
    psp = MolliePsp(
        settings.psp_base_url,
        settings.psp_api_key.get_secret_value(),
        timeout_s=settings.psp_timeout_s,
    )
    ctx = PaymentsContext(
        settings=settings,
        clock=runtime.clock,
        sessions=runtime.sessions,
        store_in=lambda session: SqlStore(session, outbox),
        psp=psp,
        published=runtime.relay.notify,
    )
    runtime.app.state.payments = ctx

    runtime.consume(
        CONSUMER_GROUP,
        TOPICS,
        batch_handler=batch_handler(lambda: runtime.app.state.payments),
        dead_letters=errors.DEAD_LETTER_ERRORS,
    )
    runtime.add_background(lambda stop: refresh_loop(runtime.app.state.payments, stop))

    async def close_psp_on_stop(stop: asyncio.Event) -> None:
        await stop.wait()
        await psp.close()

    runtime.add_background(close_psp_on_stop)
    runtime.app.include_router(api.router)
    runtime.app.include_router(api.webhooks)
    errors.install(runtime.app)


def local_psp(ctx: EmbeddedContext, port: int) -> list[str]:
    """The local PSP as a process of the embedded stack, keeping its payments under var/."""
    return [
        "-m",
        "settle_payments.adapters.psp.local_server",
        "--host",
        ctx.host,
        "--port",
        str(port),
        "--key",
        LOCAL_PSP_KEY,
        "--data",
        str(ctx.var_dir / "local-psp.json"),
    ]


def embedded_settings(ctx: EmbeddedContext) -> dict[str, str]:
    """In the embedded stack the service talks to the local PSP, which calls it back."""
    settings = {
        "psp_base_url": ctx.companion_urls["local-psp"] + "/v2",
        "psp_api_key": LOCAL_PSP_KEY,
    }
    if url := ctx.service_urls.get("payments"):
        settings["public_base_url"] = url
    return settings


SERVICE = ServiceSpec(
    name="payments",
    description="Online payments of open invoices through a PSP (Mollie's API v2): checkouts, "
    "their states as the PSP reports them, refunds and chargebacks.",
    settings_cls=PaymentsSettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    cli=cli,
    start_order=45,
    embedded_settings=embedded_settings,
    companions=(
        Companion(
            name="local-psp",
            default_port=DEFAULT_PORT,
            arguments=local_psp,
            description="checkout pages of online payments (a Mollie stand-in)",
        ),
    ),
)
