"""Administrations as the gateway announces them: dunning sets one up the moment it hears of
it (active, never run, with the default flows), so its settings answer and it can be paused
or given its own flows before its first invoice."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from settle_dunning.application.context import DunningContext
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def learn_administration(
    ctx: DunningContext, session: AsyncSession, administration_id: str
) -> None:
    """Set up an administration the gateway announced (created or changed), in the session's
    transaction (the consumer's); one dunning knows already is left as it is."""
    repos = ctx.repositories(session)
    if await repos.administrations.get(administration_id) is None:
        await ctx.ensure_administration(repos, administration_id)
        log.info("administration set up", administration_id=administration_id)
