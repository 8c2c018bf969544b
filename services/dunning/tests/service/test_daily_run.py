"""The dunning service end to end in one process: importer facts in, reminders requested."""

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from settle_dunning.app import SERVICE
from settle_shared.clock import FixedClock
from settle_shared.events import importer
from settle_shared.testing.service import running_service

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service

RUN_DAY = date(2025, 3, 20)  # a Thursday; the invoice fell due on 3 March


async def test_an_overdue_imported_invoice_gets_its_first_reminder_on_the_next_run(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice(due=date(2025, 3, 3), amount="121.00")
    [planned] = await dunning.events("step.planned")
    assert planned["step_id"] == "reminder-1"
    assert planned["planned_on"] == "2025-03-10"  # in the past: caught up on the next run

    response = await dunning.run(RUN_DAY)
    assert response.status_code == 200, response.text
    assert response.json()["steps_executed"] == 1
    assert response.json()["messages_requested"] == 1

    [request] = await dunning.events("message.requested")
    assert request["debtor"]["emails"] == ["deb-1@example.nl"]
    assert request["debtor"]["kind"] == "business"
    assert request["debtor"]["address"]["city"] == "Amsterdam"
    assert request["channels"] == ["email"]
    assert request["template_key"] == "friendly_reminder"
    assert request["phase"] == "reminder_1"
    assert request["language"] == "nl"
    assert request["total_open_amount"] == "121.00"
    [line] = request["invoices"]
    assert line["number"] == "F-inv-1"
    assert line["due_date"] == "2025-03-03"
    [executed] = await dunning.events("step.executed")
    assert executed["reason"] == "catch_up"
    assert executed["message_request_id"] == request["message_request_id"]
    assert executed["next_step_id"] == "reminder-2"
    assert executed["next_step_on"] == "2025-04-03"  # 14 days after the actual execution
    [phase] = await dunning.events("phase.changed")
    assert (phase["previous_phase"], phase["phase"]) == ("sent", "reminder_1")

    view = await dunning.invoice_view()
    assert view["phase"] == "reminder_1"
    assert [s["step_id"] for s in view["executed"]] == ["reminder-1"]
    assert [s["step_id"] for s in view["planned"]] == [
        "reminder-2",
        "final-reminder",
        "ready-for-collection",
    ]


async def test_running_the_same_date_again_requests_nothing(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    first = await dunning.run(RUN_DAY)
    again = await dunning.run(RUN_DAY)
    assert first.json()["steps_executed"] == 1
    assert again.status_code == 200
    assert again.json()["steps_executed"] == 0
    assert len(await dunning.events("message.requested")) == 1


async def test_a_business_date_before_the_last_run_is_refused(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    assert (await dunning.run(RUN_DAY)).status_code == 200
    earlier = await dunning.run(date(2025, 3, 19))
    assert earlier.status_code == 409
    assert "before the last run" in earlier.json()["detail"]


async def test_pausing_the_administration_stops_requests_and_resuming_replans(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    paused = await dunning.client.post(
        f"/internal/v1/administrations/{ADM}/pause", json={"mode": "reminders_paused"}
    )
    assert paused.status_code == 204
    assert (await dunning.run(RUN_DAY)).json()["steps_executed"] == 0
    assert await dunning.events("message.requested") == []

    dunning.today(date(2025, 3, 24))  # a Monday
    resumed = await dunning.client.post(f"/internal/v1/administrations/{ADM}/resume")
    assert resumed.status_code == 204
    replanned = (await dunning.events("step.planned"))[-1]
    assert (replanned["step_id"], replanned["planned_on"]) == ("reminder-1", "2025-03-24")

    run = await dunning.run(date(2025, 3, 24))
    assert run.json()["messages_requested"] == 1
    [executed] = await dunning.events("step.executed")
    assert executed["executed_on"] == "2025-03-24"
    assert executed["reason"] == "scheduled"  # planned from the resume date, not a catch-up


async def test_a_settled_invoice_stops_its_flow(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    await dunning.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )
    assert (await dunning.run(RUN_DAY)).json()["invoices_due"] == 0
    assert await dunning.events("message.requested") == []
    view = await dunning.invoice_view()
    assert view["settled"] is True
    assert view["planned"] == []


async def test_a_pause_on_a_settled_invoice_is_refused(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice()
    await dunning.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )
    response = await dunning.client.post(f"/internal/v1/administrations/{ADM}/invoices/inv-1/pause")
    assert response.status_code == 409
    assert "settled" in response.json()["detail"]


async def test_duplicate_and_out_of_order_facts_change_nothing(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice(event_id="evt-1", version=1)
    await dunning.invoice(event_id="evt-1", version=1)  # redelivered: the inbox skips it
    await dunning.invoice(event_id="evt-2", version=1)  # published twice: same version
    assert len(await dunning.events("step.planned")) == 1

    def changed(version: int, amount: str) -> importer.InvoiceChanged:
        return importer.InvoiceChanged(
            administration_id=ADM,
            invoice_id="inv-1",
            number="F-inv-1",
            version=version,
            run_id="r",
            open_amount=Decimal(amount),
            previous_open_amount=Decimal("121.00"),
            currency="EUR",
        )

    await dunning.deliver(changed(3, "50.00"))
    await dunning.deliver(changed(2, "80.00"))  # older: must not overwrite the newer amount
    assert (await dunning.invoice_view())["open_amount"] == "50.00"

    await dunning.run(RUN_DAY)
    [request] = await dunning.events("message.requested")
    assert request["invoices"][0]["open_amount"] == "50.00"
    assert dunning.dead == []


async def test_facts_about_unknown_invoices_go_to_the_dead_letter_topic(
    dunning: Dunning,
) -> None:
    await dunning.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="never-imported",
            number="X",
            version=1,
            run_id="r",
            reason="paid",
        )
    )
    await dunning.debtor()
    await dunning.invoice()  # the consumer goes on with the next event
    assert [body["invoice_id"] for body in dunning.dead] == ["never-imported"]
    assert len(await dunning.events("step.planned")) == 1


async def test_an_impossible_invoice_goes_to_the_dead_letter_topic(dunning: Dunning) -> None:
    await dunning.invoice("inv-bad", amount="-5.00")
    assert [body["invoice_id"] for body in dunning.dead] == ["inv-bad"]
    response = await dunning.client.get(f"/internal/v1/administrations/{ADM}/invoices/inv-bad")
    assert response.status_code == 404


async def test_an_announced_administration_is_ready_before_its_first_import(
    dunning: Dunning,
) -> None:
    # The gateway announces it: its settings answer at once, with the default flows, and it
    # can be paused before any invoice arrived.
    await dunning.harness.administration("adm-new", "New administration")
    shown = await dunning.client.get("/internal/v1/administrations/adm-new")
    assert shown.status_code == 200, shown.text
    assert shown.json()["pause"] == "active"
    flows = await dunning.client.get("/internal/v1/administrations/adm-new/flows")
    assert [f["id"] for f in flows.json()] == ["default-business", "default-consumer"]
    paused = await dunning.client.post(
        "/internal/v1/administrations/adm-new/pause", json={"mode": "fully_paused"}
    )
    assert paused.status_code == 204, paused.text
    # Announced again (a redelivery, a rename): what it was set to stays.
    await dunning.harness.administration("adm-new", "Renamed")
    again = await dunning.client.get("/internal/v1/administrations/adm-new")
    assert again.json()["pause"] == "fully_paused"


async def test_an_unknown_administration_is_refused_with_how_to_create_it(
    dunning: Dunning,
) -> None:
    base = "/internal/v1/administrations/nosuch"
    flow = {
        "id": "f",
        "name": "F",
        "steps": [
            {
                "id": "s",
                "offset_days": 1,
                "channels": ["email"],
                "template_key": "friendly_reminder",
                "target_phase": "reminder_1",
            }
        ],
    }
    refused = [
        await dunning.client.get(base),
        await dunning.client.get(f"{base}/flows"),
        await dunning.client.post(f"{base}/pause", json={"mode": "fully_paused"}),
        await dunning.client.post(f"{base}/resume"),
        await dunning.client.post(f"{base}/runs", json={"business_date": "2025-03-20"}),
        await dunning.client.post(f"{base}/flows", json=flow),
    ]
    assert [r.status_code for r in refused] == [404] * len(refused)
    for response in refused:
        detail = response.json()["detail"]
        assert "unknown administration 'nosuch'" in detail
        assert "settle gateway administration-create --administration nosuch" in detail
    # Refusing created nothing.
    assert (await dunning.client.get(base)).status_code == 404


async def test_a_fact_before_its_administrations_announcement_sets_it_up_all_the_same(
    dunning: Dunning,
) -> None:
    # The announcement travels on another topic and may come a moment after the first fact.
    await dunning.debtor(administration_id="adm-early")
    flows = await dunning.client.get("/internal/v1/administrations/adm-early/flows")
    assert [f["id"] for f in flows.json()] == ["default-business", "default-consumer"]
    await dunning.harness.administration("adm-early")
    assert (await dunning.client.get("/internal/v1/administrations/adm-early")).status_code == 200


async def test_a_missing_email_address_raises_attention_and_the_import_resolves_it(
    dunning: Dunning,
) -> None:
    await dunning.debtor(emails=[])
    await dunning.invoice()
    await dunning.run(RUN_DAY)
    assert await dunning.events("message.requested") == []
    [raised] = await dunning.events("attention.raised")
    assert (raised["subject_type"], raised["reason"]) == ("debtor", "email_missing")

    listed = await dunning.client.get(f"/internal/v1/administrations/{ADM}/attention")
    [item] = listed.json()["items"]
    assert item["reason"] == "email_missing"
    assert "no email address" in item["sentence"]

    await dunning.debtor(emails=["ap@example.nl"])
    [resolved] = await dunning.events("attention.resolved")
    assert resolved["reason"] == "email_missing"
    assert (await dunning.client.get(f"/internal/v1/administrations/{ADM}/attention")).json()[
        "items"
    ] == []
    dunning.today(date(2025, 3, 21))
    assert (await dunning.run(date(2025, 3, 21))).json()["messages_requested"] == 1


async def test_a_debtor_known_only_from_an_invoice_is_treated_as_a_consumer_until_imported(
    dunning: Dunning,
) -> None:
    await dunning.invoice()
    assert (await dunning.invoice_view())["flow_id"] == "default-consumer"
    await dunning.debtor(kind="business")
    assert (await dunning.invoice_view())["flow_id"] == "default-business"


async def test_the_consumers_fourteen_day_letter_states_the_collection_costs(
    dunning: Dunning,
) -> None:
    await dunning.debtor(kind="consumer")
    await dunning.invoice(due=date(2025, 3, 3), amount="2500.00")
    day = RUN_DAY
    for _ in range(3):  # reminder 1, reminder 2, then the 14-day letter
        assert (await dunning.run(day)).status_code == 200
        executed = await dunning.events("step.executed")
        day = date.fromisoformat(executed[-1]["next_step_on"])
    requests = await dunning.events("message.requested")
    assert [r["template_key"] for r in requests] == [
        "friendly_reminder",
        "second_reminder",
        "fourteen_day_letter",
    ]
    assert [r["collection_costs"] for r in requests] == [None, None, "375.00"]
    assert requests[-1]["legally_required"] is True
    assert sorted(requests[-1]["channels"]) == ["email", "letter"]


async def test_a_credit_note_settled_in_bookkeeping_is_applied_not_dead_lettered(dunning):
    await dunning.debtor()
    note = importer.CreditNoteImported(
        administration_id=ADM,
        credit_note_id="cn-1",
        number="C-1",
        version=1,
        run_id="run-1",
        debtor_id="deb-1",
        debtor_number="Ddeb-1",
        invoice_date=date(2025, 2, 10),
        amount=Decimal("-50.00"),
        open_amount=Decimal("-50.00"),
        currency="EUR",
    )
    await dunning.deliver(note)
    settled = importer.InvoiceSettled(
        administration_id=ADM,
        invoice_id="cn-1",
        number="C-1",
        version=2,
        run_id="run-2",
        reason="paid",
    )
    await dunning.deliver(settled)
    assert dunning.dead == []
    async with dunning.harness.runtime.engine.connect() as conn:
        stored = (
            await conn.execute(sa.text("SELECT open_amount, version FROM credit_notes"))
        ).one()
    assert (Decimal(stored.open_amount), stored.version) == (Decimal("0"), 2)


async def test_the_daily_run_loop_runs_the_day_once_its_time_has_come(sqlite_database) -> None:
    async with running_service(
        SERVICE,
        sqlite_database,
        consumer_retry_backoff_s=0,
        daily_run_enabled=True,
        daily_run_at="10:00",
        daily_run_poll_s=0.05,
    ) as harness:
        service = Dunning(harness)
        state = harness.runtime.app.state

        def clock_at(hour_utc: int) -> None:
            moment = datetime(2025, 3, 20, hour_utc, 0, tzinfo=UTC)
            state.dunning = replace(state.dunning, clock=FixedClock(moment))

        # The harness runs no lifespan: the loop the service registered is started here.
        [loop] = harness.runtime.background
        stop = asyncio.Event()
        clock_at(8)  # 09:00 in Amsterdam: before the run's time, the loop waits
        running = asyncio.create_task(loop(stop))
        await service.debtor()
        await service.invoice(due=date(2025, 3, 3), amount="121.00")
        await asyncio.sleep(0.3)
        assert await service.events("step.executed") == []

        clock_at(10)  # 11:00 in Amsterdam: the loop runs the day by itself, once
        for _ in range(100):
            if await service.events("step.executed"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        stop.set()
        await running
        [executed] = await service.events("step.executed")
        assert executed["step_id"] == "reminder-1"
        assert len(await service.events("message.requested")) == 1


async def test_an_invoice_imported_after_the_days_run_gets_its_reminder_from_the_loop(
    sqlite_database,
) -> None:
    async with running_service(
        SERVICE,
        sqlite_database,
        consumer_retry_backoff_s=0,
        daily_run_enabled=True,
        daily_run_at="06:00",
        daily_run_poll_s=0.05,
    ) as harness:
        service = Dunning(harness)
        state = harness.runtime.app.state

        def clock_at(hour_utc: int) -> None:
            moment = datetime(2025, 3, 20, hour_utc, 0, tzinfo=UTC)
            state.dunning = replace(state.dunning, clock=FixedClock(moment))

        [loop] = harness.runtime.background
        stop = asyncio.Event()
        clock_at(6)  # 07:00 in Amsterdam: today's run happens with nothing due
        await service.debtor()
        running = asyncio.create_task(loop(stop))
        engine = harness.runtime.engine
        for _ in range(100):
            async with engine.connect() as conn:
                runs = (await conn.execute(sa.text("SELECT finished_at FROM daily_runs"))).all()
            if runs and runs[0].finished_at is not None:
                break
            await asyncio.sleep(0.05)
        assert len(runs) == 1

        clock_at(13)  # the export is dropped in the afternoon
        await service.invoice(due=date(2025, 3, 3), amount="121.00")
        for _ in range(100):
            if await service.events("step.executed"):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # nothing more happens: the run again changed nothing due
        stop.set()
        await running
        [executed] = await service.events("step.executed")
        assert executed["step_id"] == "reminder-1"
        assert len(await service.events("message.requested")) == 1


async def test_two_runs_of_the_same_day_at_once_execute_each_step_once(dunning: Dunning) -> None:
    await dunning.debtor()
    for n in range(20):
        await dunning.invoice(f"inv-{n}", due=date(2025, 3, 3), amount="121.00")
    first, second = await asyncio.gather(dunning.run(RUN_DAY), dunning.run(RUN_DAY))
    assert first.status_code == second.status_code == 200
    executed = await dunning.events("step.executed")
    assert sorted(e["invoice_id"] for e in executed) == sorted(f"inv-{n}" for n in range(20))
    assert len(await dunning.events("message.requested")) == 1  # one bundle for the debtor


async def test_a_run_on_a_day_without_sending_names_the_next_sending_day(dunning: Dunning) -> None:
    await dunning.debtor()
    await dunning.invoice(due=date(2025, 3, 3), amount="121.00")
    response = await dunning.run(date(2025, 3, 23))  # a Sunday
    assert response.status_code == 200, response.text
    assert response.json()["invoices_due"] == 1
    assert response.json()["steps_executed"] == 0
    assert response.json()["next_sending_day"] == "2025-03-24"

    monday = (await dunning.run(date(2025, 3, 24))).json()
    assert (monday["steps_executed"], monday["next_sending_day"]) == (1, None)
