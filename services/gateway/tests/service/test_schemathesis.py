"""Property-based fuzzing of the UI API from its own OpenAPI document: no request a client can
build from the contract, valid or not, may make the gateway answer with a 5xx.

Schemathesis generates the requests; they are sent through the service harness's in-process
client, signed in as an administrator, with the real importer, dunning, messaging and collection
services mounted as neighbours so that commands travel all the way. Schemathesis's own ASGI client
is not used: it runs the app's lifespan a second time on its own event loop, beside the one the
harness started (with its test broker and database engine) on the test's loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

from settle_collection.app import SERVICE as COLLECTION
from settle_dunning.app import SERVICE as DUNNING
from settle_importer.app import SERVICE as IMPORTER
from settle_messaging.app import SERVICE as MESSAGING
from settle_shared.testing.service import running_service

from .conftest import ADM, Gateway

pytestmark = pytest.mark.service

# Small and derandomized: the same requests on every run, so CI is repeatable and a failure
# here is reproducible from its printed curl command; the whole API runs in seconds.
EXAMPLES = 10
BASE_URL = "http://service"
# Values the seeded read model knows, so that detail and command routes get past their 404.
KNOWN = {"administration_id": ADM, "invoice_id": "inv-1", "debtor_id": "deb-1"}


@pytest.fixture
async def neighbours(gateway: Gateway, tmp_path: Path) -> AsyncIterator[None]:
    """The owning services, each on its own SQLite database, behind the gateway's clients:
    without them every command would answer 502 and hide what lies behind it."""
    async with AsyncExitStack() as stack:
        mounted = {
            "importer": await stack.enter_async_context(
                running_service(
                    IMPORTER,
                    f"sqlite+aiosqlite:///{tmp_path / 'importer.db'}",
                    inbox_dir=str(tmp_path / "inbox"),
                    scheduler_enabled=False,
                )
            ),
            "dunning": await stack.enter_async_context(
                running_service(
                    DUNNING,
                    f"sqlite+aiosqlite:///{tmp_path / 'dunning.db'}",
                    daily_run_enabled=False,
                )
            ),
            "messaging": await stack.enter_async_context(
                running_service(
                    MESSAGING,
                    f"sqlite+aiosqlite:///{tmp_path / 'messaging.db'}",
                    inbound_smtp_port=0,
                    rate_limit_per_minute=0,
                )
            ),
            "collection": await stack.enter_async_context(
                running_service(
                    COLLECTION,
                    f"sqlite+aiosqlite:///{tmp_path / 'collection.db'}",
                    schedule_enabled=False,
                )
            ),
        }
        upstreams = gateway.harness.runtime.app.state.gateway.upstreams
        for name, harness in mounted.items():
            old = upstreams.clients[name]
            upstreams.clients[name] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=harness.runtime.app),
                base_url=f"http://{name}",
                headers={"Authorization": old.headers["Authorization"]},
            )
            await old.aclose()
        yield


def draw(strategy: SearchStrategy[Case]) -> list[Case]:
    """The cases Hypothesis generates for one operation. Generation is synchronous, the
    harness is not, so the cases are collected first and sent afterwards."""
    cases: list[Case] = []

    @given(strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Case) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:
        # No invalid request exists for an operation without parameters or body.
        pass
    return cases


# What requests.Request accepts of the transport's keyword arguments (the rest, a timeout or
# verify flag, belong to a session and mean nothing in process).
REQUEST_ARGUMENTS = frozenset(
    {"method", "url", "headers", "files", "data", "json", "params", "auth", "cookies"}
)


async def send(gateway: Gateway, case: Case, headers: dict[str, str]) -> httpx.Response:
    """The case as the requests transport would send it (query, JSON, multipart bodies all
    serialised by Schemathesis), through the in-process client."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    prepared = requests.Request(
        **{k: v for k, v in kwargs.items() if k in REQUEST_ARGUMENTS}
    ).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    return await gateway.client.request(
        str(prepared.method),
        str(prepared.url),
        headers=dict(prepared.headers),
        content=body,
    )


async def seed(gateway: Gateway) -> None:
    """One debtor with an invoice, a step and a reply: lists are not empty and details exist."""
    await gateway.debtor("deb-1", "Bakkerij Jansen")
    await gateway.invoice("inv-1")
    await gateway.executed("inv-1")
    await gateway.reply("msg-r1")


async def test_no_generated_request_makes_the_api_fail(gateway: Gateway, neighbours: None) -> None:
    await seed(gateway)
    document: dict[str, Any] = (await gateway.client.get("/openapi.json")).json()
    schema = schemathesis.openapi.from_dict(document)
    headers = await gateway.auth("alice@a.example")
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()  # an operation the document does not describe well enough
        operation = result.ok()
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: value for name, value in KNOWN.items() if name in names}
        variants: list[tuple[GenerationMode, dict[str, Any]]] = [
            (GenerationMode.POSITIVE, fixed),
            (GenerationMode.NEGATIVE, fixed),
        ]
        if set(fixed) - {"administration_id"}:
            # Unknown ids too, with the administration still the user's own.
            variants.append((GenerationMode.POSITIVE, {"administration_id": ADM}))
        for mode, path_parameters in variants:
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters=path_parameters or None
            )
            for case in draw(strategy):
                sent += 1
                try:
                    response = await send(gateway, case, headers)
                except Exception as exc:
                    # The in-process transport re-raises what the app did not handle; a
                    # server would have answered 500.
                    failure = (
                        f"{operation.label} ({mode.value}): unhandled {exc!r}\n"
                        f"{case.as_curl_command(headers=headers)}"
                    )
                    failures.append(failure)
                    continue
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:  # collected, so one run reports every failing route
                    failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert sent > 0
    assert not failures, "\n\n".join(failures)
