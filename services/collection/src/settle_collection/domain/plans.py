"""A case in a payment plan: dunning owns the plan, collection owns the case.

While a plan covering a case runs (requested, active, expired: until a person ends it or it
completes), the case is paused with the reason "payment plan active": no step, no letter, no
handoff; a person's resume, step, forward or close is refused until the plan ends. The
instalments paid toward the case are allocated like any payment (costs, then interest, then
principal: art. 6:44 BW), and a case whose balance reaches zero closes as paid.

The plan covers the case's balance on the day it starts. Statutory interest (art. 6:119 and
6:119a BW) is owed from the day of default until payment; the plan is a concession on its
condition: when the plan is kept (completed), the interest of the days it ran is not claimed,
so the instalments pay the case off exactly. When a plan is ended unpaid (or a debtor's
proposal rejected), the concession lapses and the interest of those days is owed after all:
the balance is replayed without the pause (domain/balances.py). Either way the case resumes
from where it stands: its step counts its days again from the day the plan ended, so nothing
that would have fallen due during the plan is fired at once.
"""

from __future__ import annotations

from datetime import date

from settle_collection.domain.cases import Case, Entry, EntryKind

PLAN_PAUSE_REASON = "payment plan active"
# How a plan ended, as the case's entry records it (`Entry.detail`).
KEPT = "kept"
NOT_KEPT = "not kept"
# A case a person had paused before the plan (`Entry.detail` of its start): it stays paused.
PAUSED_BEFORE = "paused before"


def hold_for_plan(case: Case, plan_id: str, today: date) -> Case:
    """The case paused by the plan `plan_id` (nothing changes for a case already held by it,
    or one that is not open: a closed case has nothing left to pause)."""
    if not case.is_open or case.plan_id == plan_id:
        return case
    paused_before = case.paused and (case.plan_id is None or _paused_before(case, case.plan_id))
    if case.plan_id is not None:
        # Another plan's end not seen yet (plans' events are keyed by plan): a plan over a
        # still open case ended unkept, or dunning would not have let a new one cover it.
        case = case.with_entry(
            Entry(EntryKind.PLAN_ENDED, today, reference=case.plan_id, detail=NOT_KEPT)
        )
    return case.with_entry(
        Entry(
            EntryKind.PLAN_STARTED,
            today,
            reason=PLAN_PAUSE_REASON,
            reference=plan_id,
            detail=PAUSED_BEFORE if paused_before else None,
        ),
        paused=True,
        plan_id=plan_id,
    )


def release_from_plan(case: Case, plan_id: str, today: date, *, kept: bool) -> Case:
    """The plan `plan_id` no longer holds the case: `kept` when it completed (the interest of
    its days stays unclaimed), not kept when a person ended it or rejected the proposal. An
    open case resumes: its step counts its days again from `today`; one a person had paused
    before the plan stays paused (their resume plans it again)."""
    if case.plan_id != plan_id:
        return case
    entry = Entry(EntryKind.PLAN_ENDED, today, reference=plan_id, detail=KEPT if kept else NOT_KEPT)
    if not case.is_open or _paused_before(case, plan_id):
        return case.with_entry(entry, plan_id=None)
    return case.with_entry(entry, plan_id=None, paused=False, step_on=today)


def _paused_before(case: Case, plan_id: str) -> bool:
    """Whether a person had paused the case when the plan `plan_id` started."""
    return any(
        e.kind is EntryKind.PLAN_STARTED and e.reference == plan_id and e.detail == PAUSED_BEFORE
        for e in case.entries
    )


def interest_pauses(case: Case) -> list[tuple[date, date | None]]:
    """The periods in which the case's interest does not run: from each plan's start to its
    end when it was kept, or open-ended while it runs. A plan that was not kept pauses
    nothing: its days bear interest as if there had been no plan."""
    pauses: list[tuple[date, date | None]] = []
    started: dict[str, date] = {}
    for entry in case.entries:
        if entry.kind is EntryKind.PLAN_STARTED and entry.reference is not None:
            started[entry.reference] = entry.on
        elif entry.kind is EntryKind.PLAN_ENDED and entry.reference in started:
            begin = started.pop(entry.reference)
            if entry.detail == KEPT:
                pauses.append((begin, entry.on))
    pauses.extend((begin, None) for begin in started.values())
    return sorted(pauses, key=lambda p: p[0])
