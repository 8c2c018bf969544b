"""The portal's refusals: a link that is tampered, expired, forged or guessed gets one page
and no hint (and the address is limited), a debtor's link opens nothing of another debtor,
forms need their CSRF token, and a payments service that is down or slow gets a clear page
with nothing stored."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from settle_gateway.adapters.tables import portal_payments
from settle_shared.portal_links import PortalLink, sign_portal_link

from .conftest import ADM, NOW, gateway_with
from .fake_payments import serving_fake_payments
from .test_portal import THREAD, Portal, hidden_fields

pytestmark = pytest.mark.service

MAX_FAILURES = 5  # invalid links from one address before its portal requests are refused


@pytest.fixture
async def portal(template_database: Path, tmp_path: Path) -> AsyncIterator[Portal]:
    async with serving_fake_payments() as fake:
        async with gateway_with(
            template_database,
            tmp_path,
            payments_url=fake.url,
            payments_timeout_s=0.5,
            portal_max_failures_per_address=MAX_FAILURES,
        ) as gateway:
            yield Portal(gateway, fake)


def tampered(path: str) -> str:
    token = path.rsplit("/", 1)[1]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-20] ^= 0x01  # one bit of the last invoice id
    return "/portal/" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


async def stored_payments(portal: Portal) -> int:
    async with portal.gateway.harness.runtime.sessions() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(portal_payments)) or 0
        )


async def test_a_tampered_expired_forged_or_guessed_link_gets_one_page_and_no_hint(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    valid = portal.link()
    forged = "/portal/" + sign_portal_link(
        PortalLink(ADM, "deb-1", ("inv-1",), THREAD, NOW + timedelta(days=1)), b"x" * 32
    )
    bad = {
        "tampered": tampered(valid),
        "expired": portal.link(expires_in=-timedelta(seconds=1)),
        "forged": forged,
        "guessed": "/portal/" + "A" * 60,
        "cut short": valid[:-10],
    }
    assert len(bad) == MAX_FAILURES
    answers = {}
    for kind, path in bad.items():
        page = await portal.page(path)
        assert page.status_code == 404, kind
        answers[kind] = page.text
    assert len(set(answers.values())) == 1  # the same page, whatever was wrong
    [page] = set(answers.values())
    assert "Deze link is niet (meer) geldig" in page
    for word in ("expired", "verlopen", "signature", "handtekening", "tamper"):
        assert word not in page.lower()
    # The limit: past it, every portal request of the address is refused for a while, a
    # valid link too, so a guess cannot be tested.
    limited = await portal.page(valid)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Te veel pogingen" in limited.text
    pay = await portal.client.post(f"{valid}/pay", data={"invoice": "inv-1"})
    assert pay.status_code == 429
    assert portal.payments.requests == []


async def test_every_portal_page_refuses_a_bad_link_the_same_way(portal: Portal) -> None:
    path = tampered(portal.link())
    for method, suffix in [
        ("GET", ""),
        ("POST", "/pay"),
        ("GET", "/return/" + "a" * 64),
        ("GET", "/reply"),
        ("POST", "/reply"),
    ]:
        answer = await portal.client.request(method, f"{path}{suffix}")
        assert answer.status_code == 404, (method, suffix)
        assert "Deze link is niet (meer) geldig" in answer.text


async def test_a_debtors_link_pays_and_shows_nothing_of_another_debtor(portal: Portal) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"), ("inv-9", "deb-2", "999.00"))
    mine = portal.link()
    refused = await portal.pay(mine, ["inv-1", "inv-9"])
    assert refused.status_code == 422
    assert "Een van de gekozen facturen kan hier niet worden betaald." in refused.text
    assert "F-inv-9" not in refused.text
    assert re.search(r'value="inv-1" id="invoice-\d+" checked>', refused.text)  # as chosen
    unknown = await portal.pay(mine, ["inv-404"])
    assert unknown.status_code == 422
    assert portal.payments.requests == []
    # Another debtor's link does not open this debtor's payment either.
    paid = await portal.pay(mine, ["inv-1"])
    assert paid.status_code == 303
    back = urlsplit(portal.payments.requests[0]["redirect_url"]).path
    key = back.rsplit("/", 1)[1]
    theirs = portal.link("deb-2", ("inv-9",))
    other = await portal.page(f"{theirs}/return/{key}")
    assert other.status_code == 404 and "Wij kunnen deze betaling niet vinden." in other.text
    assert "121" not in other.text


async def test_a_form_without_its_csrf_token_does_nothing(portal: Portal) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    path = portal.link()
    fields = hidden_fields((await portal.page(path)).text)
    other_link = hidden_fields((await portal.page(portal.link(invoice_ids=()))).text)
    attempts = {
        "missing": {k: v for k, v in fields.items() if k != "csrf"},
        "wrong": {**fields, "csrf": "0" * 64},
        "of another link": {**fields, "csrf": other_link["csrf"]},
    }
    for kind, form in attempts.items():
        answer = await portal.pay(path, ["inv-1"], form=form)
        assert answer.status_code == 403, kind
        assert "Deze pagina is verlopen" in answer.text
    # The right token from a browser without the portal's cookie: a page of another site
    # that copied the form cannot post it.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=portal.gateway.harness.runtime.app),
        base_url="http://service",
    ) as stranger:
        answer = await stranger.post(f"{path}/pay", data={**fields, "invoice": ["inv-1"]})
        assert answer.status_code == 403
    assert portal.payments.requests == []
    # With the token, it goes through.
    assert (await portal.pay(path, ["inv-1"], form=fields)).status_code == 303


@pytest.mark.parametrize("trouble", ["down", "slow", "gone"])
async def test_a_payments_service_down_or_slow_gets_a_clear_page_and_stores_nothing(
    portal: Portal, trouble: str
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    path = portal.link()
    if trouble == "down":
        portal.payments.down = True
    elif trouble == "slow":
        portal.payments.delay_s = 1.0
    else:
        client = portal.gateway.harness.runtime.app.state.gateway.payments.client
        client.base_url = "http://127.0.0.1:9"  # nothing listens there
    answer = await portal.pay(path, ["inv-1"])
    assert answer.status_code == 503
    assert "Online betalen is nu niet mogelijk" in answer.text
    assert "Er is niets betaald of afgeschreven." in answer.text
    assert await stored_payments(portal) == 0


async def test_an_outcome_that_cannot_be_checked_says_so(portal: Portal) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    path = portal.link()
    await portal.pay(path, ["inv-1"])
    assert await stored_payments(portal) == 1
    back = urlsplit(portal.payments.requests[0]["redirect_url"]).path
    portal.payments.down = True
    page = await portal.page(back)
    assert page.status_code == 503
    assert "Als u heeft betaald, hoeft u niet opnieuw te betalen" in page.text


async def test_a_payment_the_payments_service_refuses_shows_the_page_again(
    portal: Portal,
) -> None:
    await portal.invoices(("inv-1", "deb-1", "121.00"))
    portal.payments.invoices["inv-1"] = ("deb-1", portal.payments.invoices["inv-1"][1] * 0, "EUR")
    answer = await portal.pay(portal.link(), ["inv-1"])
    assert answer.status_code == 409
    assert "Deze facturen kunnen nu niet online worden betaald." in answer.text
    assert 'value="inv-1"' in answer.text  # the list again, to choose from
    assert await stored_payments(portal) == 0
