"""`settle importer import FILE --administration ID`: import a file from the command line,
straight into the configured database (SETTLE_IMPORTER_DATABASE_URL). The events go into the
outbox; the running importer's relay publishes them. Stopped with Ctrl-C, the run is failed as
interrupted, so the administration can import again at once.

What the run did is printed to standard output when it ends: its counts, its notices and the
first rejected records with their reasons (`settle importer show RUN` lists them all). The
progress bar and log lines go to standard error, so the summary can be piped or saved."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

cli = typer.Typer(help="Importer: invoices, credit notes and debtors from bookkeeping.")

# Rejected records printed at the end of an import; `settle importer show` prints them all.
REJECTED_SHOWN = 20
ALL_REJECTED = 2**31 - 1

# The counts of a run, in the order and the words of the summary.
COUNTS = (
    ("records", "read"),
    ("new", "imported"),
    ("changed", "changed"),
    ("settled", "settled"),
    ("reopened", "reopened"),
    ("unchanged", "unchanged"),
    ("ignored", "ignored"),
    ("closed_not_imported", "closed, not imported"),
    ("flagged", "possible bookkeeping errors"),
    ("rejected", "rejected"),
)


@cli.callback()
def importer() -> None:
    """Importer: invoices, credit notes and debtors from bookkeeping."""


Administration = Annotated[str, typer.Option("--administration", help="administration id")]


def _summary(run: dict[str, Any], shown: int | None) -> list[str]:
    """The lines that tell a person what a run did: its status, counts, notices and rejected
    records (the first ``shown``, and where to find the rest; all when ``None``)."""
    source = f" ({run['source_name']})" if run.get("source_name") else ""
    lines = [f"run {run['id']} {run['status']}{source}"]
    counts = run["counts"]
    width = max(len(label) for _, label in COUNTS)
    lines += [f"  {label:<{width}}  {counts.get(name, 0)}" for name, label in COUNTS]
    lines += [f"notice: {notice}" for notice in run["notices"]]
    rejected = run["rejected"]
    if rejected:
        lines.append("rejected records:")
    for record in rejected:
        number = f" ({record['reference']})" if record["reference"] else ""
        lines.append(f"  {record['position']}{number}: {record['reason']}")
    more = counts.get("rejected", 0) - len(rejected)
    if shown is not None and more > 0:
        lines.append(
            f"  … and {more} more: settle importer show {run['id']} "
            f"--administration {run['administration_id']} lists them all"
        )
    return lines


@cli.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    administration: Administration,
    complete: Annotated[
        bool,
        typer.Option(
            "--complete/--not-complete",
            help="the file lists every open item (what it lacks is settled); default: the "
            "administration's delivery connection decides",
        ),
    ] = False,
    preset: Annotated[
        str | None,
        typer.Option(
            "--preset",
            help="read CSV and XLSX exports (also in a zip) with this preset of column mapping "
            "(dutch, english); default: the delivery connection's mapping, else the first "
            "preset the header fits",
        ),
    ] = None,
) -> None:
    """Import FILE (CSV, XLSX, UBL XML or zip) for an administration; prints what it did."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from settle_importer.app import SERVICE, context_for
    from settle_importer.application.files import (
        check_file,
        preset_config,
        queue_file_run,
        run_file,
    )
    from settle_importer.application.runs import run_detail
    from settle_importer.domain.errors import ImporterError
    from settle_importer.settings import ImporterSettings
    from settle_shared.db import create_engine, session_factory
    from settle_shared.logs import configure_logging
    from settle_shared.service import tune_garbage_collection

    settings = SERVICE.load_settings()
    assert isinstance(settings, ImporterSettings)
    configure_logging(SERVICE.name, "WARNING", "console")

    started: list[str] = []

    async def main() -> int:
        engine = create_engine(settings.database_url)
        ctx = context_for(settings, session_factory(engine))
        tune_garbage_collection()
        try:
            config = preset_config(ctx, preset) if preset is not None else None
            check_file(ctx, file, file.name)
            run_id, connection = await queue_file_run(
                ctx, administration, file.name, "command_line"
            )
            started.append(run_id)
            if complete and connection is not None:
                connection = type(connection)(**{**connection.__dict__, "complete_list": True})
            # On standard error, like the log lines, and gone when done: standard output
            # holds the summary alone.
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            ) as bar:
                task = bar.add_task(file.name, total=None)

                def progress(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                outcome = await run_file(
                    ctx,
                    administration,
                    run_id,
                    file,
                    file.name,
                    connection,
                    progress,
                    config=config,
                )
            run = await run_detail(ctx, administration, run_id, rejected_limit=REJECTED_SHOWN)
        except ImporterError as exc:
            typer.echo(f"refused: {exc}", err=True)
            return 2
        finally:
            await engine.dispose()
        for line in _summary(run, REJECTED_SHOWN):
            typer.echo(line)
        if outcome.error:
            typer.echo(f"run {run_id} failed: {outcome.error}", err=True)
            return 1
        return 0

    try:
        code = asyncio.run(main())
    except KeyboardInterrupt:
        # asyncio.run cancelled the run on Ctrl-C; execute_run failed it as interrupted.
        shown = f"run {started[0]}" if started else "the import"
        typer.echo(f"interrupted: {shown} was stopped and failed; import again", err=True)
        raise typer.Exit(130) from None
    if code:
        raise typer.Exit(code)


@cli.command("show")
def show(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="the import run's id")],
    administration: Administration,
) -> None:
    """Print an import run with every record it rejected and why."""
    from settle_importer.app import SERVICE, context_for
    from settle_importer.application.runs import run_detail
    from settle_importer.domain.errors import ImporterError
    from settle_importer.settings import ImporterSettings
    from settle_shared.db import create_engine, session_factory
    from settle_shared.logs import configure_logging

    settings = SERVICE.load_settings()
    assert isinstance(settings, ImporterSettings)
    configure_logging(SERVICE.name, "WARNING", "console")

    async def main() -> dict[str, Any]:
        engine = create_engine(settings.database_url)
        try:
            ctx = context_for(settings, session_factory(engine))
            return await run_detail(ctx, administration, run_id, rejected_limit=ALL_REJECTED)
        finally:
            await engine.dispose()

    try:
        run = asyncio.run(main())
    except ImporterError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    for line in _summary(run, None):
        typer.echo(line)
    if run["error"]:
        typer.echo(f"error: {run['error']}")
