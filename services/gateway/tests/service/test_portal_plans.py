"""Payment plans in the debtor portal: the debtor proposes a plan for their open invoices
(dunning, the real service, registers it for the link's debtor and holds the invoices), a
tampered link or bad input proposes nothing; the link in an instalment's reminder opens a page
that pays what is left of that instalment through the payments service (a stand-in)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from settle_dunning.app import SERVICE as DUNNING
from settle_shared.events.plans import PaymentPlanStarted, PlanInstalment
from settle_shared.testing.service import ServiceHarness, running_service

from .conftest import ADM
from .test_portal import Portal, hidden_fields, portal  # noqa: F401 (fixture)

pytestmark = pytest.mark.service


@pytest.fixture
async def dunning(portal: Portal, tmp_path: Path) -> AsyncIterator[ServiceHarness]:  # noqa: F811
    """The real dunning service behind the gateway's client of it."""
    async with running_service(
        DUNNING, f"sqlite+aiosqlite:///{tmp_path / 'dunning.db'}", daily_run_enabled=False
    ) as harness:
        await harness.administration(ADM)
        upstreams = portal.gateway.harness.runtime.app.state.gateway.upstreams
        old = upstreams.clients["dunning"]
        upstreams.clients["dunning"] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=harness.runtime.app),
            base_url="http://dunning",
            headers={"Authorization": old.headers["Authorization"]},
        )
        await old.aclose()
        yield harness


async def _invoices(portal: Portal, dunning: ServiceHarness) -> None:  # noqa: F811
    """Two open invoices of deb-1 and one of deb-2, in the read model and in dunning."""
    for debtor in ("deb-1", "deb-2"):
        await dunning.deliver(await portal.gateway.debtor(debtor), administration_id=ADM)
    for invoice_id, debtor in (("inv-1", "deb-1"), ("inv-2", "deb-1"), ("inv-9", "deb-2")):
        fact = await portal.gateway.invoice(invoice_id, debtor_id=debtor, amount="300.00")
        await dunning.deliver(fact, administration_id=ADM)


async def _proposals(dunning: ServiceHarness) -> list[dict[str, Any]]:
    answer = await dunning.client.get(
        f"/internal/v1/administrations/{ADM}/plans", params={"status": "requested"}
    )
    return list(answer.json()["items"])


def _first_date() -> str:
    return (date.today() + timedelta(days=14)).isoformat()  # dunning runs on the real clock


async def _propose(portal: Portal, path: str, **fields: Any) -> httpx.Response:  # noqa: F811
    form = hidden_fields((await portal.page(f"{path}/plan")).text)
    body = {"instalments": "3", "first_date": _first_date(), "invoice": ["inv-1"], **form}
    body.update(fields)
    return await portal.client.post(f"{path}/plan", data=body)


async def test_a_debtor_proposes_a_plan_that_waits_for_a_person(
    portal: Portal,  # noqa: F811
    dunning: ServiceHarness,
) -> None:
    await _invoices(portal, dunning)
    path = portal.link()
    page = await portal.page(path)
    assert f'href="{path}/plan?lang=nl"' in page.text  # offered beside the pay button
    form = await portal.page(f"{path}/plan")
    assert form.status_code == 200 and "Een betalingsregeling voorstellen" in form.text
    assert "F-inv-1" in form.text and "F-inv-9" not in form.text

    sent = await _propose(
        portal, path, invoice=["inv-1", "inv-2"], reason="Mijn salaris komt op de 25e"
    )

    assert sent.status_code == 200, sent.text
    assert "Bedankt voor uw voorstel" in sent.text
    [proposal] = await _proposals(dunning)
    assert proposal["debtor_id"] == "deb-1" and proposal["invoice_ids"] == ["inv-1", "inv-2"]
    assert proposal["kind"] == "monthly" and len(proposal["instalments"]) == 3
    assert proposal["covered_amount"] == "600.00" and proposal["proposed_by"] == "debtor"
    assert proposal["reason"] == "Mijn salaris komt op de 25e"
    invoice = await dunning.client.get(f"/internal/v1/administrations/{ADM}/invoices/inv-1")
    assert invoice.json()["blocked_by"] == "payment_plan_requested"


async def test_a_tampered_link_proposes_nothing(
    portal: Portal,  # noqa: F811
    dunning: ServiceHarness,
) -> None:
    await _invoices(portal, dunning)
    path = portal.link()
    form = hidden_fields((await portal.page(f"{path}/plan")).text)
    token = path.rsplit("/", 1)[1]
    tampered = f"/portal/{token[:-3]}{'AAA' if not token.endswith('AAA') else 'BBB'}"
    answer = await portal.client.post(
        f"{tampered}/plan",
        data={**form, "invoice": ["inv-1"], "instalments": "3", "first_date": _first_date()},
    )
    assert answer.status_code == 404
    assert "niet (meer) geldig" in answer.text
    # Another debtor's link cannot propose for deb-1's invoice either: dunning refuses.
    other = portal.link("deb-2", ("inv-9",))
    refused = await _propose(portal, other, invoice=["inv-1"])
    assert refused.status_code == 409
    assert "kan nu geen regeling worden voorgesteld" in refused.text
    assert await _proposals(dunning) == []


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"invoice": []}, 422, "Kies ten minste één factuur"),
        ({"first_date": "2020-01-01"}, 422, "Controleer de datum"),
        ({"first_date": "morgen"}, 422, "Controleer de datum"),
        ({"instalments": "13"}, 422, "Controleer de datum"),
        ({"csrf": "forged"}, 403, ""),
    ],
)
async def test_a_bad_proposal_is_refused_and_nothing_is_proposed(
    portal: Portal,  # noqa: F811
    dunning: ServiceHarness,
    fields: dict[str, Any],
    status: int,
    says: str,
) -> None:
    await _invoices(portal, dunning)
    answer = await _propose(portal, portal.link(), **fields)
    assert answer.status_code == status, answer.text
    assert says in answer.text
    assert await _proposals(dunning) == []


async def test_an_instalments_link_pays_what_is_left_of_it(
    portal: Portal,  # noqa: F811
) -> None:
    await portal.invoices(("inv-1", "deb-1", "300.00"))
    await portal.gateway.deliver(
        PaymentPlanStarted(
            administration_id=ADM,
            plan_id="plan-1",
            version=2,
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            status="active",
            kind="monthly",
            proposed_by="user",
            currency="EUR",
            covered_amount=Decimal("300.00"),
            paid_amount=Decimal("120.00"),
            left_amount=Decimal("180.00"),
            instalments=[
                PlanInstalment(
                    number=n,
                    due_on=date(2025, 3 + n, 1),
                    amount=Decimal("100.00"),
                    paid_amount=Decimal(paid),
                    status="paid" if paid == "100.00" else "open",
                )
                for n, paid in ((1, "100.00"), (2, "20.00"), (3, "0.00"))
            ],
            created_on=date(2025, 3, 20),
            started_on=date(2025, 3, 20),
        )
    )
    portal.payments.plans["plan-1"] = ("deb-1", {1: Decimal(0), 2: Decimal("80.00")})
    path = portal.link()
    page = await portal.page(f"{path}/plans/plan-1/instalments/2")
    assert page.status_code == 200, page.text
    assert "Termijn 2 van uw betalingsregeling" in page.text
    assert re.search(r"80,00", page.text.replace("\xa0", " "))
    paid = await portal.page(f"{path}/plans/plan-1/instalments/1")
    assert "Deze termijn is betaald" in paid.text and "/pay" not in paid.text

    fields = hidden_fields(page.text)
    answer = await portal.client.post(f"{path}/plans/plan-1/instalments/2/pay", data=fields)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith(portal.payments.url + "/checkout/")
    [request] = portal.payments.requests
    assert (request["plan_id"], request["instalment"], request["debtor_id"]) == (
        "plan-1",
        2,
        "deb-1",
    )
    assert "amount" not in request  # the amount is the payments service's to know

    # Another debtor's link opens nothing of this plan.
    other = portal.link("deb-2", ())
    assert (await portal.page(f"{other}/plans/plan-1/instalments/2")).status_code == 404


async def _offer(dunning: ServiceHarness) -> None:
    """Open amounts of 200.00 to 2,000.00: up to 3 monthly instalments, the first within 30
    days."""
    answer = await dunning.client.put(
        f"/internal/v1/administrations/{ADM}/plan-offers",
        json={
            "offers": [
                {"min_open_amount": "200.00", "max_open_amount": "2000.00", "max_instalments": 3}
            ]
        },
    )
    assert answer.status_code == 200, answer.text


async def _plans(dunning: ServiceHarness) -> list[dict[str, Any]]:
    answer = await dunning.client.get(f"/internal/v1/administrations/{ADM}/plans")
    return list(answer.json()["items"])


async def test_the_offer_is_shown_and_a_plan_within_it_starts_at_once(
    portal: Portal,  # noqa: F811
    dunning: ServiceHarness,
) -> None:
    await _invoices(portal, dunning)
    path = portal.link()
    without = await portal.page(f"{path}/plan")
    assert "Ons aanbod" not in without.text
    await _offer(dunning)

    form = await portal.page(f"{path}/plan")

    offer = re.search(r'<p id="plan-offer">(.*?)</p>', form.text.replace("\xa0", " "), re.S)
    assert offer is not None and "Ons aanbod" in form.text
    assert "600,00" in offer.group(1) and "ten hoogste 3 maandelijkse" in offer.group(1)
    sent = await _propose(portal, path, invoice=["inv-1", "inv-2"], instalments="3")
    assert sent.status_code == 200, sent.text
    assert "Uw betalingsregeling is ingegaan" in sent.text
    [plan] = await _plans(dunning)
    assert plan["status"] == "active" and plan["proposed_by"] == "debtor"
    assert plan["covered_amount"] == "600.00" and len(plan["instalments"]) == 3
    invoice = await dunning.client.get(f"/internal/v1/administrations/{ADM}/invoices/inv-2")
    assert invoice.json()["blocked_by"] == "payment_plan_active"


async def test_a_tampered_form_outside_the_offer_is_a_proposal_or_refused(
    portal: Portal,  # noqa: F811
    dunning: ServiceHarness,
) -> None:
    await _invoices(portal, dunning)
    await _offer(dunning)
    path = portal.link()

    # More instalments than the form offers at all: refused, nothing proposed.
    refused = await _propose(portal, path, instalments="20")
    assert refused.status_code == 422 and "Controleer de datum" in refused.text
    assert await _plans(dunning) == []
    # Six instalments are more than offered: a proposal that waits for a person.
    sent = await _propose(portal, path, invoice=["inv-1", "inv-2"], instalments="6")
    assert sent.status_code == 200, sent.text
    assert "Bedankt voor uw voorstel" in sent.text
    [plan] = await _plans(dunning)
    assert plan["status"] == "requested" and len(plan["instalments"]) == 6
