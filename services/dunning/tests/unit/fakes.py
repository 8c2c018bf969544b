"""In-memory stand-ins for dunning's ports, for use-case tests without a database.

They keep what the SQL repositories keep, in dicts, and apply attention changes through the
same domain function (`apply_attention`) as the SQL repository, so the rule cannot drift
between the two.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from settle_dunning.adapters.tables import metadata
from settle_dunning.application.context import DunningContext
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
from settle_dunning.domain.attention import AttentionItem, apply_attention
from settle_dunning.domain.delivery import FailedStep
from settle_dunning.domain.mailbox import Mailbox, ReplyMark
from settle_dunning.domain.online_payments import HoldEnd, PaymentHold
from settle_dunning.settings import DunningSettings
from settle_shared.clock import FixedClock
from settle_shared.envelope import Envelope
from settle_shared.events.base import Event
from settle_shared.outbox import Outbox

E = TypeVar("E", bound=Event)

# What the use cases get as their transaction's session: the fakes need none.
NO_SESSION: Any = None


class FakeAdministrations:
    def __init__(self) -> None:
        self.stored: dict[str, Administration] = {}

    async def get(self, administration_id: str, *, lock: bool = False) -> Administration | None:
        return self.stored.get(administration_id)

    async def all(self) -> list[Administration]:
        return list(self.stored.values())

    async def create(self, administration_id: str) -> bool:
        if administration_id in self.stored:
            return False
        self.stored[administration_id] = Administration(administration_id)
        return True

    async def set_pause(
        self, administration_id: str, pause: AdministrationPause, on: date | None
    ) -> None:
        stored = self.stored[administration_id]
        self.stored[administration_id] = replace(stored, pause=pause, paused_on=on)

    async def set_last_run_date(self, administration_id: str, business_date: date) -> None:
        stored = self.stored[administration_id]
        self.stored[administration_id] = replace(stored, last_run_date=business_date)


class FakeFlows:
    def __init__(self) -> None:
        self.stored: dict[str, list[Flow]] = {}

    async def all(self, administration_id: str) -> list[Flow]:
        return list(self.stored.get(administration_id, []))

    async def get(self, administration_id: str, flow_id: str) -> Flow | None:
        return next((f for f in await self.all(administration_id) if f.id == flow_id), None)

    async def add(self, administration_id: str, flow: Flow, position: int | None = None) -> None:
        flows = self.stored.setdefault(administration_id, [])
        flows.insert(len(flows) if position is None else position, flow)

    async def replace(self, administration_id: str, flow: Flow) -> None:
        flows = self.stored[administration_id]
        flows[[f.id for f in flows].index(flow.id)] = flow

    async def delete(self, administration_id: str, flow_id: str) -> None:
        self.stored[administration_id] = [
            f for f in self.stored[administration_id] if f.id != flow_id
        ]


class FakeDebtors:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], tuple[Debtor, int]] = {}
        self.credit_notes: dict[tuple[str, str], CreditNote] = {}

    async def get(self, administration_id: str, debtor_id: str) -> Debtor | None:
        return (await self.many(administration_id, [debtor_id])).get(debtor_id)

    async def many(self, administration_id: str, ids: Iterable[str]) -> dict[str, Debtor]:
        found = {}
        for debtor_id in ids:
            if (administration_id, debtor_id) in self.stored:
                debtor, _ = self.stored[administration_id, debtor_id]
                unmatched = any(
                    note.debtor_id == debtor_id and note.open_amount != 0
                    for (adm_id, _), note in self.credit_notes.items()
                    if adm_id == administration_id
                )
                found[debtor_id] = replace(debtor, has_unmatched_credit_note=unmatched)
        return found

    async def version(self, administration_id: str, debtor_id: str) -> int | None:
        stored = self.stored.get((administration_id, debtor_id))
        return stored[1] if stored else None

    async def save(self, administration_id: str, debtor: Debtor, version: int) -> None:
        previous = self.stored.get((administration_id, debtor.id))
        if previous is not None:
            kept = previous[0]
            debtor = replace(
                debtor,
                pause=kept.pause,
                last_reminded_on=kept.last_reminded_on,
                chosen_language=kept.chosen_language,
            )
        else:
            debtor = replace(debtor, pause=DebtorPause.ACTIVE, last_reminded_on=None)
        self.stored[administration_id, debtor.id] = (debtor, version)

    async def versions(self, administration_id: str, ids: Iterable[str]) -> dict[str, int]:
        return {
            i: self.stored[administration_id, i][1]
            for i in ids
            if (administration_id, i) in self.stored
        }

    async def save_many(
        self,
        administration_id: str,
        saved: Sequence[tuple[Debtor, int]],
        *,
        known: Container[str] = (),
    ) -> None:
        for debtor, version in saved:
            await self.save(administration_id, debtor, version)

    async def set_pause(self, administration_id: str, debtor_id: str, pause: DebtorPause) -> None:
        debtor, version = self.stored[administration_id, debtor_id]
        self.stored[administration_id, debtor_id] = (replace(debtor, pause=pause), version)

    async def set_last_reminded(
        self, administration_id: str, reminded: Sequence[DebtorReminded]
    ) -> None:
        for fact in reminded:
            debtor, version = self.stored[administration_id, fact.debtor_id]
            self.stored[administration_id, fact.debtor_id] = (
                replace(debtor, last_reminded_on=fact.on),
                version,
            )

    async def credit_note(self, administration_id: str, credit_note_id: str) -> CreditNote | None:
        return self.credit_notes.get((administration_id, credit_note_id))

    async def save_credit_note(self, administration_id: str, note: CreditNote) -> None:
        self.credit_notes[administration_id, note.id] = note

    async def open_credit_notes(
        self, administration_id: str, debtor_ids: Iterable[str]
    ) -> dict[str, list[CreditNote]]:
        wanted = set(debtor_ids)
        found: dict[str, list[CreditNote]] = {}
        for (adm_id, _), note in sorted(self.credit_notes.items()):
            if adm_id == administration_id and note.debtor_id in wanted and note.is_open:
                found.setdefault(note.debtor_id, []).append(note)
        return found

    async def set_chosen_language(
        self, administration_id: str, debtor_id: str, language: str | None
    ) -> None:
        debtor, version = self.stored[administration_id, debtor_id]
        self.stored[administration_id, debtor_id] = (
            replace(debtor, chosen_language=language),
            version,
        )


class FakeDunningStates:
    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], DunningState] = {}
        self.timeline: dict[tuple[str, str], list[ExecutedStep]] = {}

    def _of(self, administration_id: str) -> list[DunningState]:
        return [s for (a, _), s in sorted(self.stored.items()) if a == administration_id]

    async def get(
        self, administration_id: str, invoice_id: str, *, lock: bool = True
    ) -> DunningState | None:
        return self.stored.get((administration_id, invoice_id))

    async def debtor_open_amount(
        self, administration_id: str, debtor_id: str, currency: str
    ) -> Decimal:
        return sum(
            (
                s.invoice.open_amount
                for s in self._of(administration_id)
                if s.invoice.debtor_id == debtor_id
                and s.invoice.currency == currency
                and s.invoice.open_amount > 0
                and not s.settled
            ),
            Decimal("0.00"),
        )

    async def many(
        self, administration_id: str, invoice_ids: Sequence[str], *, due_by: date | None = None
    ) -> list[DunningState]:
        found = [
            self.stored[administration_id, i]
            for i in invoice_ids
            if (administration_id, i) in self.stored
        ]
        if due_by is not None:
            found = [
                s for s in found if s.next_step_date is not None and s.next_step_date <= due_by
            ]
        return found

    async def due_keys(self, administration_id: str, business_date: date) -> list[tuple[str, str]]:
        return [
            (s.invoice_id, s.invoice.debtor_id)
            for s in self._of(administration_id)
            if s.next_step_date is not None and s.next_step_date <= business_date
        ]

    async def page(
        self,
        administration_id: str,
        *,
        after: str | None,
        limit: int,
        debtor_id: str | None = None,
        flow_id: str | None = None,
        planned_before: date | None = None,
    ) -> list[DunningState]:
        found = [
            s
            for s in self._of(administration_id)
            if not s.settled
            and (debtor_id is None or s.invoice.debtor_id == debtor_id)
            and (flow_id is None or s.flow_id == flow_id)
            and (
                planned_before is None
                or (s.next_step_date is not None and s.next_step_date < planned_before)
            )
            and (after is None or s.invoice_id > after)
        ]
        return found[:limit]

    async def of_debtors(
        self,
        administration_id: str,
        debtor_ids: Sequence[str],
        *,
        all_of: Sequence[str] | None = None,
    ) -> list[DunningState]:
        wanted = set(debtor_ids)
        return [
            s
            for s in self._of(administration_id)
            if s.invoice.debtor_id in wanted
            and not s.settled
            and (all_of is None or s.blocked_by is not None or s.invoice.debtor_id in all_of)
        ]

    async def any_open_on_flow(self, administration_id: str, flow_id: str) -> bool:
        return any(s.flow_id == flow_id and not s.settled for s in self._of(administration_id))

    async def add(self, administration_id: str, states: Sequence[DunningState]) -> None:
        for state in states:
            assert (administration_id, state.invoice_id) not in self.stored
            self.stored[administration_id, state.invoice_id] = state

    async def update(self, administration_id: str, states: Sequence[DunningState]) -> None:
        for state in states:
            self.stored[administration_id, state.invoice_id] = state

    async def add_executed(self, administration_id: str, executed: Sequence[StepExecuted]) -> None:
        for fact in executed:
            self.timeline.setdefault((administration_id, fact.invoice_id), []).append(fact.step)

    async def executed(self, administration_id: str, invoice_id: str) -> list[ExecutedStep]:
        return list(self.timeline.get((administration_id, invoice_id), []))

    async def record_failure(self, administration_id: str, failed: FailedStep) -> None:
        timeline = self.timeline.get((administration_id, failed.invoice_id), [])
        for i, step in enumerate(timeline):
            if (step.step_id, step.cycle, step.message_request_id) == (
                failed.step.step_id,
                failed.step.cycle,
                failed.step.message_request_id,
            ):
                timeline[i] = replace(step, failure=failed.step.failure)


class FakeAttentionItems:
    """Attention items in a list; raising, merging and resolving is the domain's rule."""

    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self.items: list[tuple[str, AttentionItem]] = []

    def open(self, administration_id: str) -> list[AttentionItem]:
        """The administration's open items, oldest first."""
        return [i for a, i in self.items if a == administration_id and i.resolved_at is None]

    async def apply(
        self, administration_id: str, changes: Sequence[AttentionChange]
    ) -> list[AttentionChange]:
        update = apply_attention(self.open(administration_id), changes, self.clock.now())
        by_id = {item.id: item for item in (*update.merged, *update.resolved)}
        self.items = [
            (a, by_id.get(i.id, i) if a == administration_id else i) for a, i in self.items
        ]
        for item in update.raised:
            self.items.append((administration_id, replace(item, id=len(self.items) + 1)))
        return list(update.effective)

    async def open_item(
        self,
        administration_id: str,
        subject: AttentionSubject,
        subject_id: str,
        reason: AttentionReason,
    ) -> AttentionItem | None:
        return next(
            (i for i in self.open(administration_id) if i.key == (subject, subject_id, reason)),
            None,
        )

    async def page(
        self, administration_id: str, *, open_only: bool, after: int | None, limit: int
    ) -> list[AttentionItem]:
        found = [
            i
            for a, i in reversed(self.items)
            if a == administration_id
            and (not open_only or i.resolved_at is None)
            and (after is None or (i.id or 0) < after)
        ]
        return found[:limit]


class FakeMailboxes:
    def __init__(self) -> None:
        self.boxes: dict[tuple[str, str], Mailbox] = {}
        self.marks: dict[tuple[str, str], tuple[str, ReplyMark]] = {}

    async def get(self, administration_id: str, debtor_id: str) -> Mailbox:
        return self.boxes.get((administration_id, debtor_id), Mailbox())

    async def save(self, administration_id: str, debtor_id: str, box: Mailbox) -> None:
        self.boxes[administration_id, debtor_id] = box

    async def reply_mark(self, administration_id: str, message_id: str) -> ReplyMark | None:
        stored = self.marks.get((administration_id, message_id))
        return stored[1] if stored else None

    async def save_reply_mark(
        self, administration_id: str, message_id: str, debtor_id: str, mark: ReplyMark
    ) -> None:
        self.marks[administration_id, message_id] = (debtor_id, mark)

    async def unread_replies(self, administration_id: str, debtor_id: str) -> int:
        return sum(
            1
            for (a, _), (d, mark) in self.marks.items()
            if a == administration_id and d == debtor_id and mark.unread
        )


class FakeDailyRuns:
    def __init__(self) -> None:
        self.runs: dict[tuple[str, date], tuple[int, int]] = {}

    async def start(self, administration_id: str, business_date: date) -> None:
        self.runs.setdefault((administration_id, business_date), (0, 0))

    async def finish(
        self, administration_id: str, business_date: date, steps: int, messages: int
    ) -> None:
        done_steps, done_messages = self.runs[administration_id, business_date]
        self.runs[administration_id, business_date] = (done_steps + steps, done_messages + messages)


class FakePaymentHolds:
    def __init__(self) -> None:
        # (administration, invoice, payment) -> (hold, ended_on, ended_by)
        self.holds: dict[tuple[str, str, str], tuple[PaymentHold, date | None, str | None]] = {}

    async def active(self, administration_id: str, invoice_id: str) -> list[PaymentHold]:
        return [
            hold
            for (adm, invoice, _), (hold, ended_on, _) in self.holds.items()
            if adm == administration_id and invoice == invoice_id and ended_on is None
        ]

    async def active_of(
        self, administration_id: str, invoice_ids: Sequence[str]
    ) -> dict[str, list[PaymentHold]]:
        found = {i: await self.active(administration_id, i) for i in invoice_ids}
        return {invoice_id: holds for invoice_id, holds in found.items() if holds}

    async def known(self, administration_id: str, invoice_id: str, payment_id: str) -> bool:
        return (administration_id, invoice_id, payment_id) in self.holds

    async def add(self, administration_id: str, hold: PaymentHold) -> None:
        self.holds[administration_id, hold.invoice_id, hold.payment_id] = (hold, None, None)

    async def end(
        self, administration_id: str, invoice_id: str, payment_id: str, on: date, why: HoldEnd
    ) -> None:
        key = (administration_id, invoice_id, payment_id)
        hold, ended_on, _ = self.holds[key]
        if ended_on is None:
            self.holds[key] = (hold, on, why.value)

    async def due(self, business_date: date, limit: int) -> list[tuple[str, PaymentHold]]:
        due = [
            (adm, hold)
            for (adm, _, _), (hold, ended_on, _) in self.holds.items()
            if ended_on is None and hold.until <= business_date
        ]
        return sorted(due, key=lambda item: (item[1].until, item[0]))[:limit]


class FakeCollectionHolds:
    def __init__(self) -> None:
        self.holds: dict[tuple[str, str], str] = {}  # (administration, invoice) -> case

    async def case_of(self, administration_id: str, invoice_id: str) -> str | None:
        return self.holds.get((administration_id, invoice_id))

    async def hold(self, administration_id: str, invoice_id: str, case_id: str, on: date) -> None:
        self.holds[administration_id, invoice_id] = case_id

    async def release(self, administration_id: str, invoice_id: str) -> None:
        self.holds.pop((administration_id, invoice_id), None)


class FakeRepositories:
    """Every repository in memory; one set stands for the whole database of a test."""

    def __init__(self, clock: FixedClock) -> None:
        self.administrations = FakeAdministrations()
        self.flows = FakeFlows()
        self.debtors = FakeDebtors()
        self.states = FakeDunningStates()
        self.attention = FakeAttentionItems(clock)
        self.mailboxes = FakeMailboxes()
        self.daily_runs = FakeDailyRuns()
        self.payment_holds = FakePaymentHolds()
        self.collection_holds = FakeCollectionHolds()

    async def refresh_planner_statistics(self) -> None:
        pass  # nothing to plan in memory


class FakeOutbox(Outbox):
    """Keeps the staged events' payloads in a list instead of a table."""

    def __init__(self, clock: FixedClock) -> None:
        super().__init__(metadata, source="/settle/dunning", clock=clock)
        self.payloads: list[Event] = []

    def envelope(self, payload: Event, **headers: Any) -> Envelope:
        self.payloads.append(payload)
        return super().envelope(payload, **headers)

    async def add_envelopes(self, session: Any, envelopes: Sequence[tuple[str, Envelope]]) -> None:
        pass

    def events(self, kind: type[E]) -> list[E]:
        """The staged events of one kind, in order."""
        return [e for e in self.payloads if isinstance(e, kind)]


@dataclass
class InMemoryDunning:
    """A use-case context over fakes, with the business clock at `now`."""

    now: datetime = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
    clock: FixedClock = field(init=False)
    repositories: FakeRepositories = field(init=False)
    outbox: FakeOutbox = field(init=False)
    context: DunningContext = field(init=False)

    def __post_init__(self) -> None:
        self.clock = FixedClock(self.now)
        self.repositories = FakeRepositories(self.clock)
        self.outbox = FakeOutbox(self.clock)
        self.context = DunningContext(
            sessions=NO_SESSION,
            outbox=self.outbox,
            clock=self.clock,
            settings=DunningSettings(),
            repository_factory=lambda _session, _now: self.repositories,
        )
