"""Wiring of the gateway: the web UI's API. For now it serves health and metrics."""

from pathlib import Path

from settle_gateway.db import metadata
from settle_gateway.settings import GatewaySettings
from settle_shared.service import ServiceRuntime, ServiceSpec


def setup(runtime: ServiceRuntime) -> None:
    """Routes and consumers of the gateway (the read model comes with its own change)."""


SERVICE = ServiceSpec(
    name="gateway",
    description="The API of Settle's web interface.",
    settings_cls=GatewaySettings,
    metadata=metadata,
    migrations_dir=Path(__file__).resolve().parents[2] / "migrations",
    setup=setup,
    start_order=90,
)
