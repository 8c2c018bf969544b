"""Whose X-Forwarded-For a served service believes: only its configured proxies'."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request

from settle_shared.cli.serving import server_options
from settle_shared.net import free_port
from settle_shared.settings import ServiceSettings

pytestmark = pytest.mark.integration

app = FastAPI()


@app.get("/who")
async def who(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@asynccontextmanager
async def serving(settings: ServiceSettings) -> AsyncIterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, **server_options(settings)))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        await task


async def client_seen(settings: ServiceSettings, forwarded_for: str) -> str:
    async with serving(settings) as base, httpx.AsyncClient() as client:
        answer = await client.get(f"{base}/who", headers={"X-Forwarded-For": forwarded_for})
        return str(answer.json())


async def test_a_client_cannot_claim_an_address_without_a_trusted_proxy() -> None:
    settings = ServiceSettings(http_host="127.0.0.1", http_port=free_port())
    assert await client_seen(settings, "203.0.113.7") == "127.0.0.1"


async def test_a_configured_proxy_names_the_client() -> None:
    settings = ServiceSettings(
        http_host="127.0.0.1", http_port=free_port(), trusted_proxies="10.0.0.0/8, 127.0.0.1, "
    )
    assert await client_seen(settings, "203.0.113.7") == "203.0.113.7"
