"""`settle serve <service> --workers N`: uvicorn's worker processes, each building the whole
service with the app factory here."""

from __future__ import annotations

import os
import socket
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from settle_shared.service import build_runtime, load_service
from settle_shared.settings import ServiceSettings

SERVICE_VARIABLE = "SETTLE_SERVICE"
APP_FACTORY = "settle_shared.cli.serving:service_app"
WORKER_HEALTHCHECK_S = 30


def server_options(settings: ServiceSettings, port: int | None = None) -> dict[str, Any]:
    """What every uvicorn server of a service runs with (`uvicorn.run` or `uvicorn.Config`)."""
    trusted = [a.strip() for a in settings.trusted_proxies.split(",") if a.strip()]
    return {
        "host": settings.http_host,
        "port": port or settings.http_port,
        "log_config": None,  # our structured logging, not uvicorn's
        "timeout_graceful_shutdown": 10,
        # X-Forwarded-For names the client only when a proxy we run wrote it; believed from
        # anyone, it lets a client claim any address (and the login limit counts addresses).
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
    }


def service_app() -> FastAPI:
    """The full service named in SETTLE_SERVICE (its API, relay and consumers), built anew in
    this worker: workers share nothing but the listening socket."""
    spec = load_service(os.environ[SERVICE_VARIABLE])
    return build_runtime(spec).app


def serve_workers(config: uvicorn.Config) -> None:
    """What `uvicorn.run` does for workers > 1, with TCP_NODELAY on the listening socket.

    Uvicorn binds that socket itself, and asyncio sets TCP_NODELAY only on connections from
    sockets it created; without it each response (headers and body written separately) waits
    for the client's delayed ACK. Linux passes the option on to accepted connections."""
    # Uvicorn's supervisor kills a worker that leaves its health ping unanswered for
    # `timeout_worker_healthcheck` (5 s by default). A worker starting beside busy ones on a
    # loaded machine can take longer than that to import; killed and restarted, it never came
    # up and its restarts took a core from the worker that was serving.
    config.timeout_worker_healthcheck = max(config.timeout_worker_healthcheck, WORKER_HEALTHCHECK_S)
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()
