"""Moneybird: open sales invoices and their contacts, read from Moneybird's REST API v2.

``GET {base_url}/{administration_id}/sales_invoices.json`` with a bearer token, ``per_page=100``
and one ``filter`` parameter whose ``key:value`` pairs are separated by commas and whose
alternatives are separated by a pipe (Moneybird's API documentation, "Sales invoices"):

- ``state:open|late|reminded`` for a full import. Moneybird moves an unpaid invoice to
  ``reminded`` once it sends a reminder itself; leaving that state out would make such invoices
  look settled in a complete list, so it is included by default (``states`` overrides it).
- ``period:19000101..<next year>1231``: without a period Moneybird applies ``this_year``, which
  would hide every open invoice from earlier years.
- ``updated_after:<UTC ISO 8601>`` for an incremental import (exclusive, compared in UTC). An
  incremental import also asks for ``paid`` invoices, so an invoice paid since the last import
  arrives with ``total_unpaid`` 0 and is settled; it is not a complete list of open items
  (``complete`` is ``False``), so nothing is settled for being absent.

Pages are followed through the ``Link`` header (``rel="next"``) when Moneybird sends one, and
otherwise by asking for the next ``page`` until a page holds fewer than ``per_page`` invoices. A
``next`` link to another host is refused, so the token is never sent anywhere but ``base_url``.

HTTP failures: 401/403 fail at once (the token is wrong or lacks access); 429 waits as long as
``Retry-After`` says, 5xx, timeouts and connection errors back off exponentially; after
``RetryPolicy.attempts`` attempts the import fails with ``MoneybirdUnavailable``. Every failure
of the source as a whole is a ``SourceError``: the run fails and nothing of it is applied. The
token never appears in a message, a log line or ``repr``.

One sales invoice that cannot be read becomes a ``RejectedRecord`` and the rest goes on.

Usage from async code (the importer service)::

    source = MoneybirdSource(DEFAULT_BASE_URL, "123", token, updated_after=last_import)
    await source.fetch()                   # all network I/O; raises MoneybirdError
    complete = source.complete             # for Reconciliation(complete=...)
    for item in source.records(): ...      # then a Connector like the file sources

Without an awaited ``fetch()``, ``records()`` fetches by itself on the first ``next()`` when that
runs where no event loop is running: synchronous code, or a worker thread (``asyncio.to_thread``).
``connector_from_config`` builds the source from a connection's stored configuration.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from settle_importer.adapters.sources.base import SourceError
from settle_importer.domain.model import (
    DebtorType,
    ImportedDebtor,
    RejectedRecord,
    SourceItem,
    SourceRecord,
)
from settle_importer.domain.validation import (
    RecordRejected,
    debtor_from_source,
    invoice_from_source,
)
from settle_shared.logs import get_logger

log = get_logger(__name__)

DEFAULT_BASE_URL = "https://moneybird.com/api/v2"
DEFAULT_STATES: tuple[str, ...] = ("open", "late", "reminded")
INCREMENTAL_EXTRA_STATES: tuple[str, ...] = ("paid",)
MAX_PER_PAGE = 100
MAX_PAGES = 10_000  # a million invoices; more means the server keeps sending the same page
EARLIEST_PERIOD = "19000101"

_ADMINISTRATION_ID = re.compile(r"^[0-9]+$")
_STATE = re.compile(r"^[a-z_]+$")
_EMAIL_SEPARATORS = re.compile(r"[;,\s]+")
_USER_AGENT = "Settle-Importer/0.1"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before a Moneybird import fails as a whole.

    The n-th retry after a 5xx, a timeout or a connection error waits
    ``backoff * 2 ** (n - 1)`` seconds, at most ``max_backoff``; a 429 waits what its
    ``Retry-After`` header says (the same backoff when it has none), but a wait longer than
    ``max_retry_after`` fails the import instead: the next scheduled run will do.
    """

    attempts: int = 5
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_retry_after: float = 300.0

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return float(min(self.backoff * 2 ** (retry - 1), self.max_backoff))


class MoneybirdError(SourceError):
    """Moneybird could not be read; the message says why in the user's terms."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class MoneybirdAuthError(MoneybirdError):
    """Moneybird refused the token (401) or its access to the administration (403)."""


class MoneybirdUnavailable(MoneybirdError):
    """Moneybird kept failing, timing out or rate limiting after every retry."""


class MoneybirdSource:
    """Open sales invoices of one Moneybird administration as a ``Connector``.

    ``fetch()`` does the network I/O (all pages, with retries) and keeps the items; ``records()``
    and ``total`` then behave like any other connector. ``client`` is an ``httpx.AsyncClient`` to
    use (it is not closed); without it one is created per fetch with ``timeout`` seconds.
    """

    def __init__(
        self,
        base_url: str,
        administration_id: str,
        token: str,
        updated_after: datetime | None = None,
        client: httpx.AsyncClient | None = None,
        *,
        states: Sequence[str] = DEFAULT_STATES,
        per_page: int = MAX_PER_PAGE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        today: date | None = None,
    ) -> None:
        base = httpx.URL(base_url.rstrip("/"))
        if base.scheme not in ("http", "https") or not base.host:
            raise ValueError("the Moneybird base URL must be an http(s) URL")
        administration_id = str(administration_id).strip()
        if not _ADMINISTRATION_ID.match(administration_id):
            raise ValueError("a Moneybird administration id is a number")
        if not token.strip():
            raise ValueError("a Moneybird API token is required")
        if updated_after is not None and updated_after.utcoffset() is None:
            raise ValueError("updated_after must be a timezone-aware datetime")
        if not states or not all(_STATE.match(state) for state in states):
            raise ValueError("states must be Moneybird invoice states such as open or late")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.base_url = str(base)
        self.administration_id = administration_id
        self.updated_after = updated_after
        self.states = tuple(states)
        self.per_page = per_page
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._token = token.strip()
        self._client = client
        self._sleep = sleep
        self._today = today
        self._items: list[SourceItem] | None = None

    def __repr__(self) -> str:
        return (
            f"MoneybirdSource(base_url={self.base_url!r}, "
            f"administration_id={self.administration_id!r}, token='***', "
            f"updated_after={self.updated_after!r})"
        )

    @property
    def name(self) -> str:
        """How the source is shown to users."""
        return f"Moneybird administration {self.administration_id}"

    @property
    def complete(self) -> bool:
        """Whether the result is a complete list of open items: only for a full import."""
        return self.updated_after is None

    @property
    def total(self) -> int | None:
        """Records read, once ``fetch()`` has run; ``None`` before."""
        return None if self._items is None else len(self._items)

    def content_digest(self) -> None:
        """Unknown: an API is read incrementally (``updated_after``), never compared whole."""
        return None

    @property
    def url(self) -> str:
        """The sales invoices endpoint of the administration."""
        return f"{self.base_url}/{self.administration_id}/sales_invoices.json"

    def filter(self) -> str:
        """The value of Moneybird's ``filter`` query parameter for this import."""
        states = list(self.states)
        if self.updated_after is not None:
            states += [s for s in INCREMENTAL_EXTRA_STATES if s not in states]
        today = self._today or datetime.now(UTC).date()
        parts = [
            f"state:{'|'.join(states)}",
            f"period:{EARLIEST_PERIOD}..{today.year + 1}1231",
        ]
        if self.updated_after is not None:
            moment = self.updated_after.astimezone(UTC).replace(microsecond=0)
            parts.append(f"updated_after:{moment.strftime('%Y-%m-%dT%H:%M:%SZ')}")
        return ",".join(parts)

    async def fetch(self) -> list[SourceItem]:
        """Read every page; return (and keep, for ``records()``) the records and rejections.

        Raises ``MoneybirdError`` (a ``SourceError``) when Moneybird cannot be read as a whole.
        """
        items = [item async for item in self.iter_items()]
        self._items = items
        return items

    def records(self) -> Iterator[SourceItem]:
        """The items ``fetch()`` read, as a lazy iterator.

        When ``fetch()`` has not been awaited, the first ``next()`` fetches with
        ``asyncio.run``: that works in a thread without an event loop (a worker thread, the
        command line), not in the event loop's own thread, where ``await fetch()`` comes first.
        """
        if self._items is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                asyncio.run(self.fetch())
            else:
                raise RuntimeError(
                    "MoneybirdSource.records() needs the data first: await source.fetch() "
                    "before reading records inside an event loop"
                )
        assert self._items is not None
        yield from self._items

    async def iter_items(self) -> AsyncIterator[SourceItem]:
        """Read page by page, yielding each record or rejected record as its page arrives."""
        if self._client is not None:
            async for item in self._pages(self._client):
                yield item
            return
        async with httpx.AsyncClient(timeout=self._timeout(), follow_redirects=False) as client:
            async for item in self._pages(client):
                yield item

    # -- HTTP --------------------------------------------------------------------------------

    def _timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))

    async def _pages(self, client: httpx.AsyncClient) -> AsyncIterator[SourceItem]:
        base = httpx.URL(self.base_url)
        url = httpx.URL(self.url)
        params: dict[str, str | int] | None = {
            "filter": self.filter(),
            "per_page": self.per_page,
            "page": 1,
        }
        page = 1
        seen: set[str] = set()
        while True:
            key = str(url.copy_merge_params(params) if params else url)
            if key in seen or page > MAX_PAGES:
                raise MoneybirdError(f"{self.name}: the pages do not end (page {page})")
            seen.add(key)
            response = await self._get(client, url, params)
            invoices = self._decode(response, page)
            for index, raw in enumerate(invoices, start=1):
                yield record_from_sales_invoice(raw, f"Moneybird page {page} item {index}")
            log.info(
                "moneybird page read",
                moneybird_administration=self.administration_id,
                page=page,
                invoices=len(invoices),
            )
            if not invoices:
                return
            if "link" in response.headers:
                following = response.links.get("next", {}).get("url")
                if not following:
                    return
                url = response.url.join(following)
                if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
                    raise MoneybirdError(
                        f"{self.name}: the next page is on another host ({url.host}); "
                        "it was not followed"
                    )
                params = None
            elif len(invoices) < self.per_page:
                return
            else:
                params = {"filter": self.filter(), "per_page": self.per_page, "page": page + 1}
                url = httpx.URL(self.url)
            page += 1

    async def _get(
        self, client: httpx.AsyncClient, url: httpx.URL, params: Mapping[str, str | int] | None
    ) -> httpx.Response:
        policy = self.retry
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        for attempt in range(1, policy.attempts + 1):
            retry_after: float | None = None
            try:
                response = await client.get(
                    url, params=params, headers=headers, timeout=self._timeout()
                )
            except httpx.TimeoutException:
                problem = f"did not answer within {self.timeout:g} seconds"
            except httpx.TransportError as error:
                problem = f"could not be reached ({type(error).__name__})"
            else:
                status = response.status_code
                if status in (401, 403):
                    raise MoneybirdAuthError(self._auth_message(status), status)
                if status == 429:
                    problem = "kept rate limiting the import (429 Too Many Requests)"
                    retry_after = _retry_after(response)
                    if retry_after is not None and retry_after > policy.max_retry_after:
                        raise MoneybirdUnavailable(
                            f"{self.name}: Moneybird asks to wait {retry_after:.0f} seconds "
                            "before the next request (rate limit); the import will be tried "
                            "again on its next run",
                            status,
                        )
                elif status >= 500:
                    problem = f"kept answering with an error ({status})"
                    retry_after = _retry_after(response)
                elif status >= 300:
                    raise MoneybirdError(
                        f"{self.name}: Moneybird answered {status} "
                        f"{response.reason_phrase}{self._detail(response)}",
                        status,
                    )
                else:
                    return response
            if attempt == policy.attempts:
                raise MoneybirdUnavailable(
                    f"{self.name}: Moneybird {problem}; gave up after {policy.attempts} attempts"
                )
            wait = policy.wait(attempt) if retry_after is None else retry_after
            log.warning(
                "moneybird request failed; retrying",
                moneybird_administration=self.administration_id,
                problem=problem,
                attempt=attempt,
                wait_seconds=wait,
            )
            await self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _auth_message(self, status: int) -> str:
        if status == 401:
            return (
                f"{self.name}: Moneybird refused the API token (401 Unauthorized); "
                "create a new token in Moneybird and save it with the connection"
            )
        return (
            f"{self.name}: the API token has no access to this administration's sales "
            "invoices (403 Forbidden); check the administration id and the token's permissions"
        )

    def _detail(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        message = body.get("error") if isinstance(body, dict) else None
        if not isinstance(message, str) or not message.strip():
            return ""
        return f": {self._redact(message.strip()[:200])}"

    def _redact(self, text: str) -> str:
        return text.replace(self._token, "***")

    def _decode(self, response: httpx.Response, page: int) -> list[Any]:
        try:
            body = response.json()
        except ValueError:
            raise MoneybirdError(
                f"{self.name}: page {page} of the sales invoices is not valid JSON; "
                "Moneybird or a proxy in between answered with something else"
            ) from None
        if not isinstance(body, list):
            raise MoneybirdError(
                f"{self.name}: page {page} of the sales invoices is not a list of invoices"
            )
        return body


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date); ``None`` without one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = (moment - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def connector_from_config(
    config: Mapping[str, Any], changed_since: datetime | None = None
) -> MoneybirdSource:
    """Build the source from a connection's stored configuration.

    Keys: ``administration_id`` (Moneybird's, a number) and ``token`` (required); ``base_url``
    (default ``DEFAULT_BASE_URL``), ``updated_after`` (ISO 8601 with a time zone, for an
    incremental import), ``states`` (list of Moneybird states) and ``timeout`` (seconds).
    ``changed_since``, when the connection had a successful run, is when that run began: it
    is the ``updated_after`` asked for, in place of the configured one.
    Raises ``SourceError`` when the configuration cannot make a connection.
    """
    try:
        administration_id = _text(config.get("administration_id"))
        token = config.get("token")
        if not administration_id or not isinstance(token, str) or not token.strip():
            raise ValueError("the connection needs a Moneybird administration id and API token")
        raw_after = config.get("updated_after")
        updated_after = changed_since
        if updated_after is None and raw_after:
            updated_after = datetime.fromisoformat(str(raw_after).replace("Z", "+00:00"))
        states = config.get("states") or DEFAULT_STATES
        if isinstance(states, str):
            states = [part.strip() for part in states.split("|")]
        return MoneybirdSource(
            str(config.get("base_url") or DEFAULT_BASE_URL),
            administration_id,
            token,
            updated_after,
            states=tuple(str(state) for state in states),
            timeout=float(config.get("timeout") or 30.0),
        )
    except (TypeError, ValueError) as error:
        raise MoneybirdError(f"Moneybird connection: {error}") from None


# -- mapping ---------------------------------------------------------------------------------


def record_from_sales_invoice(raw: Any, position: str) -> SourceRecord | RejectedRecord:
    """Turn one Moneybird sales invoice (with its embedded ``contact``) into a record.

    Mapping: ``invoice_id`` is the number, ``invoice_date``, ``due_date``,
    ``total_price_incl_tax`` the amount, ``total_unpaid`` the open amount, ``currency``; a
    negative total (a credit invoice) makes a credit note. The contact's ``customer_id`` is the
    debtor number, ``company_name`` (a business) or ``firstname`` + ``lastname`` (a consumer) the
    name, ``send_invoices_to_email`` and ``email`` the emails, and ``phone``, ``address1``,
    ``address2``, ``zipcode``, ``city`` and ``country`` the rest; the invoice's ``language``
    becomes the debtor's. Anything unreadable gives a ``RejectedRecord`` with the reason.
    """
    if not isinstance(raw, Mapping):
        return RejectedRecord(position, None, "the sales invoice is not a JSON object")
    if raw.get("id") is not None:
        position = f"{position} (id {_text(raw.get('id'))})"
    number = _text(raw.get("invoice_id"))
    try:
        if not number:
            raise RecordRejected(
                "the sales invoice has no invoice number (invoice_id); is it still a draft?"
            )
        contact = raw.get("contact")
        if not isinstance(contact, Mapping):
            raise RecordRejected("the sales invoice has no contact")
        invoice = invoice_from_source(
            number=number,
            debtor_number=_required_text(contact, "customer_id", "debtor number"),
            invoice_date=_date(raw, "invoice_date", "invoice date"),
            due_date=_date(raw, "due_date", "due date"),
            amount=_amount(raw, "total_price_incl_tax", "amount"),
            open_amount=_amount(raw, "total_unpaid", "open amount"),
            currency=_required_text(raw, "currency", "currency"),
        )
        debtor = debtor_from_contact(contact, language=_text(raw.get("language")) or None)
    except RecordRejected as rejected:
        return RejectedRecord(position, rejected.reference or number or None, rejected.reason)
    return SourceRecord(position, invoice, debtor)


def debtor_from_contact(contact: Mapping[str, Any], language: str | None = None) -> ImportedDebtor:
    """Build the debtor from a Moneybird contact, or raise ``RecordRejected``."""
    company = _text(contact.get("company_name"))
    person = " ".join(
        part for part in (_text(contact.get("firstname")), _text(contact.get("lastname"))) if part
    )
    debtor_type: DebtorType = "business" if company else "consumer"
    emails = [
        email
        for key in ("send_invoices_to_email", "email")
        for email in _EMAIL_SEPARATORS.split(_text(contact.get(key)))
    ]
    return debtor_from_source(
        number=_required_text(contact, "customer_id", "debtor number"),
        name=company or person,
        type=debtor_type,
        emails=emails,
        phone=_text(contact.get("phone")),
        address_lines=[_text(contact.get("address1")), _text(contact.get("address2"))],
        postal_code=_text(contact.get("zipcode")),
        city=_text(contact.get("city")),
        country=_text(contact.get("country")),
        language=language,
    )


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    return ""


def _required_text(data: Mapping[str, Any], key: str, what: str) -> str:
    text = _text(data.get(key))
    if not text:
        raise RecordRejected(f"{what} ({key}) is missing")
    return text


def _amount(data: Mapping[str, Any], key: str, what: str) -> Decimal:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordRejected(f"{what} ({key}) is missing")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordRejected(f"{what} ({key}) is not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise RecordRejected(f"{what} ({key}) '{value}' is not an amount") from None
    if not amount.is_finite():
        raise RecordRejected(f"{what} ({key}) '{value}' is not an amount")
    return amount


def _date(data: Mapping[str, Any], key: str, what: str) -> date:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise RecordRejected(f"{what} ({key}) is missing")
    if not isinstance(value, str):
        raise RecordRejected(f"{what} ({key}) is not a date")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RecordRejected(f"{what} ({key}) '{value}' is not a date like 2024-03-31") from None
