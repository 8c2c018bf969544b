"""Moneybird connector against httpx.MockTransport: mapping, pagination and HTTP failures."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from settle_importer.adapters.sources import MoneybirdSource, SourceError
from settle_importer.adapters.sources.moneybird import (
    MoneybirdAuthError,
    MoneybirdError,
    MoneybirdUnavailable,
    RetryPolicy,
    connector_from_config,
    record_from_sales_invoice,
)
from settle_importer.domain import RejectedRecord, SourceRecord

pytestmark = pytest.mark.unit

DATA = Path(__file__).parent.parent / "data" / "moneybird"
BASE = "https://moneybird.test/api/v2"
TOKEN = "mb-secret-token-84ec207ad0154a508f798e615a998ac1"
URL = f"{BASE}/123/sales_invoices.json"

Handler = Callable[[httpx.Request], httpx.Response]


def payload(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def sales_invoice(**overrides: Any) -> dict[str, Any]:
    """The first invoice of the sample page with some fields replaced (``None`` removes one)."""
    invoice = payload("sales_invoices_page_1.json")[0]
    for key, value in overrides.items():
        if value is None:
            invoice.pop(key, None)
        else:
            invoice[key] = value
    return invoice


class Sleeps:
    """Stands in for ``asyncio.sleep`` and remembers how long the source wanted to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class Recorder:
    """A MockTransport handler that answers from a list and remembers each request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


def source(
    handler: Handler,
    sleeps: Sleeps | None = None,
    **options: Any,
) -> MoneybirdSource:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return MoneybirdSource(
        BASE,
        "123",
        TOKEN,
        client=client,
        sleep=sleeps or Sleeps(),
        today=date(2024, 3, 25),
        **options,
    )


def ok(body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(200, json=body, headers=headers)


# -- mapping ---------------------------------------------------------------------------------


async def test_a_page_of_sales_invoices_becomes_records_with_their_debtors() -> None:
    items = await source(Recorder(ok(payload("sales_invoices_page_1.json")))).fetch()

    assert all(isinstance(item, SourceRecord) for item in items)
    late, partly_paid = items
    assert isinstance(late, SourceRecord) and isinstance(partly_paid, SourceRecord)
    invoice = late.invoice
    assert invoice.number == "2024-0001"
    assert invoice.debtor_number == "1001"
    assert invoice.invoice_date == date(2024, 2, 1)
    assert invoice.due_date == date(2024, 3, 2)
    assert invoice.amount == Decimal("121.00")
    assert invoice.open_amount == Decimal("121.00")
    assert invoice.currency == "EUR"
    assert invoice.kind == "invoice"
    assert late.position == "Moneybird page 1 item 1 (id 426664240553657596)"
    debtor = late.debtor
    assert debtor is not None
    assert debtor.number == "1001"
    assert debtor.name == "Bakkerij Jansen B.V."
    assert debtor.type == "business"
    assert debtor.emails == ("facturen@jansen.example", "administratie@jansen.example")
    assert debtor.phone == "020-1234567"
    assert debtor.address_lines == ("Dorpsstraat 1",)
    assert debtor.postal_code == "1234 AB"
    assert debtor.city == "Amsterdam"
    assert debtor.country == "NL"
    assert debtor.language == "nl"

    assert partly_paid.invoice.amount == Decimal("1210.00")
    assert partly_paid.invoice.open_amount == Decimal("610.00")
    consumer = partly_paid.debtor
    assert consumer is not None
    assert consumer.name == "Anna de Vries"
    assert consumer.type == "consumer"
    assert consumer.emails == ("anna.devries@example.nl",)
    assert consumer.address_lines == ("Kerkweg 12", "2e verdieping")
    assert consumer.language == "en"


async def test_a_credit_invoice_is_a_credit_note_and_a_bad_one_is_rejected_with_a_reason() -> None:
    items = await source(Recorder(ok(payload("sales_invoices_page_2.json")))).fetch()

    credit, rejected = items
    assert isinstance(credit, SourceRecord)
    assert credit.invoice.kind == "credit_note"
    assert credit.invoice.amount == Decimal("-60.50")
    assert credit.invoice.open_amount == Decimal("-60.50")
    assert isinstance(rejected, RejectedRecord)
    assert rejected.reference == "2024-0004"
    assert rejected.reason == "due date (due_date) is missing"
    assert rejected.position == "Moneybird page 1 item 2 (id 426664240608183551)"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"invoice_id": None}, "no invoice number (invoice_id)"),
        ({"contact": None}, "the sales invoice has no contact"),
        ({"invoice_date": "01-02-2024"}, "invoice date (invoice_date) '01-02-2024' is not a date"),
        ({"total_price_incl_tax": "twelve"}, "amount (total_price_incl_tax) 'twelve' is not an"),
        ({"total_unpaid": None}, "open amount (total_unpaid) is missing"),
        ({"total_unpaid": "500.0"}, "open amount 500.00 is larger than the invoice amount"),
        ({"total_price_incl_tax": "121.005"}, "has more than two decimals"),
        ({"currency": "EURO"}, "currency 'EURO' is not an ISO 4217 currency code"),
        ({"due_date": "2024-01-01"}, "due date 2024-01-01 is before the invoice date"),
        ({"total_price_incl_tax": {"value": 1}}, "amount (total_price_incl_tax) is not an amount"),
    ],
)
def test_an_unreadable_sales_invoice_is_rejected_not_raised(
    overrides: dict[str, Any], reason: str
) -> None:
    item = record_from_sales_invoice(sales_invoice(**overrides), "Moneybird page 1 item 1")

    assert isinstance(item, RejectedRecord)
    assert reason in item.reason
    if "invoice_id" not in overrides:
        assert item.reference == "2024-0001"


@pytest.mark.parametrize(
    ("contact_overrides", "reason"),
    [
        ({"customer_id": ""}, "debtor number (customer_id) is missing"),
        ({"company_name": "", "firstname": "", "lastname": ""}, "debtor 1001 has no name"),
        ({"email": "not-an-address", "send_invoices_to_email": ""}, "is not an email address"),
        ({"country": "Narnia"}, "country 'Narnia' is not an ISO 3166 two-letter code"),
    ],
)
def test_a_contact_that_cannot_be_a_debtor_rejects_its_invoice(
    contact_overrides: dict[str, Any], reason: str
) -> None:
    invoice = sales_invoice()
    invoice["contact"].update(contact_overrides)

    item = record_from_sales_invoice(invoice, "here")

    assert isinstance(item, RejectedRecord)
    assert reason in item.reason
    assert item.reference == "2024-0001"


def test_what_is_not_an_object_is_rejected() -> None:
    item = record_from_sales_invoice(["2024-0001"], "Moneybird page 3 item 7")

    assert item == RejectedRecord(
        "Moneybird page 3 item 7", None, "the sales invoice is not a JSON object"
    )


# -- the request -----------------------------------------------------------------------------


async def test_a_full_import_asks_for_open_late_and_reminded_invoices_of_all_years() -> None:
    recorder = Recorder(ok([]))
    mb = source(recorder)

    assert await mb.fetch() == []

    (request,) = recorder.requests
    assert request.method == "GET"
    assert request.url.copy_with(query=None) == httpx.URL(URL)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/json"
    assert request.url.params["filter"] == "state:open|late|reminded,period:19000101..20251231"
    assert request.url.params["per_page"] == "100"
    assert request.url.params["page"] == "1"
    assert mb.complete
    assert mb.total == 0


async def test_an_incremental_import_asks_for_changes_in_utc_including_paid_invoices() -> None:
    recorder = Recorder(ok(payload("sales_invoices_updated_after.json")))
    amsterdam = timezone(timedelta(hours=1))
    mb = source(recorder, updated_after=datetime(2024, 3, 10, 1, 0, 0, 123456, tzinfo=amsterdam))

    items = await mb.fetch()

    assert recorder.requests[0].url.params["filter"] == (
        "state:open|late|reminded|paid,period:19000101..20251231,updated_after:2024-03-10T00:00:00Z"
    )
    assert not mb.complete
    paid = items[0]
    assert isinstance(paid, SourceRecord)
    assert paid.invoice.open_amount == Decimal("0.00")
    assert not paid.invoice.is_open


# -- pagination ------------------------------------------------------------------------------


async def test_without_link_headers_pages_are_requested_until_one_is_short() -> None:
    invoices = payload("sales_invoices_page_1.json") + payload("sales_invoices_page_2.json")

    def pages(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        return ok(invoices[(page - 1) * per_page : page * per_page])

    recorder = Recorder(pages)
    items = await source(recorder, per_page=2).fetch()

    assert [r.url.params["page"] for r in recorder.requests] == ["1", "2", "3"]
    assert [
        item.reference if isinstance(item, RejectedRecord) else item.invoice.number
        for item in items
    ] == ["2024-0001", "2024-0002", "2024-0003", "2024-0004"]
    assert items[2].position.startswith("Moneybird page 2 item 1")
    assert all(
        r.url.params["filter"] == recorder.requests[0].url.params["filter"]
        for r in recorder.requests
    )


async def test_link_headers_are_followed_to_the_last_page() -> None:
    first, second = payload("sales_invoices_page_1.json"), payload("sales_invoices_page_2.json")
    next_url = f"{URL}?filter=state%3Aopen&page=2&per_page=2"
    recorder = Recorder(
        ok(first, {"Link": f'<{next_url}>; rel="next", <{next_url}>; rel="last"'}),
        ok(second, {"Link": f'<{URL}?page=1&per_page=2>; rel="prev"'}),
    )

    items = await source(recorder, per_page=2).fetch()

    assert len(items) == 4
    assert len(recorder.requests) == 2  # the full last page has no "next": no third request
    assert str(recorder.requests[1].url) == next_url
    assert recorder.requests[1].headers["authorization"] == f"Bearer {TOKEN}"


async def test_a_next_link_to_another_host_is_not_followed() -> None:
    recorder = Recorder(
        ok(
            payload("sales_invoices_page_1.json"),
            {"Link": '<https://elsewhere.example/steal?page=2>; rel="next"'},
        ),
    )

    with pytest.raises(MoneybirdError, match="another host") as raised:
        await source(recorder).fetch()

    assert len(recorder.requests) == 1
    assert TOKEN not in str(raised.value)


async def test_a_next_link_that_points_back_fails_instead_of_looping() -> None:
    recorder = Recorder(
        ok(payload("sales_invoices_page_1.json"), {"Link": f'<{URL}?page=1>; rel="next"'})
    )

    with pytest.raises(MoneybirdError, match="pages do not end"):
        await source(recorder).fetch()

    assert len(recorder.requests) == 2


# -- HTTP failures ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "words"), [(401, "refused the API token"), (403, "no access")])
async def test_unauthorised_fails_at_once_with_a_clear_error(status: int, words: str) -> None:
    recorder = Recorder(httpx.Response(status, json={"error": f"Token {TOKEN} is invalid"}))
    sleeps = Sleeps()

    with pytest.raises(MoneybirdAuthError, match=words) as raised:
        await source(recorder, sleeps).fetch()

    assert len(recorder.requests) == 1
    assert sleeps.waits == []
    assert raised.value.status == status
    assert isinstance(raised.value, SourceError)
    assert TOKEN not in str(raised.value)


async def test_too_many_requests_waits_as_long_as_retry_after_says_then_goes_on() -> None:
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "Too many requests"}),
        ok(payload("sales_invoices_page_1.json")),
    )
    sleeps = Sleeps()

    items = await source(recorder, sleeps).fetch()

    assert len(items) == 2
    assert sleeps.waits == [7.0]
    assert len(recorder.requests) == 2


async def test_too_many_requests_without_retry_after_backs_off_exponentially() -> None:
    recorder = Recorder(
        httpx.Response(429), httpx.Response(429), ok(payload("sales_invoices_page_1.json"))
    )
    sleeps = Sleeps()

    await source(recorder, sleeps).fetch()

    assert sleeps.waits == [1.0, 2.0]


async def test_a_retry_after_longer_than_the_limit_fails_the_import_now() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()

    with pytest.raises(MoneybirdUnavailable, match="wait 3600 seconds"):
        await source(recorder, sleeps).fetch()

    assert sleeps.waits == []


async def test_server_errors_are_retried_with_backoff_then_fail_clearly() -> None:
    recorder = Recorder(httpx.Response(500, text="Internal Server Error"))
    sleeps = Sleeps()

    with pytest.raises(MoneybirdUnavailable) as raised:
        await source(recorder, sleeps).fetch()

    assert len(recorder.requests) == 5
    assert sleeps.waits == [1.0, 2.0, 4.0, 8.0]
    message = str(raised.value)
    assert "kept answering with an error (500)" in message
    assert "gave up after 5 attempts" in message
    assert TOKEN not in message


async def test_a_server_error_that_passes_costs_nothing_but_a_retry() -> None:
    recorder = Recorder(httpx.Response(503), ok(payload("sales_invoices_page_2.json")))
    sleeps = Sleeps()

    items = await source(recorder, sleeps, retry=RetryPolicy(backoff=0.5)).fetch()

    assert len(items) == 2
    assert sleeps.waits == [0.5]


async def test_a_timeout_is_retried_and_then_reported() -> None:
    recorder = Recorder(httpx.ReadTimeout("timed out"))
    sleeps = Sleeps()

    with pytest.raises(MoneybirdUnavailable, match="did not answer within 30 seconds"):
        await source(recorder, sleeps, retry=RetryPolicy(attempts=3)).fetch()

    assert len(recorder.requests) == 3
    assert sleeps.waits == [1.0, 2.0]


async def test_a_timeout_once_is_survived() -> None:
    recorder = Recorder(httpx.ConnectTimeout("slow"), ok(payload("sales_invoices_page_1.json")))

    assert len(await source(recorder).fetch()) == 2


async def test_a_connection_error_is_retried_and_reported_without_details() -> None:
    recorder = Recorder(httpx.ConnectError(f"refused; header was Bearer {TOKEN}"))

    with pytest.raises(MoneybirdUnavailable, match=r"could not be reached \(ConnectError\)") as e:
        await source(recorder, retry=RetryPolicy(attempts=2)).fetch()

    assert TOKEN not in str(e.value)
    assert e.value.__cause__ is None or TOKEN not in str(e.value.__cause__)


async def test_a_client_error_is_not_retried_and_shows_moneybird_s_reason() -> None:
    recorder = Recorder(httpx.Response(400, json={"error": f"Filter invalid for {TOKEN}"}))

    with pytest.raises(MoneybirdError, match="answered 400 Bad Request: Filter invalid") as e:
        await source(recorder).fetch()

    assert len(recorder.requests) == 1
    assert TOKEN not in str(e.value)
    assert "***" in str(e.value)


@pytest.mark.parametrize(
    ("response", "words"),
    [
        (httpx.Response(200, text="<html>Maintenance</html>"), "is not valid JSON"),
        (httpx.Response(200, text='[{"id": "1", '), "is not valid JSON"),
        (httpx.Response(200, json={"error": "oops"}), "is not a list of invoices"),
    ],
)
async def test_a_malformed_answer_fails_the_import_as_a_whole(
    response: httpx.Response, words: str
) -> None:
    with pytest.raises(MoneybirdError, match=words):
        await source(Recorder(response)).fetch()


async def test_a_malformed_second_page_fails_the_import_and_nothing_is_kept() -> None:
    recorder = Recorder(
        ok(payload("sales_invoices_page_1.json"), {"Link": f'<{URL}?page=2>; rel="next"'}),
        httpx.Response(200, text="not json"),
    )
    mb = source(recorder)

    with pytest.raises(MoneybirdError, match="page 2"):
        await mb.fetch()

    assert mb.total is None


# -- use -------------------------------------------------------------------------------------


async def test_inside_an_event_loop_records_needs_fetch_first() -> None:
    mb = source(Recorder(ok(payload("sales_invoices_page_1.json"))))

    with pytest.raises(RuntimeError, match=r"await source\.fetch\(\)"):
        next(mb.records())

    await mb.fetch()
    assert [item.position for item in mb.records()] == [
        "Moneybird page 1 item 1 (id 426664240553657596)",
        "Moneybird page 1 item 2 (id 426664240570434813)",
    ]
    assert mb.total == 2


def test_outside_an_event_loop_records_fetches_by_itself() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ok(payload("sales_invoices_page_1.json"))

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    mb = MoneybirdSource(BASE, "123", TOKEN, client=client)

    assert len(list(mb.records())) == 2


async def test_records_fetch_by_themselves_in_a_worker_thread() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return ok(payload("sales_invoices_page_2.json"))

    mb = MoneybirdSource(
        BASE, "123", TOKEN, client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )
    records = mb.records()

    items = await asyncio.to_thread(list, records)

    assert len(items) == 2
    assert mb.total == 2


def test_a_connection_configuration_builds_the_source() -> None:
    mb = connector_from_config(
        {
            "administration_id": 123,
            "token": TOKEN,
            "base_url": BASE,
            "updated_after": "2024-03-10T00:00:00Z",
            "states": "open|late",
        }
    )

    assert mb.url == URL
    assert mb.updated_after == datetime(2024, 3, 10, tzinfo=UTC)
    assert mb.states == ("open", "late")
    assert not mb.complete


def test_the_start_of_the_last_successful_run_is_asked_for_in_place_of_the_configured_one():
    config = {"administration_id": "123", "token": TOKEN, "updated_after": "2024-03-10T00:00Z"}
    since = datetime(2024, 3, 12, 5, 0, tzinfo=UTC)

    assert connector_from_config(config, since).updated_after == since
    assert connector_from_config(config).updated_after == datetime(2024, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    "config",
    [
        {"administration_id": "123"},
        {"token": TOKEN},
        {"administration_id": "123", "token": TOKEN, "updated_after": "yesterday"},
        {"administration_id": "123", "token": TOKEN, "updated_after": "2024-03-10T00:00:00"},
    ],
)
def test_an_incomplete_connection_configuration_is_a_source_error(
    config: dict[str, Any],
) -> None:
    with pytest.raises(SourceError, match="Moneybird connection") as raised:
        connector_from_config(config)

    assert TOKEN not in str(raised.value)


def test_the_token_is_not_in_the_repr() -> None:
    mb = MoneybirdSource(BASE, "123", TOKEN)

    assert TOKEN not in repr(mb)
    assert "token='***'" in repr(mb)


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"administration_id": "123/../456"}, "administration id is a number"),
        ({"token": "  "}, "token is required"),
        ({"updated_after": datetime(2024, 3, 1)}, "timezone-aware"),
        ({"base_url": "ftp://moneybird.com"}, "http"),
        ({"per_page": 250}, "per_page"),
        ({"states": ["open", "late;drop"]}, "states"),
    ],
)
def test_a_misconfigured_connection_is_refused_up_front(
    arguments: dict[str, Any], words: str
) -> None:
    values: dict[str, Any] = {"base_url": BASE, "administration_id": "123", "token": TOKEN}
    values.update(arguments)

    with pytest.raises(ValueError, match=words):
        MoneybirdSource(**values)


def test_an_aware_updated_after_in_utc_is_used_as_is() -> None:
    mb = MoneybirdSource(
        BASE, "123", TOKEN, updated_after=datetime(2024, 3, 10, tzinfo=UTC), today=date(2024, 1, 1)
    )

    assert mb.filter().endswith(",period:19000101..20251231,updated_after:2024-03-10T00:00:00Z")
