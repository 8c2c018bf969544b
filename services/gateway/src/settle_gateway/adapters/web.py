"""What the views of every concept share: the context and read session as dependencies, the
path of an administration, and passing a command on to the service that owns it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from settle_gateway.application.context import GatewayContext
from settle_shared.health import CORRELATION_HEADER

ADMINISTRATION = "/administrations/{administration_id}"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "unknown, or not visible to the caller"}
}


# The query parameters of every paged list: its size, and where the previous page ended.
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=500)]


def ui_router() -> APIRouter:
    """The router of one concept's routes under /api/v1."""
    return APIRouter(prefix="/api/v1", tags=["ui"])


# Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a thread hop per
# request for an attribute lookup.
async def context_of(request: Request) -> GatewayContext:
    context: GatewayContext = request.app.state.gateway
    return context


Context = Annotated[GatewayContext, Depends(context_of)]


async def read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session to read the read model with (see GatewayContext.reads)."""
    context: GatewayContext = request.app.state.gateway
    async with context.reads() as session:
        yield session


ReadSession = Annotated[AsyncSession, Depends(read_session)]


def correlation(request: Request) -> str | None:
    """The caller's correlation id, passed on to the owning service."""
    return request.headers.get(CORRELATION_HEADER)


async def proxy(
    request: Request,
    context: GatewayContext,
    service: str,
    method: str,
    administration_id: str,
    path: str,
    **kwargs: Any,
) -> Any:
    """Call the owning service's internal API for the administration; its JSON answer."""
    answer = await context.upstreams.call(
        service,
        method,
        f"/internal/v1/administrations/{administration_id}{path}",
        correlation_id=correlation(request),
        **kwargs,
    )
    return None if answer.status_code == 204 or not answer.content else answer.json()


# The owning service's answer to a command, passed on to the caller as it is.
ServiceAnswer = dict[str, Any]
