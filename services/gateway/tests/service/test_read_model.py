"""The read model: projected idempotently from the events, queried by the UI API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import dunning, importer

from .conftest import ADM, NOW, Gateway

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def _phases(dashboard: dict[str, Any]) -> dict[str, tuple[int, str]]:
    return {p["phase"]: (p["count"], p["total"]) for p in dashboard["phases"]}


async def test_imported_invoices_show_on_the_dashboard_per_phase(gateway: Gateway) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1", amount="121.00", due=date(2025, 3, 3))
    await gateway.invoice("inv-2", amount="100.00", due=date(2025, 4, 1))
    await gateway.invoice("inv-3", amount="50.50", due=date(2024, 11, 1))
    await gateway.phase("inv-1", "reminder_1")
    dashboard = await gateway.dashboard()
    assert _phases(dashboard) == {"new": (2, "150.50"), "reminder_1": (1, "121.00")}
    assert dashboard["open"] == [{"currency": "EUR", "count": 3, "total": "271.50"}]
    assert dashboard["overdue"] == [{"currency": "EUR", "count": 2, "total": "171.50"}]
    aging = {b["bucket"]: (b["count"], b["total"]) for b in dashboard["aging"]}
    assert aging == {"not_due": (1, "100.00"), "1-30": (1, "121.00"), ">90": (1, "50.50")}
    assert dashboard["business_date"] == "2025-03-20"


async def test_payments_and_settlements_move_the_totals(gateway: Gateway) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1", amount="121.00")
    await gateway.invoice("inv-2", amount="100.00")
    await gateway.changed("inv-1", "21.00")
    await gateway.settled("inv-2")
    dashboard = await gateway.dashboard()
    assert _phases(dashboard) == {"new": (1, "21.00")}
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["open_invoices"] == 1
    assert debtor["open_totals"] == [{"currency": "EUR", "count": 1, "total": "21.00"}]


async def test_a_redelivered_event_changes_nothing(gateway: Gateway) -> None:
    await gateway.debtor()
    fact = await gateway.invoice("inv-1")
    await gateway.deliver(fact, event_id="same-id")
    await gateway.deliver(fact, event_id="same-id")
    await gateway.deliver(fact)  # a new event id, but not a newer version
    assert _phases(await gateway.dashboard()) == {"new": (1, "121.00")}


async def test_an_older_fact_never_overwrites_a_newer_one(gateway: Gateway) -> None:
    await gateway.debtor()
    imported = await gateway.invoice("inv-1", version=1)
    await gateway.deliver(
        importer.InvoiceChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=3,
            run_id="r",
            open_amount="10.00",
            previous_open_amount="121.00",
            currency="EUR",
        )
    )
    await gateway.deliver(
        importer.InvoiceChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=2,
            run_id="r",
            open_amount="60.00",
            previous_open_amount="121.00",
            currency="EUR",
        )
    )
    await gateway.deliver(imported)
    invoice = (await gateway.get(f"{API}/invoices/inv-1")).json()
    assert invoice["open_amount"] == "10.00"
    # Dunning's events are ordered by their time: a late older phase is ignored.
    gateway.at(NOW + timedelta(hours=2))
    await gateway.phase("inv-1", "reminder_2")
    gateway.at(NOW + timedelta(hours=1))
    await gateway.phase("inv-1", "reminder_1")
    invoice = (await gateway.get(f"{API}/invoices/inv-1")).json()
    assert invoice["phase"] == "reminder_2"
    assert _phases(await gateway.dashboard()) == {"reminder_2": (1, "10.00")}


async def test_dunning_news_before_the_import_is_kept_and_counted_once(gateway: Gateway) -> None:
    await gateway.phase("inv-1", "reminder_1")
    assert _phases(await gateway.dashboard()) == {}
    await gateway.invoice("inv-1")
    await gateway.debtor()  # the debtor arrives last of all
    assert _phases(await gateway.dashboard()) == {"reminder_1": (1, "121.00")}
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["open_invoices"] == 1
    assert debtor["open_totals"] == [{"currency": "EUR", "count": 1, "total": "121.00"}]
    listed = (await gateway.get(f"{API}/invoices")).json()["items"]
    assert listed[0]["debtor_name"] == "Debtor deb-1"


async def test_attention_is_counted_per_reason_and_resolved(gateway: Gateway) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1")
    await gateway.invoice("inv-2")
    await gateway.attention("email_undeliverable", "inv-1")
    await gateway.attention("email_undeliverable", "inv-1")  # raised twice: counted once
    await gateway.attention("possible_bookkeeping_error", "inv-2")
    await gateway.attention("email_missing", "deb-1", subject_type="debtor")
    counts = {
        (a["subject_type"], a["reason"]): a["count"]
        for a in (await gateway.dashboard())["attention"]
    }
    assert counts == {
        ("invoice", "email_undeliverable"): 1,
        ("invoice", "possible_bookkeeping_error"): 1,
        ("debtor", "email_missing"): 1,
    }
    await gateway.attention("email_undeliverable", "inv-1", raised=False)
    counts = {a["reason"]: a["count"] for a in (await gateway.dashboard())["attention"]}
    assert "email_undeliverable" not in counts
    listed = await gateway.get(
        f"{API}/invoices", params={"attention": "possible_bookkeeping_error"}
    )
    assert [i["invoice_id"] for i in listed.json()["items"]] == ["inv-2"]
    debtors = await gateway.get(f"{API}/debtors", params={"attention": "email_missing"})
    assert debtors.json()["items"][0]["attention"] == ["email_missing"]


async def test_the_invoice_list_filters_sorts_and_pages_by_keyset(gateway: Gateway) -> None:
    await gateway.debtor("deb-1", name="Bakkerij de Vries")
    await gateway.debtor("deb-2", name="Jansen Transport")
    for n in range(1, 13):
        await gateway.invoice(
            f"inv-{n:02d}",
            amount=f"{n * 10}.00",
            due=date(2025, 3, 1) + timedelta(days=n * 3),
            debtor_id="deb-1" if n % 2 else "deb-2",
        )
    await gateway.phase("inv-01", "reminder_1")

    async def ids(**params: Any) -> list[str]:
        response = await gateway.get(f"{API}/invoices", params=params)
        assert response.status_code == 200, response.text
        return [item["invoice_id"] for item in response.json()["items"]]

    assert await ids(phase="reminder_1") == ["inv-01"]
    assert await ids(debtor_id="deb-2", due_to="2025-03-13") == ["inv-02", "inv-04"]
    assert await ids(amount_min="100", amount_max="110") == ["inv-10", "inv-11"]
    assert await ids(overdue=True) == ["inv-01", "inv-02", "inv-03", "inv-04", "inv-05", "inv-06"]
    assert await ids(q="jansen", due_from="2025-03-30") == ["inv-10", "inv-12"]
    assert await ids(q="F-inv-1") == ["inv-10", "inv-11", "inv-12"]
    assert (await ids(sort="open_amount", order="desc"))[:2] == ["inv-12", "inv-11"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 5, "sort": "open_amount", "order": "desc"}
        if cursor:
            params["cursor"] = cursor
        page = (await gateway.get(f"{API}/invoices", params=params)).json()
        seen += [item["invoice_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"inv-{n:02d}" for n in range(12, 0, -1)]
    bad = await gateway.get(f"{API}/invoices", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422


async def test_the_invoice_shows_its_timeline_newest_first_and_its_planned_step(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1")
    gateway.at(NOW + timedelta(minutes=1))
    await gateway.executed("inv-1")
    gateway.at(NOW + timedelta(minutes=2))
    await gateway.reply("msg-r1")
    gateway.at(NOW + timedelta(minutes=3))
    await gateway.attention("email_undeliverable", "inv-1")
    invoice = (await gateway.get(f"{API}/invoices/inv-1")).json()
    assert [entry["kind"] for entry in invoice["timeline"]] == ["message", "step"]
    assert invoice["timeline"][1]["step_id"] == "reminder_1"
    assert invoice["timeline"][0]["direction"] == "inbound"
    assert invoice["planned"] == {
        "step_id": "reminder_2",
        "planned_on": "2025-04-03",
        "on_hold": False,
        "blocked_by": None,
    }
    assert invoice["phase"] == "reminder_1"
    assert [a["reason"] for a in invoice["attention"]] == ["email_undeliverable"]


async def test_debtors_list_and_detail(gateway: Gateway) -> None:
    await gateway.debtor("deb-1", name="Bakkerij de Vries")
    await gateway.debtor("deb-2", name="Jansen Transport")
    await gateway.debtor("deb-3", name="Albert Heijn")
    await gateway.invoice("inv-1", debtor_id="deb-1")
    response = await gateway.get(f"{API}/debtors", params={"limit": 2})
    page = response.json()
    assert [d["name"] for d in page["items"]] == ["Albert Heijn", "Bakkerij de Vries"]
    rest = await gateway.get(f"{API}/debtors", params={"cursor": page["next_cursor"]})
    assert [d["name"] for d in rest.json()["items"]] == ["Jansen Transport"]
    with_open = await gateway.get(f"{API}/debtors", params={"has_open_invoices": True})
    assert [d["debtor_id"] for d in with_open.json()["items"]] == ["deb-1"]
    found = await gateway.get(f"{API}/debtors", params={"q": "jans"})
    assert [d["debtor_id"] for d in found.json()["items"]] == ["deb-2"]
    detail = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert detail["emails"] == ["deb-1@example.nl"] and detail["city"] == "Amsterdam"
    assert [i["invoice_id"] for i in detail["invoices"]] == ["inv-1"]
    renamed = await gateway.debtor("deb-1", name="De Vries B.V.")
    assert renamed.version == 2
    listed = (await gateway.get(f"{API}/invoices")).json()["items"]
    assert listed[0]["debtor_name"] == "De Vries B.V."
    assert (await gateway.get(f"{API}/debtors/nope")).status_code == 404


async def test_the_inbox_lists_replies_with_an_unread_filter(gateway: Gateway) -> None:
    await gateway.debtor()
    await gateway.reply("msg-r1")
    gateway.at(NOW + timedelta(minutes=1))
    await gateway.reply("msg-r2")
    from settle_shared.events import messaging

    await gateway.deliver(
        messaging.MessageRead(
            administration_id=ADM,
            message_id="msg-r1",
            debtor_id="deb-1",
            thread_id="thr-1",
            at=datetime(2025, 3, 20, 10, tzinfo=UTC),
        )
    )
    inbox = (await gateway.get(f"{API}/inbox")).json()["items"]
    assert [(m["message_id"], m["read"]) for m in inbox] == [("msg-r2", False), ("msg-r1", True)]
    assert inbox[0]["debtor_name"] == "Debtor deb-1"
    unread = (await gateway.get(f"{API}/inbox", params={"unread": True})).json()["items"]
    assert [m["message_id"] for m in unread] == ["msg-r2"]


async def test_import_runs_are_listed_newest_first(gateway: Gateway) -> None:
    for n in (1, 2):
        started = datetime(2025, 3, 20 + n, 6, tzinfo=UTC)
        await gateway.deliver(
            importer.ImportRunFinished(
                administration_id=ADM,
                run_id=f"run-{n}",
                source="csv",
                status="succeeded",
                counts=importer.ImportCounts(new=3, rejected=n),
                started_at=started,
                finished_at=started + timedelta(seconds=2),
                duration_ms=2000,
            )
        )
    runs = (await gateway.get(f"{API}/imports", params={"limit": 1})).json()
    assert [r["run_id"] for r in runs["items"]] == ["run-2"]
    assert runs["items"][0]["counts"]["rejected"] == 2
    more = (await gateway.get(f"{API}/imports", params={"cursor": runs["next_cursor"]})).json()
    assert [r["run_id"] for r in more["items"]] == ["run-1"]


async def test_a_message_shows_its_newest_state(gateway: Gateway) -> None:
    from settle_shared.events import messaging

    await gateway.debtor()
    await gateway.invoice("inv-1")
    common = {
        "administration_id": ADM,
        "message_id": "msg-1",
        "debtor_id": "deb-1",
        "invoice_ids": ["inv-1"],
        "thread_id": "thr-1",
    }
    sent = messaging.MessageSent(**common, channel="email", recipients=["a@x.nl"], sent_at=NOW)
    gateway.at(NOW + timedelta(minutes=1))
    await gateway.deliver(sent)
    gateway.at(NOW + timedelta(minutes=5))
    await gateway.deliver(
        messaging.MessageBounced(
            **common, kind="hard", reason="550 no such user", policy="block", bounced_at=NOW
        )
    )
    gateway.at(NOW + timedelta(minutes=1))
    await gateway.deliver(sent)  # redelivered late with a new id: older than the bounce
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert [(m["state"], m["detail"]) for m in debtor["messages"]] == [
        ("bounced", "550 no such user")
    ]
    timeline = (await gateway.get(f"{API}/invoices/inv-1")).json()["timeline"]
    assert [(e["kind"], e["state"]) for e in timeline] == [("message", "bounced")]


@pytest.mark.parametrize("seed", [7, 11, 23])
async def test_batches_of_many_events_keep_the_aggregates_exact(
    gateway: Gateway, seed: int
) -> None:
    import random

    import sqlalchemy as sa

    from settle_gateway.adapters.read_model import project
    from settle_gateway.adapters.tables import (
        rm_debtor_totals,
        rm_debtors,
        rm_invoices,
        rm_monthly_invoiced,
        rm_phase_totals,
    )
    from settle_shared.consumer import ReceivedEvent
    from settle_shared.db import transaction
    from settle_shared.envelope import Envelope
    from settle_shared.events import dunning

    rng = random.Random(seed)
    facts: list[Any] = []
    versions: dict[str, int] = {}
    for n in range(40):
        invoice_id = f"inv-{rng.randrange(15)}"
        versions[invoice_id] = versions.get(invoice_id, 0) + 1
        common = {
            "administration_id": ADM,
            "invoice_id": invoice_id,
            "number": f"F-{invoice_id}",
            "version": versions[invoice_id] + rng.choice([0, 0, -1]),
            "run_id": "r",
        }
        kind = rng.choice(["import", "import", "change", "settle", "reopen", "phase"])
        if kind == "import":
            facts.append(
                importer.InvoiceImported(
                    **common,
                    debtor_id=f"deb-{n % 3}",
                    debtor_number="D",
                    invoice_date=date(2025, 1 + n % 3, 1 + n % 5),
                    due_date=date(2025, 2, 1) + timedelta(days=n),
                    amount="100.00",
                    open_amount="100.00",
                    currency="EUR",
                )
            )
        elif kind == "change":
            facts.append(
                importer.InvoiceChanged(
                    **common,
                    open_amount=f"{rng.randrange(1, 99)}.50",
                    previous_open_amount="1",
                    currency="EUR",
                )
            )
        elif kind == "settle":
            facts.append(importer.InvoiceSettled(**common, reason="paid"))
        elif kind == "reopen":
            facts.append(importer.InvoiceReopened(**common, open_amount="7.25", currency="EUR"))
        else:
            facts.append(
                dunning.PhaseChanged(
                    administration_id=ADM,
                    invoice_id=invoice_id,
                    debtor_id="deb-0",
                    previous_phase="sent",
                    phase=rng.choice(["reminder_1", "reminder_2"]),
                    on=date(2025, 3, 20),
                    open_amount="1",
                    currency="EUR",
                )
            )
        if n == 20:
            facts.append(
                importer.DebtorUpserted(
                    administration_id=ADM,
                    debtor_id="deb-1",
                    number="D1",
                    version=1,
                    name="Debtor one",
                    kind="business",
                )
            )
    runtime = gateway.harness.runtime
    received = []
    for offset, fact in enumerate(facts):
        envelope = Envelope.wrap(
            fact, source="/test", time=NOW + timedelta(seconds=offset), administration_id=ADM
        )
        received.append(ReceivedEvent(envelope, fact, fact.topic.name, 0, offset))
    for start in (0, 17):  # two batches
        async with transaction(runtime.sessions) as session:
            batch = received[start : start + 17] if start == 0 else received[17:]
            await project(session, batch, NOW.date())

    async with runtime.engine.connect() as conn:
        counted = {
            (row.phase, row.n, Decimal(row.total))
            for row in await conn.execute(
                sa.select(
                    rm_invoices.c.phase,
                    sa.func.count().label("n"),
                    sa.func.sum(rm_invoices.c.open_amount).label("total"),
                )
                .where(rm_invoices.c.status == "open", rm_invoices.c.due_date.is_not(None))
                .group_by(rm_invoices.c.phase)
            )
        }
        maintained = {
            (row.phase, row.count, Decimal(row.total))
            for row in await conn.execute(
                sa.select(rm_phase_totals).where(rm_phase_totals.c.count != 0)
            )
        }
        assert maintained == counted
        invoiced: dict[tuple[date, str], list[Any]] = {}
        for row in await conn.execute(
            sa.select(rm_invoices).where(rm_invoices.c.invoice_date.is_not(None))
        ):
            month = invoiced.setdefault((row.invoice_date.replace(day=1), row.currency), [0, 0])
            month[0] += 1
            month[1] += row.amount
        kept_invoiced = {
            (row.month, row.currency): [row._mapping["count"], row.total]
            for row in await conn.execute(
                sa.select(rm_monthly_invoiced).where(rm_monthly_invoiced.c.count != 0)
            )
        }
        assert kept_invoiced == invoiced != {}
        debtor = (
            await conn.execute(sa.select(rm_debtors).where(rm_debtors.c.debtor_id == "deb-1"))
        ).one()
        open_of_debtor = (
            await conn.execute(
                sa.select(
                    sa.func.count(), sa.func.coalesce(sa.func.sum(rm_invoices.c.open_amount), 0)
                ).where(
                    rm_invoices.c.debtor_id == "deb-1",
                    rm_invoices.c.status == "open",
                    rm_invoices.c.due_date.is_not(None),
                )
            )
        ).one()
        kept = (
            await conn.execute(
                sa.select(
                    sa.func.coalesce(sa.func.sum(rm_debtor_totals.c.count), 0),
                    sa.func.coalesce(sa.func.sum(rm_debtor_totals.c.total), 0),
                ).where(rm_debtor_totals.c.debtor_id == "deb-1")
            )
        ).one()
        assert (debtor.open_invoices, kept[0], Decimal(kept[1])) == (
            open_of_debtor[0],
            open_of_debtor[0],
            Decimal(open_of_debtor[1]),
        )


@pytest.mark.parametrize(
    "params",
    [
        {"due_from": "not-a-date"},
        {"amount_min": "abc"},
        {"limit": 0},
        {"limit": 10_000},
        {"sort": "password_hash"},
        {"status": "everything"},
        {"cursor": "W10"},  # a valid encoding of an empty list
        {"cursor": "!!!"},
        {"q": "x" * 101},
        {"q": "%_\\"},
        {"overdue": "maybe"},
        # a cursor of another sort: a date where an amount is expected
        {"sort": "open_amount", "cursor": "WyIyMDI1LTAzLTAxIiwiaW52LTEiXQ"},
    ],
)
async def test_odd_input_is_refused_with_422_never_a_500(
    gateway: Gateway, params: dict[str, Any]
) -> None:
    response = await gateway.get(f"{API}/invoices", params=params)
    if params.get("q") == "%_\\":
        assert response.status_code == 200 and response.json()["items"] == []
    else:
        assert response.status_code == 422, response.text


async def test_the_attention_list_pages_newest_first(gateway: Gateway) -> None:
    await gateway.debtor()
    for n in range(5):
        gateway.at(NOW + timedelta(minutes=n))
        await gateway.attention("email_undeliverable", f"inv-{n}")
    await gateway.attention("email_missing", "deb-1", subject_type="debtor")  # same time: a tie
    gateway.at(NOW + timedelta(minutes=9))
    await gateway.attention("needs_call", "deb-1", subject_type="debtor")
    page = (await gateway.get(f"{API}/attention", params={"limit": 2})).json()
    assert [i["reason"] for i in page["items"]] == ["needs_call", "email_undeliverable"]
    seen = [i["subject_id"] for i in page["items"]]
    while page["next_cursor"]:
        page = (
            await gateway.get(
                f"{API}/attention", params={"limit": 2, "cursor": page["next_cursor"]}
            )
        ).json()
        seen += [i["subject_id"] for i in page["items"]]
    assert seen == ["deb-1", "inv-4", "deb-1", "inv-3", "inv-2", "inv-1", "inv-0"]
    debtors_only = await gateway.get(f"{API}/attention", params={"subject_type": "debtor"})
    assert [i["reason"] for i in debtors_only.json()["items"]] == ["needs_call", "email_missing"]


async def _paused(gateway: Gateway, **params: Any) -> dict[str, str | None]:
    page = (await gateway.get(f"{API}/invoices", params=params)).json()
    return {i["invoice_id"]: i["paused_by"] for i in page["items"]}


async def test_pauses_of_the_debtor_and_the_administration_show_on_invoices(
    gateway: Gateway,
) -> None:
    await gateway.debtor("deb-1")
    await gateway.debtor("deb-2")
    await gateway.invoice("inv-1", debtor_id="deb-1")
    await gateway.invoice("inv-2", debtor_id="deb-2")
    await gateway.invoice("inv-3", debtor_id="deb-2")
    await gateway.deliver(
        dunning.StepPlanned(
            administration_id=ADM,
            invoice_id="inv-3",
            debtor_id="deb-2",
            flow_id="standard",
            phase="sent",
            on_hold=True,
        )
    )
    await gateway.deliver(
        dunning.DebtorPauseChanged(administration_id=ADM, debtor_id="deb-1", mode="fully_paused")
    )
    assert await _paused(gateway) == {"inv-1": "debtor", "inv-2": None, "inv-3": "invoice"}
    assert set(await _paused(gateway, paused=True)) == {"inv-1", "inv-3"}
    assert set(await _paused(gateway, paused=False)) == {"inv-2"}
    debtor = (await gateway.get(f"{API}/debtors/deb-1")).json()
    assert debtor["pause"] == "fully_paused"
    assert debtor["invoices"][0]["paused_by"] == "debtor"

    gateway.at(NOW + timedelta(minutes=1))
    await gateway.deliver(
        dunning.AdministrationPauseChanged(
            administration_id=ADM, mode="reminders_paused", paused_on=date(2025, 3, 20)
        )
    )
    assert (await gateway.dashboard())["pause"] == "reminders_paused"
    assert await _paused(gateway) == {
        "inv-1": "debtor",
        "inv-2": "administration",
        "inv-3": "invoice",
    }
    assert await _paused(gateway, paused=False) == {}
    detail = (await gateway.get(f"{API}/invoices/inv-2")).json()
    assert (detail["paused"], detail["on_hold"]) == (True, False)

    # A resume, then the pause it lifted arriving late: the resume stands.
    gateway.at(NOW + timedelta(minutes=3))
    await gateway.deliver(dunning.AdministrationPauseChanged(administration_id=ADM, mode="active"))
    gateway.at(NOW + timedelta(minutes=2))
    await gateway.deliver(
        dunning.AdministrationPauseChanged(administration_id=ADM, mode="fully_paused")
    )
    assert (await gateway.dashboard())["pause"] == "active"
    assert set(await _paused(gateway, paused=False)) == {"inv-2"}
    other = await gateway.get(f"{API}/debtors/deb-2")
    assert other.json()["pause"] == "active"


async def _found(gateway: Gateway, q: str, **params: Any) -> list[str]:
    response = await gateway.get(f"{API}/debtors", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [d["name"] for d in response.json()["items"]]


async def test_the_debtor_search_finds_the_start_of_any_word(gateway: Gateway) -> None:
    await gateway.debtor("deb-1", name="Bakkerij de Vries B.V.")
    await gateway.debtor("deb-2", name="Café Ğüneş & Zn.")
    await gateway.debtor("deb-3", name="Jansen Bakkers VOF")
    await gateway.debtor("deb-4", name="Vriesland Transport")
    await gateway.debtor("deb-5", name="Bakker Bakkerij Bakkum")  # three words, one start
    await gateway.debtor("deb-9", name="Bakkerij Elders", adm="adm-b")  # another organisation
    assert await _found(gateway, "bakk") == [
        "Bakker Bakkerij Bakkum",
        "Bakkerij de Vries B.V.",
        "Jansen Bakkers VOF",
    ]
    assert await _found(gateway, "VRIES") == ["Bakkerij de Vries B.V.", "Vriesland Transport"]
    assert await _found(gateway, "vries bakk") == ["Bakkerij de Vries B.V."]
    assert await _found(gateway, "gunes") == ["Café Ğüneş & Zn."]  # accents folded
    assert await _found(gateway, "café") == ["Café Ğüneş & Zn."]
    assert await _found(gateway, "akker") == []  # the start of a word, not any substring
    assert await _found(gateway, "Ddeb-3") == ["Jansen Bakkers VOF"]  # the number, as written
    assert await _found(gateway, "&") == []
    pages, cursor = [], None
    while True:  # a page at a time: each debtor once, none left out
        params = {"q": "bakk", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = (await gateway.get(f"{API}/debtors", params=params)).json()
        pages += [d["name"] for d in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert pages == ["Bakker Bakkerij Bakkum", "Bakkerij de Vries B.V.", "Jansen Bakkers VOF"]
    # Found by three words and with two open reasons: listed once, with both reasons.
    await gateway.attention("email_missing", "deb-5", subject_type="debtor")
    await gateway.attention("phone_missing", "deb-5", subject_type="debtor")
    listed = (await gateway.get(f"{API}/debtors", params={"q": "bakk"})).json()["items"]
    assert [(d["debtor_id"], d["attention"]) for d in listed] == [
        ("deb-5", ["email_missing", "phone_missing"]),
        ("deb-1", []),
        ("deb-3", []),
    ]
    await gateway.invoice("inv-1", debtor_id="deb-3")
    assert await _found(gateway, "bakk", has_open_invoices=True) == ["Jansen Bakkers VOF"]
    await gateway.debtor("deb-3", name="Jansen Brood VOF")  # renamed: found by its new words
    assert await _found(gateway, "bakk") == ["Bakker Bakkerij Bakkum", "Bakkerij de Vries B.V."]
    assert await _found(gateway, "brood jans") == ["Jansen Brood VOF"]


async def test_an_updated_attention_item_shows_its_new_sentence_and_counts_once(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.attention("unread_messages", "deb-1", subject_type="debtor")
    gateway.at(NOW + timedelta(minutes=5))
    await gateway.deliver(
        dunning.AttentionUpdated(
            administration_id=ADM,
            subject_type="debtor",
            subject_id="deb-1",
            reason="unread_messages",
            sentence="This debtor sent 1,009 messages nobody has read.",
        )
    )
    [item] = (await gateway.get(f"{API}/attention")).json()["items"]
    assert item["sentence"] == "This debtor sent 1,009 messages nobody has read."
    counts = {a["reason"]: a["count"] for a in (await gateway.dashboard())["attention"]}
    assert counts["unread_messages"] == 1


async def test_a_reminder_shows_its_rendered_subject_and_the_debtors_name(
    gateway: Gateway,
) -> None:
    from settle_shared.events import messaging

    await gateway.debtor(name="Bakkerij de Vries")
    await gateway.invoice("inv-1")
    subject = "Herinnering: factuur F-inv-1 staat nog open"
    common = {
        "administration_id": ADM,
        "message_id": "msg-1",
        "message_request_id": "req-1",
        "debtor_id": "deb-1",
        "invoice_ids": ["inv-1"],
        "thread_id": "thr-1",
        "subject_line": subject,
    }
    await gateway.deliver(
        messaging.MessageSent(
            **common, channel="email", recipients=["deb-1@example.nl"], sent_at=NOW
        )
    )
    timeline = (await gateway.get(f"{API}/invoices/inv-1")).json()["timeline"]
    assert [(e["kind"], e["subject"]) for e in timeline] == [("message", subject)]
    [message] = (await gateway.get(f"{API}/debtors/deb-1")).json()["messages"]
    assert (message["subject"], message["debtor_name"]) == (subject, "Bakkerij de Vries")

    # The debtor answers on the reply page: the thread's subject, answered.
    gateway.at(NOW + timedelta(minutes=5))
    await gateway.deliver(
        messaging.ReplyReceived(
            **{**common, "message_id": "msg-r1", "subject_line": f"Re: {subject}"},
            via="reply_page",
            received_at=NOW + timedelta(minutes=5),
        )
    )
    [reply] = (await gateway.get(f"{API}/inbox")).json()["items"]
    assert reply["subject"] == f"Re: {subject}"
    assert reply["debtor_name"] == "Bakkerij de Vries"


async def test_a_step_whose_message_reached_nobody_shows_failed_on_the_timeline(
    gateway: Gateway,
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1")
    gateway.at(NOW + timedelta(minutes=1))
    await gateway.executed("inv-1")
    gateway.at(NOW + timedelta(minutes=2))
    await gateway.deliver(
        dunning.StepFailed(
            administration_id=ADM,
            invoice_id="inv-1",
            debtor_id="deb-1",
            flow_id="standard",
            step_id="reminder_1",
            executed_on=date(2025, 3, 20),
            cycle=1,
            message_request_id="req-1",
            failed_on=date(2025, 3, 20),
            channels=["email"],
            reason="invalid_email_address",
            detail="no valid email address",
            phase="sent",
        )
    )
    await gateway.phase("inv-1", "sent", previous="reminder_1")
    await gateway.attention("message_failed", "inv-1")
    invoice = (await gateway.get(f"{API}/invoices/inv-1")).json()
    [step] = invoice["timeline"]
    assert (step["kind"], step["state"], step["detail"]) == (
        "step",
        "failed",
        "no valid email address",
    )
    assert invoice["phase"] == "sent"
    assert [a["reason"] for a in invoice["attention"]] == ["message_failed"]
