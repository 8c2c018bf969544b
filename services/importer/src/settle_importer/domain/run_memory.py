"""A batch of the run's memory: what the run met (document numbers, debtors' standings) and
is to be written, as one plain value the use cases collect and the run-memory repository
writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from settle_importer.domain.model import DocumentKey
from settle_importer.domain.reconciliation import DebtorSoFar


@dataclass(slots=True)
class MemoryBatch:
    """Entries to write: new numbers, standings of debtors new to the database and of
    debtors it has a row for."""

    positions: dict[DocumentKey, str] = field(default_factory=dict)
    new_debtors: dict[str, DebtorSoFar] = field(default_factory=dict)
    known_debtors: dict[str, DebtorSoFar] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.positions) + len(self.new_debtors) + len(self.known_debtors)

    def standing(self, number: str) -> DebtorSoFar | None:
        return self.known_debtors.get(number) or self.new_debtors.get(number)
