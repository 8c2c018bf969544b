"""The Moneybird connector against a real HTTP server process that behaves like Moneybird's API.

The server (this module run as a script, stdlib only) serves the sample payloads in
tests/data/moneybird/ from ``GET /api/v2/{administration_id}/sales_invoices.json``: it checks the
bearer token, applies the ``filter`` parameter (``state``, ``period`` with Moneybird's default of
this year, ``updated_after``), paginates with ``page``/``per_page`` and ``Link`` headers, and can
be told to fail or stall the next requests. ``/_requests`` lists what it was asked.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from settle_importer.adapters.sources import MoneybirdSource
from settle_importer.adapters.sources.moneybird import (
    MoneybirdAuthError,
    MoneybirdUnavailable,
    RetryPolicy,
)
from settle_importer.app import SERVICE
from settle_importer.application.context import ImporterContext
from settle_importer.application.scheduler import run_due_imports
from settle_importer.domain import RejectedRecord, SourceRecord
from settle_shared.clock import FixedClock
from settle_shared.testing.infra import free_port, port_open
from settle_shared.testing.service import running_service

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data" / "moneybird"
TOKEN = "84ec207ad0154a508f798e615a998ac1fd752926d00f955fb1df3e144cba44ab"
ADMINISTRATION = "123"
SAMPLES = (
    "sales_invoices_page_1.json",
    "sales_invoices_page_2.json",
    "sales_invoices_updated_after.json",  # later versions of invoices win
)


# -- the server ------------------------------------------------------------------------------


class FakeMoneybird(BaseHTTPRequestHandler):
    invoices: list[dict[str, Any]] = []
    token = ""
    requests: list[dict[str, Any]] = []
    faults: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        if self.path == "/_reset":
            FakeMoneybird.requests.clear()
            FakeMoneybird.faults[:] = body.get("faults", [])
            self._send(200, {})
        else:
            self._send(404, {"error": "not found"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_requests":
            self._send(200, FakeMoneybird.requests)
            return
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        authorized = self.headers.get("Authorization") == f"Bearer {FakeMoneybird.token}"
        FakeMoneybird.requests.append({"path": url.path, "query": query, "authorized": authorized})
        if url.path != f"/api/v2/{ADMINISTRATION}/sales_invoices.json":
            self._send(404, {"error": "Record not found"})
            return
        if not authorized:
            self._send(401, {"error": "Token is invalid", "symbolic": {"token": "invalid"}})
            return
        if FakeMoneybird.faults:
            fault = FakeMoneybird.faults.pop(0)
            if fault.get("stall"):
                time.sleep(float(fault["stall"]))
            else:
                headers = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else {}
                self._send(int(fault["status"]), {"error": "try again later"}, headers)
                return
        per_page = int(query.get("per_page", "50"))
        page = int(query.get("page", "1"))
        if not 1 <= per_page <= 100 or page < 1:
            self._send(400, {"error": "per_page must be between 1 and 100"})
            return
        selected = self._filtered(query.get("filter", ""))
        start = (page - 1) * per_page
        links = [f'<{self._page_url(url.path, query, 1)}>; rel="first"']
        if page > 1:
            links.append(f'<{self._page_url(url.path, query, page - 1)}>; rel="prev"')
        if start + per_page < len(selected):
            links.append(f'<{self._page_url(url.path, query, page + 1)}>; rel="next"')
        self._send(200, selected[start : start + per_page], {"Link": ", ".join(links)})

    def _filtered(self, text: str) -> list[dict[str, Any]]:
        filters = dict(part.split(":", 1) for part in text.split(",") if ":" in part)
        states = filters.get("state", "all").split("|")
        this_year = datetime.now(UTC).year
        low, high = filters.get("period", f"{this_year}0101..{this_year}1231").split("..")
        after = filters.get("updated_after")
        selected = []
        for invoice in FakeMoneybird.invoices:
            if "all" not in states and invoice["state"] not in states:
                continue
            if not low <= invoice["invoice_date"].replace("-", "") <= high:
                continue
            updated = datetime.fromisoformat(invoice["updated_at"])
            if after is not None and not updated > datetime.fromisoformat(after):
                continue
            selected.append(invoice)
        return selected

    def _page_url(self, path: str, query: dict[str, str], page: int) -> str:
        host = self.headers.get("Host")
        return f"http://{host}{path}?{urlencode({**query, 'page': page})}"

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def serve(port: int, token: str) -> None:
    by_id: dict[str, dict[str, Any]] = {}
    for name in SAMPLES:
        for invoice in json.loads((DATA / name).read_text(encoding="utf-8")):
            by_id[invoice["id"]] = invoice
    FakeMoneybird.invoices = sorted(by_id.values(), key=lambda invoice: invoice["invoice_id"])
    FakeMoneybird.token = token
    ThreadingHTTPServer(("127.0.0.1", port), FakeMoneybird).serve_forever()


# -- the tests -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def moneybird(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    errors = tmp_path_factory.mktemp("moneybird") / "server.err"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, __file__, str(port), TOKEN], stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Moneybird test server did not start: {errors.read_text()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def server(moneybird: str) -> str:
    reset(moneybird)
    return moneybird


def reset(server: str, faults: list[dict[str, Any]] | None = None) -> None:
    httpx.post(f"{server}/_reset", json={"faults": faults or []}).raise_for_status()


def requests_seen(server: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = httpx.get(f"{server}/_requests").json()
    return seen


def numbers(items: list[Any]) -> list[str | None]:
    return [
        item.reference if isinstance(item, RejectedRecord) else item.invoice.number
        for item in items
    ]


async def test_a_full_import_reads_every_page_of_open_invoices_with_the_token(
    server: str,
) -> None:
    source = MoneybirdSource(f"{server}/api/v2", ADMINISTRATION, TOKEN, per_page=2)

    items = await source.fetch()

    # 2024-0002 is paid by now; 2024-0004 lacks a due date
    assert numbers(items) == ["2024-0001", "2024-0003", "2024-0004", "2024-0005"]
    assert isinstance(items[2], RejectedRecord)
    assert items[2].reason == "due date (due_date) is missing"
    credit = items[1]
    assert isinstance(credit, SourceRecord) and credit.invoice.kind == "credit_note"
    assert source.complete
    seen = requests_seen(server)
    assert [request["query"]["page"] for request in seen] == ["1", "2"]
    assert all(request["authorized"] for request in seen)
    assert all(request["query"]["per_page"] == "2" for request in seen)
    assert seen[0]["query"]["filter"].startswith("state:open|late|reminded,period:19000101..")


async def test_an_incremental_import_gets_what_changed_after_the_last_one(server: str) -> None:
    source = MoneybirdSource(
        f"{server}/api/v2",
        ADMINISTRATION,
        TOKEN,
        updated_after=datetime(2024, 3, 10, tzinfo=UTC),
    )

    items = await source.fetch()

    assert numbers(items) == ["2024-0002", "2024-0005"]
    paid, new = items
    assert isinstance(paid, SourceRecord) and isinstance(new, SourceRecord)
    assert paid.invoice.open_amount == 0 and not paid.invoice.is_open
    assert new.invoice.invoice_date == date(2024, 3, 15)
    assert new.debtor is not None and new.debtor.name == "Bakkerij Jansen B.V."
    assert not source.complete
    (request,) = requests_seen(server)
    assert request["query"]["filter"].endswith(",updated_after:2024-03-10T00:00:00Z")


async def test_a_wrong_token_is_refused_without_retrying(server: str) -> None:
    source = MoneybirdSource(f"{server}/api/v2", ADMINISTRATION, "not-the-token")

    with pytest.raises(MoneybirdAuthError, match="401") as raised:
        await source.fetch()

    assert "not-the-token" not in str(raised.value)
    assert len(requests_seen(server)) == 1


async def test_rate_limits_and_server_errors_are_ridden_out(server: str) -> None:
    reset(server, [{"status": 429, "retry_after": "0"}, {"status": 503}])
    source = MoneybirdSource(
        f"{server}/api/v2", ADMINISTRATION, TOKEN, retry=RetryPolicy(backoff=0.01)
    )

    items = await source.fetch()

    assert len(items) == 4
    assert len(requests_seen(server)) == 3


async def test_a_server_that_keeps_failing_fails_the_import_clearly(server: str) -> None:
    reset(server, [{"status": 502}] * 3)
    source = MoneybirdSource(
        f"{server}/api/v2", ADMINISTRATION, TOKEN, retry=RetryPolicy(attempts=3, backoff=0.01)
    )

    with pytest.raises(MoneybirdUnavailable, match=r"error \(502\); gave up after 3 attempts"):
        await source.fetch()


async def test_a_server_that_does_not_answer_in_time_fails_the_import(server: str) -> None:
    reset(server, [{"stall": 1.0}] * 2)
    source = MoneybirdSource(
        f"{server}/api/v2",
        ADMINISTRATION,
        TOKEN,
        timeout=0.2,
        retry=RetryPolicy(attempts=2, backoff=0.01),
    )

    with pytest.raises(MoneybirdUnavailable, match=r"did not answer within 0\.2 seconds"):
        await source.fetch()


# -- a connection's scheduled runs --------------------------------------------------------------


def filters_asked(server: str) -> list[str]:
    return [request["query"]["filter"] for request in requests_seen(server)]


async def test_a_daily_connection_asks_for_what_changed_since_its_last_successful_run_began(
    server: str, sqlite_database: str, tmp_path: Path
) -> None:
    async with running_service(
        SERVICE, sqlite_database, inbox_dir=str(tmp_path / "inbox"), scheduler_enabled=False
    ) as harness:
        await harness.administration("adm-1")

        def business_time(moment: datetime) -> ImporterContext:
            ctx: ImporterContext = harness.runtime.app.state.importer
            harness.runtime.app.state.importer = replace(ctx, clock=FixedClock(moment))
            return harness.runtime.app.state.importer  # type: ignore[no-any-return]

        base = "/internal/v1/administrations/adm-1/connections"
        connection = {
            "name": "Moneybird",
            "source_kind": "moneybird",
            "config": {
                "administration_id": ADMINISTRATION,
                "token": TOKEN,
                "base_url": f"{server}/api/v2",
            },
            "schedule": "daily",
            "schedule_time": "06:00:00",
            "time_zone": "Europe/Amsterdam",
        }
        business_time(datetime(2024, 3, 11, 12, 0, tzinfo=UTC))
        saved = await harness.client.put(f"{base}/moneybird", json=connection)
        assert saved.status_code == 200, saved.text
        assert saved.json()["last_success_started_at"] is None

        # Tuesday 06:00 in Amsterdam: the first run reads every open invoice.
        [first] = await run_due_imports(business_time(datetime(2024, 3, 12, 5, 0, tzinfo=UTC)))
        assert first.status == "succeeded", first.error
        assert not any("updated_after" in asked for asked in filters_asked(server))

        # Wednesday: only what changed since Tuesday's run began.
        reset(server)
        [second] = await run_due_imports(business_time(datetime(2024, 3, 13, 5, 0, tzinfo=UTC)))
        assert second.status == "succeeded", second.error
        [asked] = filters_asked(server)
        assert asked.startswith("state:open|late|reminded|paid,")
        assert asked.endswith(",updated_after:2024-03-12T05:00:00Z")

        # Thursday Moneybird refuses the token: the run fails and the mark stays on Wednesday.
        reset(server, [{"status": 401}])
        [third] = await run_due_imports(business_time(datetime(2024, 3, 14, 5, 0, tzinfo=UTC)))
        assert third.status == "failed"
        reset(server)
        [fourth] = await run_due_imports(business_time(datetime(2024, 3, 15, 5, 0, tzinfo=UTC)))
        assert fourth.status == "succeeded", fourth.error
        assert filters_asked(server)[0].endswith(",updated_after:2024-03-13T05:00:00Z")
        [shown] = (await harness.client.get(base)).json()
        assert shown["last_success_started_at"] == "2024-03-15T05:00:00Z"

        # Another configuration is another source: the next run reads everything again.
        connection["config"] = {**connection["config"], "states": "open|late"}
        saved = await harness.client.put(f"{base}/moneybird", json=connection)
        assert saved.json()["last_success_started_at"] is None
        reset(server)
        started = await harness.client.post(f"{base}/moneybird/imports")
        assert started.status_code == 202, started.text
        ctx: ImporterContext = harness.runtime.app.state.importer
        while ctx.tasks:
            await asyncio.gather(*list(ctx.tasks))
        assert not any("updated_after" in asked for asked in filters_asked(server))


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
