"""Waiting for a broker that is not there yet: quiet while it starts, a clear error when it
never comes."""

import logging

import pytest

from settle_shared.embedded.broker import BrokerUnavailable, wait_for_broker
from settle_shared.net import free_port

pytestmark = pytest.mark.unit


async def test_a_broker_that_never_answers_is_a_clear_error_without_a_log_of_refusals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"  # nothing listens there
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BrokerUnavailable, match=f"broker at {bootstrap} did not answer"):
        await wait_for_broker(bootstrap, timeout_s=0.5)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
