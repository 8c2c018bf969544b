"""What the web app shows of invoices and messages: credit notes in the invoice list, marked;
the text of messages and replies, a thread with a debtor, answering in it and reading it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_shared.events import importer, messaging

from .conftest import ADM, Gateway, Neighbours

pytestmark = pytest.mark.service

API = f"/api/v1/administrations/{ADM}"


def credit_note(
    credit_note_id: str = "cn-1", amount: str = "-50.00", **changes: Any
) -> importer.CreditNoteImported:
    values: dict[str, Any] = {
        "administration_id": ADM,
        "credit_note_id": credit_note_id,
        "number": f"C-{credit_note_id}",
        "version": 1,
        "run_id": "run-1",
        "debtor_id": "deb-1",
        "debtor_number": "Ddeb-1",
        "invoice_date": date(2025, 3, 1),
        "amount": Decimal(amount),
        "open_amount": Decimal(amount),
        "currency": "EUR",
        "corrects_invoice_id": "inv-1",
        "corrects_invoice_number": "F-inv-1",
    }
    return importer.CreditNoteImported(**{**values, **changes})


async def listed(gateway: Gateway, **params: Any) -> list[tuple[str, str]]:
    page = await gateway.get(f"{API}/invoices", params=params)
    assert page.status_code == 200, page.text
    return [(item["kind"], item["invoice_id"]) for item in page.json()["items"]]


async def test_credit_notes_are_in_the_invoice_list_marked(gateway: Gateway) -> None:
    await gateway.debtor("deb-1", "Bakkerij Jansen")
    await gateway.invoice("inv-1", due=date(2025, 2, 20), amount="121.00")
    await gateway.invoice("inv-2", due=date(2025, 3, 10), amount="80.00")
    await gateway.deliver(credit_note())
    dashboard_before = await gateway.dashboard()

    # By due date, a credit note by its own date (1 March): between the two invoices.
    assert await listed(gateway) == [
        ("invoice", "inv-1"),
        ("credit_note", "cn-1"),
        ("invoice", "inv-2"),
    ]
    page = (await gateway.get(f"{API}/invoices")).json()["items"]
    note = page[1]
    assert (note["amount"], note["open_amount"], note["phase"]) == (
        "-50.00",
        "-50.00",
        "credit_note",
    )
    assert (note["debtor_name"], note["due_date"], note["overdue"], note["paused"]) == (
        "Bakkerij Jansen",
        None,
        False,
        False,
    )
    assert (note["corrects_invoice_id"], note["corrects_invoice_number"]) == ("inv-1", "F-inv-1")
    assert page[0]["kind"] == "invoice" and page[0]["corrects_invoice_id"] is None
    # Sorted by open amount the credit note is first; one kind at a time when asked.
    assert (await listed(gateway, sort="open_amount"))[0] == ("credit_note", "cn-1")
    assert await listed(gateway, kind="credit_note") == [("credit_note", "cn-1")]
    assert ("credit_note", "cn-1") not in await listed(gateway, kind="invoice")
    # Dunning's filters are about invoices only; a search finds a credit note by its debtor.
    assert ("credit_note", "cn-1") not in await listed(gateway, overdue=True)
    assert ("credit_note", "cn-1") not in await listed(gateway, phase="new")
    assert ("credit_note", "cn-1") in await listed(gateway, q="jansen")
    assert await listed(gateway, q="C-cn") == [("credit_note", "cn-1")]
    # Paging runs through both kinds in one order.
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        answer = (await gateway.get(f"{API}/invoices", params=params)).json()
        seen += [(i["kind"], i["invoice_id"]) for i in answer["items"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert seen == await listed(gateway)
    descending = await listed(gateway, order="desc", limit=2)
    assert descending == [("invoice", "inv-2"), ("credit_note", "cn-1")]
    # A credit note counts in no total of open invoices.
    assert await gateway.dashboard() == dashboard_before
    detail = (await gateway.get(f"{API}/invoices/cn-1")).json()
    assert (detail["kind"], detail["number"], detail["timeline"]) == ("credit_note", "C-cn-1", [])

    # Matched in bookkeeping: settled, out of the open list, in the settled one.
    await gateway.deliver(
        importer.InvoiceSettled(
            administration_id=ADM,
            invoice_id="cn-1",
            number="C-cn-1",
            version=2,
            run_id="run-2",
            reason="paid",
        )
    )
    assert ("credit_note", "cn-1") not in await listed(gateway)
    assert ("credit_note", "cn-1") in await listed(gateway, status="settled")


async def test_a_thread_is_read_with_its_text_answered_and_marked_read(
    gateway: Gateway, neighbours: Neighbours
) -> None:
    await gateway.debtor()
    await gateway.invoice("inv-1")
    written = await gateway.post(
        f"{API}/messages",
        "cora@a.example",
        json={
            "debtor_id": "deb-1",
            "subject": "About invoice F-inv-1",
            "body": "Could you let us know when you will pay?",
            "invoice_ids": ["inv-1"],
        },
    )
    assert written.status_code == 202, written.text
    ours = (await gateway.get(f"{API}/messages/{written.json()['message_id']}")).json()
    assert ours["body_text"].startswith("Could you let us know when you will pay?")
    assert ours["direction"] == "outbound"
    thread_id = ours["thread_id"]
    clock = gateway.harness.runtime.clock
    await gateway.deliver(
        messaging.MessageSent(
            administration_id=ADM,
            message_id=ours["message_id"],
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id=thread_id,
            channel="email",
            recipients=["deb-1@example.nl"],
            subject_line="About invoice F-inv-1",
            sent_at=clock.now(),
        )
    )
    # The debtor answers (here through messaging's reply endpoint, as the portal does).
    replied = await neighbours.messaging.client.post(
        f"/internal/v1/administrations/{ADM}/threads/{thread_id}/replies",
        json={"debtor_id": "deb-1", "text": "We pay on Friday.\n<b>Promise</b>"},
    )
    assert replied.status_code == 201, replied.text
    reply_id = replied.json()["message_id"]
    await gateway.deliver(
        messaging.ReplyReceived(
            administration_id=ADM,
            message_id=reply_id,
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id=thread_id,
            via="reply_page",
            sender="deb-1@example.nl",
            subject_line="Re: About invoice F-inv-1",
            received_at=clock.now(),
        )
    )
    reply = (await gateway.get(f"{API}/messages/{reply_id}", "rita@a.example")).json()
    assert reply["body_text"] == "We pay on Friday.\n<b>Promise</b>"
    assert "<b>" not in reply["body_html"]  # the debtor's markup is never passed on as markup

    thread = (await gateway.get(f"{API}/threads/{thread_id}", "rita@a.example")).json()
    assert thread["debtor_name"] == "Debtor deb-1"
    assert [m["message_id"] for m in thread["messages"]] == [reply_id, ours["message_id"]]

    read = await gateway.post(f"{API}/threads/{thread_id}/read", "cora@a.example")
    assert read.status_code == 200 and read.json() == {"marked": 1}
    assert (await gateway.get(f"{API}/inbox", params={"unread": True})).json()["items"] == []
    assert (
        await gateway.post(f"{API}/threads/{thread_id}/read", "rita@a.example")
    ).status_code == 403

    answered = await gateway.post(
        f"{API}/threads/{thread_id}/messages", "cora@a.example", json={"body": "Thank you!"}
    )
    assert answered.status_code == 202, answered.text
    stored = (await gateway.get(f"{API}/messages/{answered.json()['message_id']}")).json()
    assert (stored["thread_id"], stored["subject"]) == (thread_id, "Re: About invoice F-inv-1")
    assert stored["invoice_ids"] == ["inv-1"]
    assert (await gateway.get(f"{API}/threads/nope")).status_code == 404
    assert (await gateway.get(f"{API}/messages/nope")).status_code == 404
    assert (await gateway.post(f"{API}/messages/nope/posted", "cora@a.example")).status_code == 404


@pytest.mark.integration
async def test_credit_notes_page_with_the_invoices_on_postgresql(pg_database: str) -> None:
    from settle_gateway.app import SERVICE
    from settle_gateway.invoices.service import InvoiceQuery, invoice_page
    from settle_shared.testing.service import running_service

    from .conftest import JWT_SECRET

    async with running_service(SERVICE, pg_database, jwt_secret=JWT_SECRET) as harness:
        gateway = Gateway(harness)
        await gateway.debtor("deb-1", "Bakkerij Jansen")
        for number, day in enumerate((3, 10, 17, 24), start=1):
            await gateway.invoice(f"inv-{number}", due=date(2025, 3, day), amount=f"{number}0.00")
        await gateway.deliver(credit_note("cn-1", invoice_date=date(2025, 3, 12)))
        await gateway.deliver(credit_note("cn-2", invoice_date=date(2025, 3, 20), amount="-5.00"))
        today = date(2025, 3, 20)
        for sort in ("due_date", "open_amount", "number", "invoice_date"):
            for order in ("asc", "desc"):
                async with harness.runtime.sessions() as session:
                    whole = await invoice_page(
                        session, ADM, InvoiceQuery(sort=sort, order=order, limit=50), today
                    )
                    paged: list[str] = []
                    cursor = None
                    while True:
                        page = await invoice_page(
                            session,
                            ADM,
                            InvoiceQuery(sort=sort, order=order, limit=2, cursor=cursor),
                            today,
                        )
                        paged += [item.invoice_id for item in page.items]
                        cursor = page.next_cursor
                        if cursor is None:
                            break
                assert len(whole.items) == 6, (sort, order)
                assert paged == [item.invoice_id for item in whole.items], (sort, order)
        assert [i.invoice_id for i in whole.items][:2] == ["cn-2", "cn-1"]  # by date, newest first


@pytest.mark.integration
async def test_a_debtor_seen_after_its_invoices_counts_them_on_postgresql(pg_database: str) -> None:
    # An export's invoices may reach the gateway before their debtor; the debtor, seen for
    # the first time, counts its open invoices per currency (a query PostgreSQL once refused).
    import sqlalchemy as sa

    from settle_gateway.adapters.tables import rm_debtor_totals, rm_debtors
    from settle_gateway.app import SERVICE
    from settle_shared.testing.service import running_service

    from .conftest import JWT_SECRET

    async with running_service(SERVICE, pg_database, jwt_secret=JWT_SECRET) as harness:
        gateway = Gateway(harness)
        await gateway.invoice("inv-1", amount="121.00", debtor_id="deb-9")
        await gateway.invoice("inv-2", amount="30.50", debtor_id="deb-9")
        await gateway.debtor("deb-9", "Bakkerij Jansen")
        async with harness.runtime.sessions() as session:
            counted = await session.scalar(
                sa.select(rm_debtors.c.open_invoices).where(rm_debtors.c.debtor_id == "deb-9")
            )
            totals = (
                await session.execute(
                    sa.select(rm_debtor_totals.c.currency, rm_debtor_totals.c.total).where(
                        rm_debtor_totals.c.debtor_id == "deb-9"
                    )
                )
            ).all()
        assert counted == 2
        assert [(currency, Decimal(total)) for currency, total in totals] == [
            ("EUR", Decimal("151.50"))
        ]
