"""The services the gateway passes commands to are the registered ones, but itself."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from settle_gateway.adapters.upstream import Upstreams
from settle_gateway.settings import GatewaySettings
from settle_shared.service import ENTRY_POINT_GROUP

pytestmark = pytest.mark.unit


async def test_the_gateway_calls_every_registered_service_but_itself() -> None:
    registered = {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)} - {"gateway"}
    assert set(GatewaySettings.UPSTREAMS) == registered
    upstreams = Upstreams(GatewaySettings(dunning_url="http://dunning.example"))
    assert set(upstreams.clients) == registered
    assert str(upstreams.clients["dunning"].base_url) == "http://dunning.example"
    await upstreams.close()
