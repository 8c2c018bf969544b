"""What the use cases need from the edge, as protocols: a repository per aggregate and the
outbox, all of one transaction together in `Store`; the mail server and the sources of an own
partner's dossier (the messages' texts, the invoices' PDFs). adapters/ implements them; the
unit tests implement them in memory."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from settle_collection.domain.cases import Case, Status, Step
from settle_collection.domain.parties import (
    AdministrationSettings,
    CreditNote,
    Debtor,
    Invoice,
    Message,
)
from settle_law.interest import RateTable
from settle_shared.events.base import Event


@dataclass(frozen=True)
class Handoff:
    """A case handed to its partner: the document as sent, and for an own partner, the
    dossier's email and how sending it went."""

    handoff_id: str
    administration_id: str
    case_id: str
    partner_id: str
    document: dict[str, Any]
    created_at: datetime
    email_to: str | None = None
    emailed_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None


class SettingsRepository(Protocol):
    async def get(self, administration_id: str) -> AdministrationSettings:
        """The administration's settings (the defaults until a user saved some)."""

    async def save(self, administration_id: str, settings: AdministrationSettings) -> None: ...


class Debtors(Protocol):
    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None: ...

    async def save(self, administration_id: str, debtor: Debtor) -> None: ...


class Invoices(Protocol):
    async def get(self, administration_id: str, invoice_id: str) -> Invoice | None: ...

    async def many(self, administration_id: str, invoice_ids: Sequence[str]) -> dict[str, Invoice]:
        """The invoices known of these ids."""

    async def save(self, administration_id: str, invoice: Invoice) -> None: ...

    async def hold(
        self, administration_id: str, invoice_ids: Sequence[str], case_id: str | None
    ) -> None:
        """Mark the invoices as held by a case (None: by no case)."""


class CreditNotes(Protocol):
    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[CreditNote]: ...

    async def save(self, administration_id: str, note: CreditNote) -> None: ...


class Messages(Protocol):
    async def save(self, administration_id: str, message: Message) -> None:
        """Keep a message as messaging last reported it."""

    async def get(self, message_id: str) -> Message | None: ...

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[Message]:
        """Every message to or from the debtor, oldest first."""


class Cases(Protocol):
    async def get(self, administration_id: str, case_id: str, *, lock: bool = False) -> Case | None:
        """A case of the administration; `lock` holds it until the transaction ends."""

    async def find(self, case_id: str) -> Case | None:
        """A case of any administration (a partner's report names its own)."""

    async def of_debtor(self, administration_id: str, debtor_id: str) -> list[Case]:
        """The debtor's proposed and open cases."""

    async def add(self, case: Case) -> None: ...

    async def save(self, case: Case) -> None: ...

    async def scheduled(self, started_by: date, limit: int, after: str | None) -> list[Case]:
        """Open, unpaused cases at an own step that began on or before `started_by`, by id
        after `after`: the ones the daily run looks at."""

    async def search(
        self,
        administration_id: str,
        *,
        status: Status | None,
        step: Step | None,
        debtor_id: str | None,
        after: str | None,
        limit: int,
    ) -> list[Case]:
        """Cases by id, after `after`."""


class Rates(Protocol):
    async def table(self) -> RateTable:
        """The statutory rate table as an operator left it."""

    async def replace(self, table: RateTable) -> None: ...


class Handoffs(Protocol):
    async def add(self, handoff: Handoff) -> None: ...

    async def get(self, handoff_id: str) -> Handoff | None: ...

    async def of_case(self, administration_id: str, case_id: str) -> list[Handoff]: ...

    async def emails_due(self, now: datetime, limit: int) -> list[Handoff]:
        """Dossiers to email: not sent yet, and due for a (next) attempt."""

    async def emailed(self, handoff_id: str, at: datetime) -> None: ...

    async def email_failed(
        self, handoff_id: str, error: str, next_attempt_at: datetime
    ) -> None: ...


class Store(Protocol):
    """The repositories and the outbox of one transaction."""

    @property
    def settings(self) -> SettingsRepository: ...

    @property
    def debtors(self) -> Debtors: ...

    @property
    def invoices(self) -> Invoices: ...

    @property
    def credit_notes(self) -> CreditNotes: ...

    @property
    def messages(self) -> Messages: ...

    @property
    def cases(self) -> Cases: ...

    @property
    def rates(self) -> Rates: ...

    @property
    def handoffs(self) -> Handoffs: ...

    async def stage(
        self,
        administration_id: str,
        events: Sequence[Event],
        *,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        """Put events in the outbox, in this transaction."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class OutgoingMail:
    """An email with attachments; `message_id` makes a retry recognisable as the same mail."""

    message_id: str
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...]


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Hand the mail to the mail server; raises on failure (the caller tries again)."""


@dataclass(frozen=True)
class MessageText:
    """A message as the debtor saw it (its text), for the dossier."""

    message_id: str
    subject: str
    body: str
    channel: str
    direction: str
    at: datetime


class DossierSources(Protocol):
    async def message_texts(self, administration_id: str, debtor_id: str) -> list[MessageText]:
        """The texts of the debtor's messages (messaging's), oldest first; raises when they
        cannot be had now."""

    async def invoice_pdf(self, url: str) -> bytes | None:
        """An invoice's PDF from its link, or None when it cannot be fetched."""
