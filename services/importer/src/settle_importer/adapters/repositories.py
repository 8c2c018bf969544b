"""The repositories of one transaction, one per aggregate, as the use cases get them (the
ports' ``Repositories``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.adapters.administrations import AdministrationRepository
from settle_importer.adapters.connections import ConnectionRepository
from settle_importer.adapters.file_leases import FileLeaseRepository
from settle_importer.adapters.repository import SnapshotRepository
from settle_importer.adapters.run_memory import RunMemoryRepository, forget_earlier_runs
from settle_importer.adapters.runs import RunRepository, administrations_left_behind
from settle_importer.domain.runs import RunOwner


class SqlRepositories:
    """Every repository over one session; ``postgres`` when the database is PostgreSQL."""

    def __init__(self, session: AsyncSession, *, postgres: bool) -> None:
        self.session = session
        self.postgres = postgres

    def administrations(self) -> AdministrationRepository:
        return AdministrationRepository(self.session, postgres=self.postgres)

    def runs(self, administration_id: str) -> RunRepository:
        return RunRepository(self.session, administration_id)

    def snapshot(self, administration_id: str) -> SnapshotRepository:
        return SnapshotRepository(self.session, administration_id, postgres=self.postgres)

    def run_memory(self, administration_id: str, run_id: str) -> RunMemoryRepository:
        return RunMemoryRepository(self.session, administration_id, run_id, postgres=self.postgres)

    def file_leases(self, administration_id: str) -> FileLeaseRepository:
        return FileLeaseRepository(self.session, administration_id, postgres=self.postgres)

    def connections(self) -> ConnectionRepository:
        return ConnectionRepository(self.session)

    async def administrations_left_behind(self, owner: RunOwner) -> list[str]:
        return await administrations_left_behind(self.session, owner)

    async def forget_earlier_runs(self, administration_id: str) -> None:
        await forget_earlier_runs(self.session, administration_id)
