"""Liveness, readiness and Prometheus metrics, the same on every service."""

from __future__ import annotations

import asyncio
import hmac
import os
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from settle_shared.logs import log_context

ReadinessCheck = Callable[[], Awaitable[None]]

REQUEST_SECONDS = Histogram(
    "settle_http_request_seconds", "HTTP request duration", ["method", "route", "status"]
)


def health_router(checks: dict[str, ReadinessCheck], timeout_s: float = 2.0) -> APIRouter:
    """`/health/live` answers while the process runs; `/health/ready` only when every
    dependency (database, broker) answers, so Kubernetes routes traffic to ready replicas."""
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        results: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout_s)
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failing: {type(exc).__name__}: {exc}"[:300]
        healthy = all(value == "ok" for value in results.values())
        return JSONResponse(
            {"status": "ok" if healthy else "unavailable", "checks": results},
            status_code=200 if healthy else 503,
        )

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(_latest_metrics(), media_type=CONTENT_TYPE_LATEST)

    return router


def _latest_metrics() -> bytes:
    """This process's metrics, or those of every worker of `settle serve --workers N`, which
    write them to the folder named in PROMETHEUS_MULTIPROC_DIR."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_KEY = CORRELATION_HEADER.lower().encode()


class RequestMetrics:
    """Times every request, and carries a correlation id through it: the caller's
    `X-Correlation-ID`, or a new one, bound to every log line and returned in the response.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the
    app in a task of its own and re-streams the response, a large share of a request's CPU
    (docs/operations.md, Performance notes)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, _CORRELATION_KEY)
        correlation_id = (given.decode("latin-1") if given else str(uuid.uuid4()))[:100]
        status = 500  # when the app raises before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((_CORRELATION_KEY, correlation_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            with log_context(correlation_id=correlation_id):
                await self.app(scope, receive, send_with_id)
        finally:
            # The router leaves the matched route in the scope it was given.
            path = getattr(scope.get("route"), "path", "unmatched")
            REQUEST_SECONDS.labels(scope["method"], path, str(status)).observe(
                time.perf_counter() - started
            )


def add_request_metrics(app: FastAPI) -> None:
    """Time every request and carry its correlation id (see RequestMetrics)."""
    app.add_middleware(RequestMetrics)


INTERNAL_PREFIX = "/internal/"


class ServiceTokenGuard:
    """Refuses requests under /internal/ that lack the shared service token (plain ASGI, for
    the same reason as RequestMetrics)."""

    def __init__(self, app: ASGIApp, token: SecretStr) -> None:
        self.app = app
        self.expected = f"Bearer {token.get_secret_value()}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(INTERNAL_PREFIX):
            given = _header(scope, b"authorization") or b""
            if not hmac.compare_digest(given, self.expected):
                refusal = JSONResponse(
                    {"detail": "a valid service token is required"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def require_service_token(app: FastAPI, token: SecretStr) -> None:
    """Every internal API (paths under /internal/) answers only callers holding the shared
    service token, sent as `Authorization: Bearer <token>`: the gateway and the CLI."""
    app.add_middleware(ServiceTokenGuard, token=token)


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header; ASGI servers give header names in lower case."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None
