"""Wiring of the messaging service: the consumer of message requests, the sender, the inbound
SMTP endpoint, the internal API, and the reply links of mails sent before the debtor portal."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from settle_messaging import api, errors
from settle_messaging.adapters.inbound_smtp import serve_inbound
from settle_messaging.adapters.repositories import SqlStore
from settle_messaging.adapters.smtp import SmtpTransport
from settle_messaging.adapters.tables import metadata
from settle_messaging.application.administration import learn_administrations
from settle_messaging.application.context import Messaging
from settle_messaging.application.outbound import Origin, queue_case_messages, queue_requests
from settle_messaging.application.sender import Sender
from settle_messaging.reply_page import views as reply_page
from settle_messaging.settings import MessagingSettings
from settle_shared.consumer import ReceivedEvent
from settle_shared.events.collection import MESSAGES as COLLECTION_MESSAGES
from settle_shared.events.collection import CaseMessageRequested
from settle_shared.events.dunning import MESSAGES as DUNNING_MESSAGES
from settle_shared.events.dunning import MessageRequested
from settle_shared.events.gateway import ADMINISTRATIONS, AdministrationEvent
from settle_shared.service import EmbeddedContext, ServiceRuntime, ServiceSpec

CONSUMER_GROUP = "messaging"


def setup(runtime: ServiceRuntime) -> None:
    """Routes, the consumer of message requests and of the gateway's administrations, and the
    background loops of messaging."""
    settings = cast(MessagingSettings, runtime.settings)
    outbox = runtime.outbox
    messaging = Messaging(
        settings=settings,
        clock=runtime.clock,
        sessions=runtime.sessions,
        store_in=lambda session: SqlStore(session, outbox),
        mail_transport=lambda: SmtpTransport(settings),
    )
    runtime.app.state.messaging = messaging

    async def on_batch(session: AsyncSession, events: Sequence[ReceivedEvent]) -> None:
        announced = [
            (received.payload.administration_id, received.payload.name, received.payload.at)
            for received in events
            if isinstance(received.payload, AdministrationEvent)
        ]
        if announced:
            await learn_administrations(messaging.store_in(session), announced)
        # The whole Kafka batch at once: one insert per table instead of several per message.
        requests = [
            (
                received.payload,
                Origin(
                    message_request_id=received.payload.message_request_id,
                    correlation_id=received.envelope.correlation_id,
                    causation_id=received.envelope.id,
                ),
            )
            for received in events
            if isinstance(received.payload, MessageRequested)
        ]
        if requests:
            await queue_requests(messaging.store_in(session), messaging, requests)
        # The messages of collection cases' steps (their text written by collection).
        cases = [
            (
                received.payload,
                Origin(
                    message_request_id=received.payload.message_request_id,
                    correlation_id=received.envelope.correlation_id,
                    causation_id=received.envelope.id,
                ),
            )
            for received in events
            if isinstance(received.payload, CaseMessageRequested)
        ]
        if cases:
            await queue_case_messages(messaging.store_in(session), messaging, cases)

    runtime.consume(
        CONSUMER_GROUP,
        [ADMINISTRATIONS.name, DUNNING_MESSAGES.name, COLLECTION_MESSAGES.name],
        batch_handler=on_batch,
        dead_letters=errors.DEAD_LETTER_ERRORS,
    )
    runtime.add_background(Sender(messaging).run)

    runtime.add_background(lambda stop: serve_inbound(messaging, stop))
    runtime.app.include_router(api.router)
    runtime.app.include_router(reply_page.router)
    errors.install(runtime.app)


def embedded_settings(ctx: EmbeddedContext) -> dict[str, str]:
    """In the embedded stack mail goes to the local SMTP server that keeps it under var/mail."""
    settings = {
        "smtp_host": ctx.smtp_host,
        "smtp_port": str(ctx.smtp_port),
        "smtp_mode": "plain",
        "inbound_smtp_port": str(ctx.inbound_smtp_port),
    }
    if url := ctx.service_urls.get("gateway"):  # the debtor portal
        settings["portal_base_url"] = url
    return settings


SERVICE = ServiceSpec(
    name="messaging",
    description="Reminders and messages to debtors by email and letter, their replies and "
    "bounces, and the timeline of every message.",
    settings_cls=MessagingSettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    start_order=40,
    embedded_settings=embedded_settings,
)
