"""What the use cases need from the edge, as protocols: one repository per aggregate, all of
one transaction together in `Repositories`. The SQL adapters (adapters/) and the tests'
in-memory fakes implement them."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.domain import (
    Administration,
    AdministrationPause,
    AttentionChange,
    AttentionReason,
    AttentionSubject,
    CreditNote,
    Debtor,
    DebtorPause,
    DebtorReminded,
    DunningState,
    ExecutedStep,
    Flow,
    StepExecuted,
)
from settle_dunning.domain.attention import AttentionItem
from settle_dunning.domain.delivery import FailedStep
from settle_dunning.domain.mailbox import Mailbox, ReplyMark
from settle_dunning.domain.online_payments import HoldEnd, PaymentHold
from settle_dunning.domain.plan_offers import PlanOffer
from settle_dunning.domain.plans import PaymentPlan, PlanStatus


class Administrations(Protocol):
    async def get(self, administration_id: str, *, lock: bool = False) -> Administration | None: ...
    async def all(self) -> list[Administration]: ...
    async def create(self, administration_id: str) -> bool: ...
    async def set_pause(
        self, administration_id: str, pause: AdministrationPause, on: date | None
    ) -> None: ...
    async def set_last_run_date(self, administration_id: str, business_date: date) -> None: ...


class Flows(Protocol):
    async def all(self, administration_id: str) -> list[Flow]: ...
    async def get(self, administration_id: str, flow_id: str) -> Flow | None: ...
    async def add(
        self, administration_id: str, flow: Flow, position: int | None = None
    ) -> None: ...
    async def replace(self, administration_id: str, flow: Flow) -> None: ...
    async def delete(self, administration_id: str, flow_id: str) -> None: ...


class Debtors(Protocol):
    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None: ...
    async def many(self, administration_id: str, ids: Iterable[str]) -> dict[str, Debtor]: ...
    async def version(self, administration_id: str, debtor_id: str) -> int | None: ...
    async def versions(self, administration_id: str, ids: Iterable[str]) -> dict[str, int]: ...
    async def save_many(
        self,
        administration_id: str,
        saved: Sequence[tuple[Debtor, int]],
        *,
        known: Container[str] = (),
    ) -> None: ...
    async def set_pause(
        self, administration_id: str, debtor_id: str, pause: DebtorPause
    ) -> None: ...
    async def set_last_reminded(
        self, administration_id: str, reminded: Sequence[DebtorReminded]
    ) -> None: ...
    async def credit_note(
        self, administration_id: str, credit_note_id: str
    ) -> CreditNote | None: ...
    async def save_credit_note(self, administration_id: str, note: CreditNote) -> None: ...
    async def open_credit_notes(
        self, administration_id: str, debtor_ids: Iterable[str]
    ) -> dict[str, list[CreditNote]]: ...
    async def set_chosen_language(
        self, administration_id: str, debtor_id: str, language: str | None
    ) -> None: ...


class DunningStates(Protocol):
    async def get(
        self, administration_id: str, invoice_id: str, *, lock: bool = True
    ) -> DunningState | None: ...
    async def many(
        self, administration_id: str, invoice_ids: Sequence[str], *, due_by: date | None = None
    ) -> list[DunningState]: ...
    async def debtor_open_amount(
        self, administration_id: str, debtor_id: str, currency: str
    ) -> Decimal: ...
    async def due_keys(
        self, administration_id: str, business_date: date
    ) -> list[tuple[str, str]]: ...
    async def changed_since_run(self, administration_id: str, business_date: date) -> bool: ...
    async def page(
        self,
        administration_id: str,
        *,
        after: str | None,
        limit: int,
        debtor_id: str | None = None,
        flow_id: str | None = None,
        planned_before: date | None = None,
    ) -> list[DunningState]: ...
    async def of_debtors(
        self,
        administration_id: str,
        debtor_ids: Sequence[str],
        *,
        all_of: Sequence[str] | None = None,
    ) -> list[DunningState]: ...
    async def any_open_on_flow(self, administration_id: str, flow_id: str) -> bool: ...
    async def add(self, administration_id: str, states: Sequence[DunningState]) -> None: ...
    async def update(self, administration_id: str, states: Sequence[DunningState]) -> None: ...
    async def add_executed(
        self, administration_id: str, executed: Sequence[StepExecuted]
    ) -> None: ...
    async def executed(self, administration_id: str, invoice_id: str) -> list[ExecutedStep]: ...
    async def record_failure(self, administration_id: str, failed: FailedStep) -> None: ...


class AttentionItems(Protocol):
    async def apply(
        self, administration_id: str, changes: Sequence[AttentionChange]
    ) -> list[AttentionChange]: ...
    async def page(
        self, administration_id: str, *, open_only: bool, after: int | None, limit: int
    ) -> list[AttentionItem]: ...
    async def open_item(
        self,
        administration_id: str,
        subject: AttentionSubject,
        subject_id: str,
        reason: AttentionReason,
    ) -> AttentionItem | None: ...


class Mailboxes(Protocol):
    async def get(self, administration_id: str, debtor_id: str) -> Mailbox: ...
    async def save(self, administration_id: str, debtor_id: str, box: Mailbox) -> None: ...
    async def reply_mark(self, administration_id: str, message_id: str) -> ReplyMark | None: ...
    async def save_reply_mark(
        self, administration_id: str, message_id: str, debtor_id: str, mark: ReplyMark
    ) -> None: ...
    async def unread_replies(self, administration_id: str, debtor_id: str) -> int: ...


class DailyRuns(Protocol):
    async def start(self, administration_id: str, business_date: date) -> None: ...
    async def finish(
        self, administration_id: str, business_date: date, steps: int, messages: int
    ) -> None: ...


class PaymentHolds(Protocol):
    async def active(self, administration_id: str, invoice_id: str) -> list[PaymentHold]: ...
    async def active_of(
        self, administration_id: str, invoice_ids: Sequence[str]
    ) -> dict[str, list[PaymentHold]]: ...
    async def known(self, administration_id: str, invoice_id: str, payment_id: str) -> bool: ...
    async def add(self, administration_id: str, hold: PaymentHold) -> None: ...
    async def end(
        self, administration_id: str, invoice_id: str, payment_id: str, on: date, why: HoldEnd
    ) -> None: ...
    async def due(self, business_date: date, limit: int) -> list[tuple[str, PaymentHold]]: ...


class PaymentPlans(Protocol):
    async def get(
        self, administration_id: str, plan_id: str, *, lock: bool = False
    ) -> PaymentPlan | None: ...
    async def add(
        self, administration_id: str, plan: PaymentPlan, next_action_on: date | None
    ) -> None: ...
    async def save(
        self, administration_id: str, plan: PaymentPlan, next_action_on: date | None
    ) -> None: ...
    async def due(
        self, administration_id: str, business_date: date, limit: int
    ) -> list[PaymentPlan]: ...
    async def save_many(
        self, administration_id: str, plans: Sequence[tuple[PaymentPlan, date | None]]
    ) -> None: ...
    async def search(
        self,
        administration_id: str,
        *,
        debtor_id: str | None = None,
        invoice_id: str | None = None,
        statuses: Sequence[PlanStatus] = (),
        limit: int = 100,
    ) -> list[PaymentPlan]: ...
    async def holding_cases(
        self, administration_id: str, case_ids: Sequence[str]
    ) -> dict[str, str]: ...


class CollectionHolds(Protocol):
    async def case_of(self, administration_id: str, invoice_id: str) -> str | None: ...
    async def hold(
        self, administration_id: str, invoice_id: str, case_id: str, on: date
    ) -> None: ...
    async def release(self, administration_id: str, invoice_id: str) -> None: ...


class PlanOffers(Protocol):
    async def all(self, administration_id: str) -> tuple[PlanOffer, ...]: ...
    async def replace(self, administration_id: str, offers: Sequence[PlanOffer]) -> None: ...


class Repositories(Protocol):
    """The repositories of one transaction."""

    @property
    def administrations(self) -> Administrations: ...
    @property
    def flows(self) -> Flows: ...
    @property
    def debtors(self) -> Debtors: ...
    @property
    def states(self) -> DunningStates: ...
    @property
    def attention(self) -> AttentionItems: ...
    @property
    def mailboxes(self) -> Mailboxes: ...
    @property
    def daily_runs(self) -> DailyRuns: ...
    @property
    def payment_holds(self) -> PaymentHolds: ...
    @property
    def payment_plans(self) -> PaymentPlans: ...
    def collection_holds(self) -> CollectionHolds: ...
    @property
    def plan_offers(self) -> PlanOffers: ...
    async def refresh_planner_statistics(self) -> None:
        """Let PostgreSQL's planner learn how big a first import made the intake's tables:
        planned as empty, a batch's lookups by id would read the whole administration."""


# The repositories of a session's transaction, stamping what they write with a time.
RepositoryFactory = Callable[[AsyncSession, datetime], Repositories]
