"""Liveness, readiness and Prometheus metrics, the same on every service."""

from __future__ import annotations

import asyncio
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Histogram, generate_latest
from pydantic import SecretStr

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
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


CORRELATION_HEADER = "X-Correlation-ID"


def add_request_metrics(app: FastAPI) -> None:
    """Time every request, and carry a correlation id through it: the caller's
    `X-Correlation-ID`, or a new one, bound to every log line and returned in the response."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        correlation_id = request.headers.get(CORRELATION_HEADER) or str(uuid.uuid4())
        with log_context(correlation_id=correlation_id[:100]):
            response = await call_next(request)
        response.headers[CORRELATION_HEADER] = correlation_id[:100]
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        REQUEST_SECONDS.labels(request.method, path, str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response


INTERNAL_PREFIX = "/internal/"


def require_service_token(app: FastAPI, token: SecretStr) -> None:
    """Every internal API (paths under /internal/) answers only callers holding the shared
    service token, sent as `Authorization: Bearer <token>`: the gateway and the CLI."""
    expected = f"Bearer {token.get_secret_value()}".encode()

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith(INTERNAL_PREFIX):
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return JSONResponse(
                    {"detail": "a valid service token is required"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)
