"""`settle payments …`: the local PSP, and a refund for a person at the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from settle_payments.adapters.psp.local_server import DEFAULT_PORT
from settle_payments.settings import LOCAL_PSP_KEY

cli = typer.Typer(help="Online payments.", no_args_is_help=True)


@cli.command("local-psp")
def local_psp(
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    key: Annotated[str, typer.Option(help="the API key it accepts")] = LOCAL_PSP_KEY,
    public_url: Annotated[
        str | None, typer.Option(help="its address in checkout links (default: host and port)")
    ] = None,
    webhook_delay: Annotated[
        float, typer.Option(help="seconds before it repeats a webhook (and twice that: late)")
    ] = 2.0,
    data: Annotated[Path | None, typer.Option(help="file its payments are kept in")] = None,
) -> None:
    """Run the local PSP: Mollie's API v2 (the part Settle uses) with a checkout page."""
    from settle_payments.adapters.psp.local_server import serve

    serve(host, port, key, public_url=public_url, webhook_delay_s=webhook_delay, data_file=data)
