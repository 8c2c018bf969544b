"""What the gateway's routes need from the edge, as protocols: the adapters implement them."""

from __future__ import annotations

from typing import Any, Protocol

import httpx


class NeighbourServices(Protocol):
    """The internal APIs of the services a command belongs to (adapters/upstream.py)."""

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        correlation_id: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Call `service`; its 2xx answer, or an HTTPException for the user."""

    async def close(self) -> None:
        """Close the clients."""
