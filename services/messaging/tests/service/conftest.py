"""A running messaging service on SQLite with TestKafkaBroker, and factories for requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from settle_messaging.adapters.smtp import Delivered, SendOutcome
from settle_messaging.app import SERVICE
from settle_messaging.application.context import Messaging
from settle_messaging.application.sender import Sender
from settle_shared.events.dunning import (
    MessageAddress,
    MessageDebtor,
    MessageInvoice,
    MessageRequested,
)
from settle_shared.testing.service import ServiceHarness, running_service

ADM = "adm-1"
BASE = f"/internal/v1/administrations/{ADM}"


def make_request(**changes: Any) -> MessageRequested:
    """A reminder for two invoices of one consumer, in Dutch, by email."""
    debtor = changes.pop("debtor", None) or MessageDebtor(
        debtor_id="deb-1",
        number="D-1001",
        name="Bakkerij De Korenaar",
        kind="consumer",
        emails=["info@korenaar.example.com"],
        address=MessageAddress(
            street="Dorpsstraat 7", postal_code="1234 AB", city="Zaandam", country="NL"
        ),
    )
    invoices = [
        MessageInvoice(
            invoice_id="inv-1",
            number="2025-0001",
            invoice_date=date(2025, 1, 6),
            due_date=date(2025, 2, 5),
            amount=Decimal("1210.00"),
            open_amount=Decimal("1210.00"),
            currency="EUR",
            step_id="reminder-1",
            phase="reminder_1",
            legally_required=False,
        ),
        MessageInvoice(
            invoice_id="inv-2",
            number="2025-0002",
            invoice_date=date(2025, 1, 9),
            due_date=date(2025, 2, 8),
            amount=Decimal("484.00"),
            open_amount=Decimal("284.50"),
            currency="EUR",
            step_id="reminder-1",
            phase="reminder_1",
            legally_required=False,
        ),
    ]
    fields: dict[str, Any] = {
        "message_request_id": "req-1",
        "administration_id": ADM,
        "flow_id": "default",
        "business_date": date(2025, 2, 12),
        "debtor": debtor,
        "invoices": invoices,
        "total_open_amount": Decimal("1494.50"),
        "currency": "EUR",
        "channels": ["email"],
        "template_key": "friendly_reminder",
        "tone": "formal",
        "language": "nl",
        "fallback_language": "en",
        "phase": "reminder_1",
        "legally_required": False,
    }
    fields.update(changes)
    return MessageRequested(**fields)


@dataclass
class FakeTransport:
    """Records what would be sent; answers with the outcomes it is given, then delivers."""

    outcomes: list[SendOutcome] = field(default_factory=list)
    sent: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def send(self, sender: str, recipients: Any, data: bytes) -> SendOutcome:
        self.sent.append((sender, list(recipients), data))
        return self.outcomes.pop(0) if self.outcomes else Delivered({})

    async def close(self) -> None:
        return None


@dataclass
class MessagingHarness:
    harness: ServiceHarness
    transport: FakeTransport

    @property
    def client(self) -> Any:
        return self.harness.client

    @property
    def messaging(self) -> Messaging:
        messaging: Messaging = self.harness.runtime.app.state.messaging
        return messaging

    @property
    def sender(self) -> Sender:
        return Sender(self.messaging, self.transport)  # type: ignore[arg-type]

    async def deliver(self, request: MessageRequested, event_id: str | None = None) -> None:
        await self.harness.deliver(request, administration_id=request.administration_id,
                                   event_id=event_id)  # fmt: skip

    async def messages(self) -> list[Any]:
        from settle_messaging.adapters import tables

        async with self.messaging.sessions() as session:
            return list(
                await session.execute(
                    sa.select(tables.messages).order_by(tables.messages.c.created_at)
                )
            )

    async def events(self) -> list[tuple[str, dict[str, Any]]]:
        """(event type, payload) of every event staged in the outbox, in order."""
        import json

        from settle_shared.db import outbox_table

        table = outbox_table(self.harness.runtime.spec.metadata)
        async with self.messaging.sessions() as session:
            rows = await session.execute(
                sa.select(table.c.event_type, table.c.payload).order_by(table.c.seq)
            )
            return [(kind, json.loads(payload)) for kind, payload in rows]

    async def event_types(self) -> list[str]:
        return [kind for kind, _ in await self.events()]


@pytest.fixture
async def service(sqlite_database: str) -> AsyncIterator[MessagingHarness]:
    async with running_service(
        SERVICE,
        sqlite_database,
        inbound_smtp_port=0,
        rate_limit_per_minute=0,
        mail_domain="mail.settle.example",
        portal_base_url="https://settle.example",
    ) as harness:
        await harness.administration(ADM)  # as the gateway announces it
        yield MessagingHarness(harness, FakeTransport())
