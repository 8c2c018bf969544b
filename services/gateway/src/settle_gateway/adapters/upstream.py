"""Calls to the owning services' internal APIs: the gateway never writes their data itself.

Each call carries the shared service token and the caller's correlation id. A refusal of the
owning service (4xx) is handed to the user as it is; a service that does not answer is a 502,
so the UI can tell "you may not" from "try again"."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import HTTPException

from settle_gateway.settings import GatewaySettings
from settle_shared.logs import get_logger

log = get_logger(__name__)


class Upstreams:
    """One HTTP client per neighbour service (GatewaySettings.UPSTREAMS). Tests swap a client
    for one mounted on the neighbour's app (httpx.ASGITransport)."""

    def __init__(self, settings: GatewaySettings) -> None:
        token = settings.service_token.get_secret_value()
        self.clients: dict[str, httpx.AsyncClient] = {
            name: httpx.AsyncClient(
                base_url=url,
                timeout=settings.upstream_timeout_s,
                headers={"Authorization": f"Bearer {token}"},
            )
            for name, url in settings.upstream_urls().items()
        }

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
        """Call `service`; returns its 2xx answer or raises an HTTPException for the user."""
        client = self.clients[service]
        headers = dict(headers or {})
        if correlation_id:
            headers["X-Correlation-ID"] = correlation_id
        try:
            response = await client.request(method, safe_path(path), headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("service unreachable", service=service, error=type(exc).__name__)
            raise HTTPException(502, detail=f"the {service} service does not answer") from None
        if response.status_code >= 500:
            log.warning("service failed", service=service, status=response.status_code)
            raise HTTPException(502, detail=f"the {service} service failed; try again")
        if response.status_code >= 400:
            try:
                detail: Any = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            # 401 from a neighbour means our service token is wrong: not the user's fault.
            status = 502 if response.status_code == 401 else response.status_code
            raise HTTPException(status, detail=detail)
        return response

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def safe_path(path: str) -> str:
    """The path with every segment percent-encoded. Ids in it come from the user's URL: a
    control character must not break the request, and an encoded `/`, `?`, `#` or a `..`
    must not lead to another route of the neighbour."""
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        raise HTTPException(404, detail="not found")
    return "/".join(quote(segment, safe="") for segment in segments)
