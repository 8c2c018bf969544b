"""The events of a case, built from the case and its balance after the change they describe,
and staged in the outbox in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from settle_collection.domain.balances import Balance
from settle_collection.domain.cases import Case
from settle_shared.events import collection as events
from settle_shared.events.base import Event


def balance_of(balance: Balance) -> events.CaseBalance:
    """The balance as every case event carries it."""
    return events.CaseBalance(
        principal=balance.principal_open,
        costs=balance.costs_open,
        interest=balance.interest_open,
        total=balance.total,
        currency=balance.currency,
        as_of=balance.as_of,
    )


@dataclass
class CaseNews:
    """What happened to one case in a use case, to be announced once the case is final:
    every event carries where the case stands after the whole change."""

    happened: list[tuple[type[events.CaseEvent], dict[str, Any]]] = field(default_factory=list)
    others: list[Event] = field(default_factory=list)

    def add(self, event: type[events.CaseEvent], /, **fields: Any) -> None:
        """Announce an event of the case (its own fields; the summary is added later)."""
        self.happened.append((event, fields))

    def also(self, event: Event) -> None:
        """Announce an event of another topic (a message request, a handoff)."""
        self.others.append(event)

    def events(self, case: Case, balance: Balance, on: date) -> list[Event]:
        """The events, each with the case's summary."""
        summary = {
            "administration_id": case.administration_id,
            "case_id": case.case_id,
            "debtor_id": case.debtor_id,
            "invoice_ids": case.invoice_ids,
            "status": case.status.value,
            "step": case.step.value,
            "paused": case.paused,
            "payment_plan_id": case.plan_id,
            "balance": balance_of(balance),
            "on": on,
        }
        built: list[Event] = [kind(**summary, **fields) for kind, fields in self.happened]
        return [*built, *self.others]
