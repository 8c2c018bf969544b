"""The administrations the importer imports into: the ones the gateway announced. Learning of
one records it and makes its drop folder, so a file can be dropped before the first import;
every way of importing (upload, drop folder, command line, connections) refuses one it has
not heard of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from settle_importer.application.context import ImporterContext
from settle_importer.application.ports import Repositories
from settle_importer.domain.errors import UnknownAdministration, check_administration_id
from settle_shared.db import transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)


async def learn_administration(
    ctx: ImporterContext, session: AsyncSession, administration_id: str, name: str, at: datetime
) -> None:
    """Record an administration the gateway announced (created or changed), in the session's
    transaction (the consumer's), and make its drop folder when the folders are watched."""
    check_administration_id(administration_id)
    new = await ctx.repositories(session).administrations().learn(administration_id, name, at)
    if new:
        log.info("administration known", administration_id=administration_id)
    if ctx.settings.scheduler_enabled:
        folder = ctx.settings.inbox_dir / administration_id
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # imports still work by upload and command line
            log.warning("drop folder not made", folder=str(folder), error=repr(exc))


async def require_administration(repos: Repositories, administration_id: str) -> None:
    """Refuse an administration the gateway has not announced (``UnknownAdministration``)."""
    check_administration_id(administration_id)
    if not await repos.administrations().known(administration_id):
        raise UnknownAdministration(administration_id)


async def check_known(ctx: ImporterContext, administration_id: str) -> None:
    """``require_administration`` in a transaction of its own."""
    async with transaction(ctx.sessions) as session:
        await require_administration(ctx.repositories(session), administration_id)
