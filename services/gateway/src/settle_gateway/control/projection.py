"""The pauses' part of the read model: rm_pauses, as dunning announces them, and as a pause
or resume command accepted by dunning leaves them until its event comes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.adapters.tables import BEFORE_ANY_EVENT, rm_pauses
from settle_shared.db import aware
from settle_shared.events import dunning


def pause_key(administration_id: str, debtor_id: str | None) -> dict[str, str]:
    """The rm_pauses row of an administration (no debtor) or of one of its debtors."""
    return {
        "administration_id": administration_id,
        "subject_type": "debtor" if debtor_id else "administration",
        "subject_id": debtor_id or administration_id,
    }


async def pause_changed(
    session: AsyncSession,
    fact: dunning.AdministrationPauseChanged | dunning.DebtorPauseChanged,
    at: datetime,
) -> None:
    """Dunning announced the pause of an administration or a debtor."""
    debtor_id = fact.debtor_id if isinstance(fact, dunning.DebtorPauseChanged) else None
    await record_pause(session, pause_key(fact.administration_id, debtor_id), fact.mode, at)


async def record_pause(session: AsyncSession, key: dict[str, str], mode: str, at: datetime) -> None:
    """Set a pause unless what is stored is newer."""
    where = [rm_pauses.c[name] == value for name, value in key.items()]
    stored = (await session.execute(sa.select(rm_pauses.c.at).where(*where))).first()
    if stored is None:
        await session.execute(sa.insert(rm_pauses).values(**key, mode=mode, at=at))
        return
    stored_at = aware(stored.at)
    assert stored_at is not None
    if at >= stored_at:
        await session.execute(sa.update(rm_pauses).where(*where).values(mode=mode, at=at))


async def record_pause_locally(session: AsyncSession, key: dict[str, str], mode: str) -> None:
    """After dunning accepted a pause or resume, show it at once. The row keeps the time of
    the newest event applied, so the event of this very command still applies after it."""
    where = [rm_pauses.c[name] == value for name, value in key.items()]
    result = await session.execute(sa.update(rm_pauses).where(*where).values(mode=mode))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(sa.insert(rm_pauses).values(**key, mode=mode, at=BEFORE_ANY_EVENT))
