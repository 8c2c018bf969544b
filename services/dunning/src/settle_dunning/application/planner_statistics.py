"""PostgreSQL's planner statistics of the tables the intake fills, refreshed as they grow
(docs/dunning.md, "Taking in the importer's facts").

A first import fills `dunning_states` and `debtors` long before autovacuum comes round, and
PostgreSQL plans a table without statistics, or an administration it has no statistics of, as
empty: each batch's lookups by id then read every state of the administration, and the intake
slows down as it goes. The importer does the same for its snapshot."""

from __future__ import annotations

from settle_dunning.application.ports import Repositories


class PlannerStatistics:
    """Counts the states this process added per administration and refreshes the statistics
    once an administration got `first` of them, then 4x as many, and so on."""

    def __init__(self) -> None:
        self._added: dict[str, tuple[int, int]] = {}  # administration: (added, next mark)

    async def refresh_when_grown(
        self, repos: Repositories, administration_id: str, added: int, *, first: int
    ) -> None:
        """Note `added` new states; refresh the statistics in the transaction when due."""
        count, mark = self._added.get(administration_id, (0, first))
        count += added
        due = count >= mark
        self._added[administration_id] = (count, mark * 4 if due else mark)
        if due:
            await repos.states.refresh_statistics()
            await repos.debtors.refresh_statistics()
