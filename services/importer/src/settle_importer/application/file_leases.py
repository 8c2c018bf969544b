"""A replica's claim on a drop-folder file: with several importer replicas watching one shared
folder, the one whose claim succeeds imports the file, the others leave it alone. The claim
is renewed while the file is imported and released once it was moved away; a replica that
crashed holding one loses it after FILE_LEASE_S, and another replica takes the file then."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from settle_importer.application.context import ImporterContext
from settle_shared.db import transaction
from settle_shared.logs import get_logger

log = get_logger(__name__)


def _now() -> datetime:
    # The machine's clock, not the business clock: a claim measures how long a replica has
    # been silent, which a business clock set to another day must not change.
    return datetime.now(UTC)


def _holder(ctx: ImporterContext) -> str:
    return f"{ctx.owner.replica} {ctx.owner.instance}"


@contextlib.asynccontextmanager
async def file_claimed(
    ctx: ImporterContext, administration_id: str, name: str
) -> AsyncIterator[bool]:
    """Claim ``name`` in the administration's drop folder for this replica: yields whether
    the claim succeeded; while it is held it is renewed every third of FILE_LEASE_S, and it
    is released at the end."""
    lease = timedelta(seconds=ctx.settings.file_lease_s)
    holder = _holder(ctx)
    now = _now()
    async with transaction(ctx.sessions) as session:
        claimed = (
            await ctx.repositories(session)
            .file_leases(administration_id)
            .claim(name, holder, now, now + lease)
        )
    if not claimed:
        yield False
        return

    async def renew() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                async with transaction(ctx.sessions) as session:
                    kept = (
                        await ctx.repositories(session)
                        .file_leases(administration_id)
                        .renew(name, holder, _now() + lease)
                    )
            except Exception as exc:  # database away for a moment: the next renewal retries
                log.warning("file lease not renewed", file=name, error=repr(exc))
                continue
            if not kept:
                log.warning(
                    "file lease lost: another replica may import the file too",
                    administration_id=administration_id,
                    file=name,
                )
                return

    renewing = asyncio.create_task(renew())
    try:
        yield True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        async with transaction(ctx.sessions) as session:
            await ctx.repositories(session).file_leases(administration_id).release(name, holder)
