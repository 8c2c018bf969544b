"""`settle serve <service> --workers N`: uvicorn's worker processes, each building the whole
service with the app factory here."""

from __future__ import annotations

import os
import socket

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from settle_shared.service import build_runtime, discover_services

SERVICE_VARIABLE = "SETTLE_SERVICE"
APP_FACTORY = "settle_shared.cli.serving:service_app"


def service_app() -> FastAPI:
    """The full service named in SETTLE_SERVICE (its API, relay and consumers), built anew in
    this worker: workers share nothing but the listening socket."""
    spec = discover_services()[os.environ[SERVICE_VARIABLE]]
    return build_runtime(spec).app


def serve_workers(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does for workers > 1, with TCP_NODELAY on the listening socket.

    Uvicorn binds that socket itself, and asyncio sets TCP_NODELAY only on connections from
    sockets it created; without it each response (headers and body written separately) waited
    for the client's delayed ACK, ~40 ms. Linux passes the option on to accepted connections."""
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
