"""The dashboard's series: what was invoiced, the open amount, DSO and aging per month, as the
events move the invoices and the business month turns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import importer

from .conftest import ADM, Gateway

pytestmark = pytest.mark.service

SERIES = f"/api/v1/administrations/{ADM}/dashboard/series"


async def imported(
    gateway: Gateway, invoice_id: str, invoiced: date, due: date, amount: str, currency: str
) -> None:
    await gateway.deliver(
        importer.InvoiceImported(
            administration_id=ADM,
            invoice_id=invoice_id,
            number=f"F-{invoice_id}",
            version=gateway._version(f"{ADM}/{invoice_id}"),
            run_id="run-1",
            debtor_id="deb-1",
            debtor_number="Ddeb-1",
            invoice_date=invoiced,
            due_date=due,
            amount=Decimal(amount),
            open_amount=Decimal(amount),
            currency=currency,
        )
    )


async def series(gateway: Gateway, email: str = "alice@a.example") -> dict[str, Any]:
    response = await gateway.get(SERIES, email)
    assert response.status_code == 200, response.text
    return dict(response.json())


def months_of(body: dict[str, Any], currency: str) -> dict[str, dict[str, Any]]:
    """The points of one currency by month ("2025-01"), without the months with nothing."""
    (found,) = [s for s in body["series"] if s["currency"] == currency]
    return {p["month"][:7]: p for p in found["months"]}


def aging(point: dict[str, Any]) -> dict[str, str]:
    return {bucket["bucket"]: bucket["total"] for bucket in point["aging"]}


async def test_the_series_follow_the_invoices_as_the_months_turn(gateway: Gateway) -> None:
    await gateway.debtor()
    gateway.at(datetime(2025, 1, 15, 9, tzinfo=UTC))
    await imported(gateway, "inv-1", date(2025, 1, 10), date(2025, 2, 9), "1000.00", "EUR")
    await imported(gateway, "inv-2", date(2024, 12, 5), date(2025, 1, 4), "500.00", "EUR")

    # February: the first batch writes what was open at the end of January, then settles
    # inv-2 and brings a dollar invoice.
    gateway.at(datetime(2025, 2, 10, 9, tzinfo=UTC))
    await gateway.settled("inv-2")
    await imported(gateway, "inv-3", date(2025, 2, 5), date(2025, 3, 7), "2000.00", "USD")

    # March 20th, before any event of March: February's end is what is open now.
    gateway.at(datetime(2025, 3, 20, 9, tzinfo=UTC))
    body = await series(gateway)
    assert body["business_date"] == "2025-03-20"
    assert len(body["months"]) == 18
    assert (body["months"][0], body["months"][-1]) == ("2023-10-01", "2025-03-01")
    assert [s["currency"] for s in body["series"]] == ["EUR", "USD"]
    eur = months_of(body, "EUR")
    assert len(eur) == 18
    # December's end came before the gateway saw any invoice: its open amount is unknown.
    december = eur["2024-12"]
    assert (december["invoiced"], december["open"], december["dso"]) == ("500.00", None, None)
    january = eur["2025-01"]
    assert (january["cut"], january["complete"]) == ("2025-01-31", True)
    assert (january["invoiced"], january["open"]) == ("1000.00", "1500.00")
    assert january["open_count"] == 2
    assert aging(january) == {"not_due": "1000.00", "1-30": "500.00"}
    # DSO: 1500 open / 1500 invoiced from November to January x 92 days.
    assert (january["dso"], january["dso_invoiced"], january["dso_days"]) == ("92.0", "1500.00", 92)
    february = eur["2025-02"]
    assert (february["invoiced"], february["open"]) == ("0.00", "1000.00")
    assert aging(february) == {"1-30": "1000.00"}
    assert february["dso"] == "60.0"  # 1000 / 1500 (December to February) x 90 days
    march = eur["2025-03"]
    assert (march["cut"], march["complete"], march["open"]) == ("2025-03-20", False, "1000.00")
    assert aging(march) == {"31-60": "1000.00"}
    assert months_of(body, "USD")["2025-02"]["aging"] == [
        {"bucket": "not_due", "count": 1, "total": "2000.00"}
    ]

    # A payment booked in March changes March, not the end of February.
    await gateway.changed("inv-1", "400.00", previous="1000.00")
    eur = months_of(await series(gateway), "EUR")
    assert (eur["2025-02"]["open"], eur["2025-03"]["open"]) == ("1000.00", "400.00")
    assert eur["2025-03"]["dso"] == "31.6"  # 400 / 1000 (January to March 20th) x 79 days
    assert eur["2025-01"]["open"] == "1500.00"

    # A month later with nothing happening: March's end is what is open, April runs on.
    gateway.at(datetime(2025, 4, 2, 9, tzinfo=UTC))
    eur = months_of(await series(gateway), "EUR")
    assert (eur["2025-03"]["cut"], eur["2025-03"]["open"]) == ("2025-03-31", "400.00")
    assert aging(eur["2025-04"]) == {"31-60": "400.00"}
    assert eur["2025-04"]["invoiced"] == "0.00"


async def test_a_month_with_nothing_invoiced_has_no_dso_and_nothing_open_is_zero(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    gateway.at(datetime(2025, 1, 15, 9, tzinfo=UTC))
    await imported(gateway, "inv-1", date(2024, 6, 1), date(2024, 7, 1), "80.00", "EUR")
    gateway.at(datetime(2025, 2, 3, 9, tzinfo=UTC))
    await gateway.settled("inv-1")
    gateway.at(datetime(2025, 3, 3, 9, tzinfo=UTC))
    await gateway.debtor("deb-2")  # a batch in March: February's end is written
    eur = months_of(await series(gateway), "EUR")
    assert (eur["2025-01"]["open"], eur["2025-01"]["dso"]) == ("80.00", None)
    assert aging(eur["2025-01"]) == {">90": "80.00"}
    assert (eur["2025-02"]["open"], eur["2025-02"]["aging"]) == ("0.00", [])
    assert eur["2024-06"]["invoiced"] == "80.00"


async def test_every_role_reads_the_series_of_its_own_administration_only(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await imported(gateway, "inv-1", date(2025, 3, 1), date(2025, 3, 31), "10.00", "EUR")
    for email in ("sam@a.example", "cora@a.example", "rita@a.example"):
        assert months_of(await series(gateway, email), "EUR")["2025-03"]["open"] == "10.00"
    other = await gateway.get(SERIES, "bob@b.example")
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    anonymous = await gateway.client.get(SERIES, headers={"Authorization": ""})
    assert anonymous.status_code == 401


async def test_the_running_month_shows_what_is_open_when_the_clock_is_set_back(
    gateway: Gateway,
) -> None:
    await gateway.debtor()  # projected on March 20th: followed from the end of February
    await imported(gateway, "inv-1", date(2025, 1, 6), date(2025, 2, 5), "10.00", "EUR")
    gateway.at(datetime(2025, 2, 14, 9, tzinfo=UTC))  # a demo's business clock, set back
    february = months_of(await series(gateway), "EUR")["2025-02"]
    assert (february["cut"], february["open"]) == ("2025-02-14", "10.00")
    assert aging(february) == {"1-30": "10.00"}
