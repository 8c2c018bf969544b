"""A connection: how and when an administration's bookkeeping reaches Settle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal

from settle_importer.domain.ignore import IgnoreRules
from settle_importer.domain.reconciliation import DEFAULT_PAYMENT_TERM_DAYS
from settle_importer.domain.runs import RunOptions

Schedule = Literal["daily", "on_demand", "on_delivery"]


@dataclass(frozen=True)
class Connection:
    """One way bookkeeping reaches Settle for an administration."""

    administration_id: str
    id: str
    name: str
    source_kind: str
    config: dict[str, Any]
    schedule: Schedule
    schedule_time: time | None = None
    time_zone: str | None = None
    complete_list: bool = False
    ignore_invoice_numbers: list[str] = field(default_factory=list)
    ignore_debtor_numbers: list[str] = field(default_factory=list)
    ignore_payment_conditions: list[str] = field(default_factory=list)
    default_payment_term_days: int = DEFAULT_PAYMENT_TERM_DAYS
    # When the last successful run of this connection began (business clock); kept by the
    # importer, not set by the user.
    last_success_started_at: datetime | None = None

    def changed_since(self) -> datetime | None:
        """What an incremental source (Moneybird) is asked for: the records changed since the
        last successful run began. ``None``, read everything, before the first one, and
        always for a complete list: what it lacks is settled, so it must name every open
        item each time."""
        if self.complete_list:
            return None
        return self.last_success_started_at

    def options(self) -> RunOptions:
        """How runs of this connection read their records."""
        return RunOptions(
            complete=self.complete_list,
            ignore=IgnoreRules.parse(
                invoice_numbers=self.ignore_invoice_numbers,
                debtor_numbers=self.ignore_debtor_numbers,
                payment_conditions=self.ignore_payment_conditions,
            ),
            default_payment_term_days=self.default_payment_term_days,
        )
