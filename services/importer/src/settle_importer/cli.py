"""`settle importer import FILE --administration ID`: import a file from the command line,
straight into the configured database (SETTLE_IMPORTER_DATABASE_URL). The events go into the
outbox; the running importer's relay publishes them. Stopped with Ctrl-C, the run is failed as
interrupted, so the administration can import again at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

cli = typer.Typer(help="Importer: invoices, credit notes and debtors from bookkeeping.")


@cli.callback()
def importer() -> None:
    """Importer: invoices, credit notes and debtors from bookkeeping."""


@cli.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    administration: Annotated[str, typer.Option("--administration", help="administration id")],
    complete: Annotated[
        bool,
        typer.Option(
            "--complete/--not-complete",
            help="the file lists every open item (what it lacks is settled); default: the "
            "administration's delivery connection decides",
        ),
    ] = False,
) -> None:
    """Import FILE (CSV, XLSX, UBL XML or zip) for an administration, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from settle_importer.app import SERVICE, context_for
    from settle_importer.application.files import check_file, queue_file_run, run_file
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
            check_file(ctx, file, file.name)
            run_id, connection = await queue_file_run(
                ctx, administration, file.name, "command_line"
            )
            started.append(run_id)
            if complete and connection is not None:
                connection = type(connection)(**{**connection.__dict__, "complete_list": True})
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
            ) as bar:
                task = bar.add_task(file.name, total=None)

                def progress(done: int, total: int | None) -> None:
                    bar.update(task, completed=done, total=total)

                outcome = await run_file(
                    ctx, administration, run_id, file, file.name, connection, progress
                )
        except ImporterError as exc:
            typer.echo(f"refused: {exc}", err=True)
            return 2
        finally:
            await engine.dispose()
        counts = outcome.counts
        summary = ", ".join(
            f"{counts.get(name, 0)} {name}"
            for name in (
                "new",
                "changed",
                "settled",
                "reopened",
                "unchanged",
                "ignored",
                "rejected",
            )
        )
        if outcome.error:
            typer.echo(f"run {run_id} failed: {outcome.error}", err=True)
            return 1
        typer.echo(f"run {run_id} succeeded: {counts.get('records', 0)} records; {summary}")
        for notice in outcome.notices:
            typer.echo(f"notice: {notice}")
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
