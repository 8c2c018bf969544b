"""`settle collection …`: the statutory rate table for operators, and the step run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

cli = typer.Typer(help="Collection cases, costs, interest and bailiffs.", no_args_is_help=True)
rates = typer.Typer(help="The statutory interest rate table.", no_args_is_help=True)
cli.add_typer(rates, name="rates")


@cli.callback()
def collection() -> None:
    """Collection cases, their costs and interest, and the handoff to bailiffs."""


def _with_context(work: Callable[[Any], Awaitable[Any]]) -> Any:
    from settle_collection.app import SERVICE, context_for
    from settle_collection.settings import CollectionSettings
    from settle_shared.db import create_engine, session_factory
    from settle_shared.logs import configure_logging

    settings = SERVICE.load_settings()
    assert isinstance(settings, CollectionSettings)
    configure_logging(SERVICE.name, "WARNING", "console")

    async def main() -> Any:
        engine = create_engine(settings.database_url)
        try:
            return await work(context_for(settings, session_factory(engine)))
        finally:
            await engine.dispose()

    return asyncio.run(main())


@rates.command("show")
def show() -> None:
    """Print the rate table as CSV (the form `rates load` reads)."""
    from settle_collection.application.queries import rate_table
    from settle_law.interest import rate_table_csv

    typer.echo(rate_table_csv(_with_context(rate_table)), nl=False)


@rates.command("load")
def load(path: Annotated[Path, typer.Argument(help="a CSV in the form of `rates show`")]) -> None:
    """Replace the rate table with a CSV file; a gap or an overlap refuses the whole file."""
    from settle_collection.application.queries import replace_rate_table
    from settle_law.interest import RateTableError, parse_rate_table

    try:
        table = parse_rate_table(path.read_text("utf-8"))
    except RateTableError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    _with_context(lambda ctx: replace_rate_table(ctx, table))
    typer.echo(f"{len(table.all_periods())} periods loaded")


@rates.command("add")
def add(
    kind: Annotated[str, typer.Option(help="consumer (art. 6:119 BW) or commercial (6:119a)")],
    valid_from: Annotated[str, typer.Option("--from", help="first day (YYYY-MM-DD)")],
    rate: Annotated[str, typer.Option(help="percent per year, e.g. 4 or 10.15")],
    source: Annotated[str, typer.Option(help="the publication it comes from")],
    until: Annotated[str, typer.Option(help="last day (YYYY-MM-DD); default open")] = "",
    unconfirmed: Annotated[
        bool, typer.Option(help="not confirmed from an official publication")
    ] = False,
) -> None:
    """Add a newly published rate after the last one of its kind (an open last period is
    closed the day before)."""
    from settle_collection.application.queries import rate_table, replace_rate_table
    from settle_law.interest import RateKind, RatePeriod, RateTableError

    try:
        period = RatePeriod(
            kind=RateKind(kind),
            valid_from=date.fromisoformat(valid_from),
            valid_until=date.fromisoformat(until) if until else None,
            rate=Decimal(rate),
            source=source,
            confirmed=not unconfirmed,
        )
    except (ValueError, InvalidOperation) as exc:
        raise typer.BadParameter(str(exc)) from None

    async def work(ctx: Any) -> None:
        await replace_rate_table(ctx, (await rate_table(ctx)).with_period(period))

    try:
        _with_context(work)
    except RateTableError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{kind} {rate}% from {valid_from} added")


@cli.command("run")
def run() -> None:
    """Take every case step that is due and forward what goes by itself (what the service
    does every minute)."""
    from settle_collection.application.schedule import run_schedule

    changed = _with_context(run_schedule)
    typer.echo(f"{changed} cases moved")
