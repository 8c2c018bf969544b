"""`settle dunning …`: the daily run from the command line."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Annotated

import typer

cli = typer.Typer(help="Dunning: the daily run.", no_args_is_help=True)


@cli.callback()
def dunning() -> None:
    """Dunning: flows, planned steps and the daily run."""


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@cli.command("run")
def run(
    as_of: Annotated[
        str, typer.Option("--as-of", help="business date to run (YYYY-MM-DD); default today")
    ] = "",
    administration: Annotated[
        str | None, typer.Option("--administration", help="one administration; default all")
    ] = None,
) -> None:
    """Execute every step due by the business date (idempotent; catches up missed days)."""
    from settle_dunning.app import SERVICE, context_for
    from settle_dunning.application.daily_run import run_day
    from settle_dunning.domain import DunningError
    from settle_dunning.settings import DunningSettings
    from settle_shared.db import create_engine, session_factory, transaction
    from settle_shared.logs import configure_logging

    settings = SERVICE.load_settings()
    assert isinstance(settings, DunningSettings)
    configure_logging(SERVICE.name, "WARNING", "console")

    async def main() -> int:
        engine = create_engine(settings.database_url)
        ctx = context_for(settings, session_factory(engine))
        business_date = _parse_date(as_of) if as_of else ctx.business_date()
        failed = 0
        try:
            if administration:
                ids = [administration]
            else:
                async with transaction(ctx.sessions) as session:
                    ids = [r.id for r in await ctx.repositories(session).administrations.all()]
            for administration_id in ids:
                started = datetime.now().astimezone()
                try:
                    summary = await run_day(ctx, administration_id, business_date)
                except DunningError as exc:
                    typer.echo(f"{administration_id}: refused: {exc}", err=True)
                    failed += 1
                    continue
                seconds = (datetime.now().astimezone() - started).total_seconds()
                typer.echo(
                    f"{administration_id} {business_date.isoformat()}: "
                    f"{summary.invoices_due} due, {summary.steps_executed} steps executed, "
                    f"{summary.messages_requested} messages requested ({seconds:.1f} s)"
                )
                if summary.next_sending_day is not None:
                    typer.echo(
                        f"{business_date.isoformat()} is not a sending day for this "
                        f"administration; the next is {summary.next_sending_day.isoformat()}"
                    )
        finally:
            await engine.dispose()
        return failed

    if asyncio.run(main()):
        raise typer.Exit(1)
