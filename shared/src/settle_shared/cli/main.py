"""`settle`: the command line of the platform. Services add their own commands through the
`cli` of their ServiceSpec (`settle <service> …`)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from settle_shared.clock import (
    STACK_CLOCK_FILE,
    FileClock,
    business_time_on,
    reset_business_time,
    set_business_time,
    stack_clock_for,
)
from settle_shared.service import ServiceSpec, discover_services

app = typer.Typer(help="Settle: credit management on Kafka.", no_args_is_help=True)
topics_app = typer.Typer(help="Kafka topics of the event catalogue.", no_args_is_help=True)
dlt_app = typer.Typer(help="Dead-letter topics.", no_args_is_help=True)
clock_app = typer.Typer(help="The business clock of the embedded stack.", no_args_is_help=True)
docs_app = typer.Typer(help="Contract documents generated from code.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")
app.add_typer(dlt_app, name="dlt")
app.add_typer(clock_app, name="clock")
app.add_typer(docs_app, name="docs")

Bootstrap = Annotated[
    str,
    typer.Option(envvar="SETTLE_KAFKA_BOOTSTRAP_SERVERS", help="Kafka bootstrap servers"),
]
ClockFile = Annotated[
    Path, typer.Option("--file", envvar="SETTLE_CLOCK_FILE", help="the stack's clock file")
]

# The commands services add (`settle import`, `settle dunning …`), by the prefix of the
# settings of the service they belong to.
_SERVICE_COMMANDS: dict[str, str] = {}


@app.callback()
def settle(ctx: typer.Context) -> None:
    """Settle: credit management on Kafka."""
    prefix = _SERVICE_COMMANDS.get(ctx.invoked_subcommand or "")
    if prefix is not None:
        # A service's command runs beside the stack, so on its business clock (the file
        # `settle clock` sets and `settle up` gives every service), not on real time.
        ctx.with_resource(stack_clock_for([prefix]))


@app.command()
def up(
    var: Annotated[Path, typer.Option(help="where data, mail and logs are kept")] = Path("var"),
    gateway_port: int = 8000,
    first_service_port: int = 8001,
    kafka_port: int = 9092,
    smtp_port: int = 1025,
    inbound_smtp_port: Annotated[int, typer.Option(help="replies and bounces arrive here")] = 2525,
) -> None:
    """Start the whole system locally (what `make run` runs)."""
    from settle_shared.embedded.stack import Stack, StackConfig
    from settle_shared.logs import configure_logging

    configure_logging("stack", "WARNING", "console")
    # Connection refusals while the broker boots are expected, not worth a line each.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    config = StackConfig(
        var_dir=var,
        gateway_port=gateway_port,
        first_service_port=first_service_port,
        kafka_port=kafka_port,
        smtp_port=smtp_port,
        inbound_smtp_port=inbound_smtp_port,
    )
    asyncio.run(Stack(config).run())


@app.command()
def serve(
    name: Annotated[str, typer.Argument(envvar="SETTLE_SERVICE", help="the service to run")],
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="worker processes, each running the whole service (API, outbox relay, "
            "consumers in the same group); more than one needs PostgreSQL",
        ),
    ] = 1,
) -> None:
    """Run one service (settings from its SETTLE_<SERVICE>_* environment variables)."""
    import uvicorn

    from settle_shared.cli.serving import server_options
    from settle_shared.service import build_runtime

    spec = _service(name)
    if workers == 1:
        runtime = build_runtime(spec)
        uvicorn.run(runtime.app, **server_options(runtime.settings))
        return

    from settle_shared.cli.serving import APP_FACTORY, SERVICE_VARIABLE, serve_workers
    from settle_shared.db import is_sqlite
    from settle_shared.logs import configure_logging

    # Checked here, once, so a bad setting fails before any worker starts.
    settings = spec.load_settings()
    if is_sqlite(settings.database_url):
        # SQLite has no advisory lock: every worker's relay would publish every event.
        typer.echo("--workers above 1 needs PostgreSQL (database_url is SQLite)", err=True)
        raise typer.Exit(2)
    configure_logging(spec.name, settings.log_level, settings.log_format)
    os.environ[SERVICE_VARIABLE] = name
    # One /metrics answer for all workers (prometheus_client's multiprocess mode); the
    # variable must be set before a worker imports prometheus_client.
    metrics_dir = Path(tempfile.mkdtemp(prefix=f"settle-{name}-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    config = uvicorn.Config(APP_FACTORY, factory=True, workers=workers, **server_options(settings))
    try:
        serve_workers(config)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def relay(
    name: Annotated[
        str, typer.Argument(envvar="SETTLE_SERVICE", help="the service whose outbox to publish")
    ],
    port: Annotated[
        int | None,
        typer.Option(help="port of /health and /metrics (default: the service's HTTP_PORT)"),
    ] = None,
) -> None:
    """Run only the outbox relay of a service, as a process of its own (settings from the
    service's SETTLE_<SERVICE>_* variables). Set SETTLE_<SERVICE>_OUTBOX_RELAY_IN_PROCESS=false
    for the service itself."""
    import uvicorn

    from settle_shared.cli.serving import server_options
    from settle_shared.db import is_sqlite
    from settle_shared.service import build_relay_runtime

    spec = _service(name)
    settings = spec.load_settings()
    if is_sqlite(settings.database_url) and settings.outbox_relay_in_process:
        # SQLite has no advisory lock: this relay and the service's would publish every event.
        typer.echo(
            f"on SQLite only one relay may run: set {spec.env_prefix}OUTBOX_RELAY_IN_PROCESS=false "
            "for the service and this command",
            err=True,
        )
        raise typer.Exit(2)
    runtime = build_relay_runtime(spec, settings)
    # uvicorn turns SIGTERM and SIGINT into a graceful shutdown (the relay finishes its pass),
    # restores the handlers it found, then raises the signal again. A stop that was asked for
    # and completed is a clean exit, so those handlers do nothing.
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: None)
    uvicorn.run(runtime.app, **server_options(settings, port))


@app.command()
def migrate(names: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    """Migrate the databases of the named services (all when none is named)."""
    from settle_shared.migrations import upgrade

    specs = discover_services()
    for name in names or list(specs):
        spec = _service(name)
        upgrade(spec.migrations_dir, spec.load_settings().database_url)
        typer.echo(f"{name}: migrated")


@topics_app.command("create")
def topics_create(
    bootstrap: Bootstrap = "127.0.0.1:9092",
    partitions: Annotated[int, typer.Option(help="partitions per topic")] = 6,
    replication_factor: int = 1,
) -> None:
    """Create every topic of the event catalogue and its dead-letter topic."""
    from settle_shared.kafka import catalogue_topics, ensure_topics

    created = asyncio.run(
        ensure_topics(
            bootstrap,
            catalogue_topics(),
            partitions=partitions,
            replication_factor=replication_factor,
        )
    )
    typer.echo(f"created {len(created)} topic(s)" + (": " + ", ".join(created) if created else ""))


@topics_app.command("list")
def topics_list() -> None:
    """The event catalogue: topic, producer, key."""
    from settle_shared.events import TOPICS

    for topic in sorted(TOPICS.values(), key=lambda t: t.name):
        typer.echo(f"{topic.name}\t{topic.producer}\tkey={topic.key}")


@dlt_app.command("replay")
def dlt_replay(topic: str, bootstrap: Bootstrap = "127.0.0.1:9092") -> None:
    """Send every event in TOPIC.dlt back to the topic it came from."""
    from settle_shared.dlt import replay_dead_letters

    try:
        result = asyncio.run(replay_dead_letters(bootstrap, topic))
    except LookupError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"replayed {result.replayed} event(s) from {result.topic}")


@clock_app.command("show")
def clock_show(file: ClockFile = STACK_CLOCK_FILE) -> None:
    """Print the business time."""
    now = FileClock(file).now()
    real = datetime.now(UTC)
    shifted = "" if abs((now - real).total_seconds()) < 1 else f" (real time {real:%Y-%m-%d})"
    typer.echo(f"{now.isoformat(timespec='seconds')}{shifted}")


@clock_app.command("set")
def clock_set(
    business_date: Annotated[str, typer.Argument(metavar="DATE", help="YYYY-MM-DD")],
    file: ClockFile = STACK_CLOCK_FILE,
    zone: Annotated[
        str, typer.Option(help="time zone in which DATE is the business date (the services')")
    ] = "Europe/Amsterdam",
) -> None:
    """Make the stack run as of DATE in ZONE (time of day keeps running)."""
    try:
        day = date.fromisoformat(business_date)
    except ValueError:
        typer.echo(f"not a date (YYYY-MM-DD): {business_date!r}", err=True)
        raise typer.Exit(2) from None
    try:
        business_zone = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        typer.echo(f"unknown time zone: {zone!r} (an IANA name such as Europe/Amsterdam)", err=True)
        raise typer.Exit(2) from None
    set_business_time(file, business_time_on(day, datetime.now(UTC), business_zone))
    typer.echo(f"business date is now {day.isoformat()}")


@clock_app.command("reset")
def clock_reset(file: ClockFile = STACK_CLOCK_FILE) -> None:
    """Back to real time."""
    reset_business_time(file)
    typer.echo("business clock follows real time")


@docs_app.command("generate")
def docs_generate(out: Annotated[Path, typer.Option(help="docs folder")] = Path("docs")) -> None:
    """Write docs/events.md, docs/asyncapi/*.json and docs/openapi/*.json."""
    from settle_shared.docs import generate

    readme = out.resolve().parent / "README.md"
    for path in generate(out, readme if readme.exists() else None):
        typer.echo(f"wrote {path}")


def _service(name: str) -> ServiceSpec:
    specs = discover_services()
    if name not in specs:
        known = ", ".join(specs) or "none installed"
        typer.echo(f"unknown service {name!r} (known: {known})", err=True)
        raise typer.Exit(2)
    return specs[name]


def _add_service_commands() -> None:
    if os.environ.get("SETTLE_CLI_NO_PLUGINS"):
        return
    for spec in discover_services().values():
        if spec.cli is None:
            continue
        app.add_typer(spec.cli, name=spec.name)
        _SERVICE_COMMANDS[spec.name] = spec.env_prefix
        for info in spec.cli.registered_commands:
            if info.name in spec.top_level_commands and info.callback is not None:
                app.command(info.name, help=info.help)(info.callback)
                _SERVICE_COMMANDS[info.name] = spec.env_prefix


_add_service_commands()

if __name__ == "__main__":
    app()
