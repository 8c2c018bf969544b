"""Cases from invoices ready for collection: opened by themselves or after approval, never by
themselves while the debtor has an unmatched credit note; costs and interest charged by the
law's rules, payments allocated to costs, interest, principal; remissions; bad input refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_shared.events import importer

from .conftest import ADM, BASE, Collection, a_consumer_case

pytestmark = pytest.mark.service


async def test_a_ready_consumer_invoice_opens_a_case_that_holds_it(collection: Collection) -> None:
    case_id = await a_consumer_case(collection)

    case = await collection.case(case_id)
    assert (case["status"], case["step"], case["consumer"]) == ("open", "new", True)
    assert case["invoice_ids"] == ["inv-1"] and case["debtor_name"] == "Debtor deb-1"
    assert case["balance"]["principal_open"] == "1000.00"
    # The proof of the 14-day letter: sent 10 March, received two days later, the 14 days
    # run from the day after.
    assert case["fourteen_day_letter"] == {
        "sent_on": "2025-03-10",
        "received_on": "2025-03-12",
        "term_ends_on": "2025-03-26",
        "costs_from": "2025-03-27",
        "channels": [],
        "message_ids": [],
    }
    [opened] = await collection.events("opened")
    assert (opened["how"], opened["invoice_ids"], opened["status"]) == (
        "automatic",
        ["inv-1"],
        "open",
    )


async def test_cases_wait_for_approval_unless_the_administration_opens_them(
    collection: Collection,
) -> None:
    await collection.debtor()
    await collection.invoice()
    await collection.ready()

    [case] = await collection.cases()
    assert case["status"] == "proposed"
    [proposed] = await collection.events("proposed")
    assert proposed["why"] == "the administration opens cases after approval"

    approved = await collection.post(case["case_id"], "approve")
    assert approved.status_code == 200 and approved.json()["status"] == "open"
    again = await collection.post(case["case_id"], "approve")
    assert again.status_code == 409


async def test_a_declined_case_leaves_its_invoices_to_dunning(collection: Collection) -> None:
    await collection.debtor()
    await collection.invoice()
    await collection.ready()
    [case] = await collection.cases()

    declined = await collection.post(case["case_id"], "decline", {"reason": "we call them first"})

    assert declined.json()["status"] == "declined"
    [event] = await collection.events("declined")
    assert event["reason"] == "we call them first"


async def test_an_unmatched_credit_note_keeps_the_case_from_opening_by_itself(
    collection: Collection,
) -> None:
    await collection.settings(opening="automatic")
    await collection.debtor()
    await collection.deliver(
        importer.CreditNoteImported(
            administration_id=ADM,
            credit_note_id="cn-1",
            number="C-1",
            version=1,
            run_id="run-1",
            debtor_id="deb-1",
            debtor_number="D-deb-1",
            invoice_date=date(2025, 2, 1),
            amount=Decimal("-50.00"),
            open_amount=Decimal("-50.00"),
            currency="EUR",
        )
    )
    await collection.invoice()
    await collection.ready()

    [case] = await collection.cases()
    assert case["status"] == "proposed"
    [proposed] = await collection.events("proposed")
    assert "unmatched credit note" in proposed["why"]


async def test_a_second_ready_invoice_joins_the_debtors_case(collection: Collection) -> None:
    case_id = await a_consumer_case(collection)
    await collection.invoice("inv-2", amount="500.00")
    await collection.ready("inv-2", amount="500.00")

    case = await collection.case(case_id)
    assert case["invoice_ids"] == ["inv-1", "inv-2"]
    assert case["balance"]["principal"] == "1500.00"
    # Costs on the summed principal: 15% of 1,500.00.
    assert case["costs"]["amount"] == "225.00"


async def test_dunnings_fact_before_the_importers_waits_for_the_invoice(
    collection: Collection,
) -> None:
    await collection.settings(opening="automatic")
    await collection.debtor()
    await collection.ready()
    assert await collection.cases() == []

    await collection.invoice()

    [case] = await collection.cases()
    assert case["invoice_ids"] == ["inv-1"] and case["status"] == "open"


async def test_no_costs_before_the_consumers_fourteen_day_term_has_passed(
    collection: Collection,
) -> None:
    await collection.settings(opening="automatic", letter_delivery_days=2)
    await collection.debtor()
    await collection.invoice()
    # Ready the day after the letter's email: the letter counts as received on 12 March.
    await collection.ready(on=date(2025, 3, 11), letter=date(2025, 3, 10))
    [case] = await collection.cases()
    collection.today(date(2025, 3, 26))

    early = await collection.post(case["case_id"], "charges", {"part": "costs"})

    assert early.status_code == 409
    assert early.json()["error"] == "costs_not_yet_allowed"
    assert "from 2025-03-27" in early.json()["detail"]
    collection.today(date(2025, 3, 27))
    charged = await collection.post(case["case_id"], "charges", {"part": "costs"})
    assert charged.status_code == 200, charged.text
    assert charged.json()["balance"]["costs_open"] == "150.00"


async def test_a_consumer_without_a_provable_letter_is_charged_no_costs(
    collection: Collection,
) -> None:
    await collection.settings(opening="automatic")
    await collection.debtor()
    await collection.invoice()
    await collection.ready(letter=None)
    [case] = await collection.cases()

    refused = await collection.post(case["case_id"], "charges", {"part": "costs"})

    assert refused.status_code == 409 and refused.json()["error"] == "no_legal_letter"


async def test_costs_with_vat_interest_and_a_partial_payment_allocated_by_law(
    collection: Collection,
) -> None:
    case_id = await a_consumer_case(collection, costs_vat=True)
    assert (await collection.post(case_id, "charges", {"part": "costs"})).status_code == 200
    assert (await collection.post(case_id, "charges", {"part": "interest"})).status_code == 200
    collection.today(date(2025, 5, 1))

    case = await collection.case(case_id)
    # 150.00 costs + 31.50 VAT; consumer interest from 27 March: 6% on 1,000.00 for 35
    # days of a 365-day interest year = 5.75.
    assert case["balance"]["costs_open"] == "181.50"
    assert case["balance"]["interest_open"] == "5.75"
    [invoice] = case["invoices"]
    assert invoice["interest_from"] == "2025-03-27"
    assert [(p["start"], p["days"], p["rate"]) for p in invoice["interest_periods"]] == [
        ("2025-03-27", 35, "6")
    ]

    paid = await collection.client.post(
        f"{BASE}/cases/{case_id}/payments", json={"amount": "300.00", "reference": "bank 17"}
    )

    assert paid.status_code == 201, paid.text
    case = await collection.case(case_id)
    [payment] = case["payments"]
    assert (payment["costs"], payment["interest"], payment["principal"]) == (
        "181.50",
        "5.75",
        "112.75",
    )
    assert case["balance"]["principal_open"] == "887.25"
    assert case["balance"]["costs_open"] == "0.00" and case["balance"]["interest_open"] == "0.00"
    [allocated] = await collection.events("payment_allocated")
    assert allocated["costs"] == "181.50" and allocated["balance"]["principal"] == "887.25"


async def test_a_user_may_allocate_a_payment_otherwise(collection: Collection) -> None:
    case_id = await a_consumer_case(collection)
    await collection.post(case_id, "charges", {"part": "costs"})
    paid = await collection.client.post(
        f"{BASE}/cases/{case_id}/payments", json={"amount": "200.00"}
    )
    payment_id = paid.json()["payment_id"]

    changed = await collection.client.put(
        f"{BASE}/cases/{case_id}/payments/{payment_id}/allocation",
        json={"order": "principal_interest_costs"},
    )

    assert changed.status_code == 200
    [payment] = changed.json()["payments"]
    assert (payment["principal"], payment["costs"]) == ("200.00", "0.00")
    assert changed.json()["balance"]["costs_open"] == "150.00"


async def test_a_payment_booked_after_it_was_reported_is_not_counted_twice(
    collection: Collection,
) -> None:
    case_id = await a_consumer_case(collection)
    await collection.client.post(f"{BASE}/cases/{case_id}/payments", json={"amount": "400.00"})

    # The next import shows the same 400.00 booked on the invoice, and 100.00 more.
    await collection.open_amount("inv-1", "500.00", before="1000.00")

    case = await collection.case(case_id)
    assert [p["amount"] for p in case["payments"]] == ["400.00", "100.00"]
    assert case["balance"]["principal_open"] == "500.00"


async def test_remitting_more_than_is_charged_is_refused(collection: Collection) -> None:
    case_id = await a_consumer_case(collection)
    await collection.post(case_id, "charges", {"part": "costs"})

    too_much = await collection.post(
        case_id, "remissions", {"part": "costs", "amount": "150.01", "reason": "goodwill"}
    )
    no_interest = await collection.post(
        case_id, "remissions", {"part": "interest", "reason": "goodwill"}
    )
    part = await collection.post(
        case_id, "remissions", {"part": "costs", "amount": "50.00", "reason": "goodwill"}
    )

    assert too_much.status_code == 422 and too_much.json()["error"] == "remit_too_much"
    assert "150.00 of the costs is charged and open" in too_much.json()["detail"]
    assert no_interest.status_code == 422
    assert part.status_code == 200 and part.json()["balance"]["costs_open"] == "100.00"
    assert any("goodwill" in (e["detail"] or "") for e in part.json()["timeline"])


async def test_a_case_for_invoices_of_two_debtors_is_refused(collection: Collection) -> None:
    await collection.debtor("deb-1")
    await collection.debtor("deb-2")
    await collection.invoice("inv-1", debtor_id="deb-1")
    await collection.invoice("inv-2", debtor_id="deb-2")

    refused = await collection.client.post(
        f"{BASE}/cases", json={"invoice_ids": ["inv-1", "inv-2"]}
    )
    unknown = await collection.client.post(f"{BASE}/cases", json={"invoice_ids": ["nope"]})

    assert refused.status_code == 422 and refused.json()["error"] == "invalid_case"
    assert "2 debtors" in refused.json()["detail"]
    assert unknown.status_code == 404
    assert await collection.cases() == []


async def test_paying_the_principal_closes_the_case_when_the_administration_chose_so(
    collection: Collection,
) -> None:
    case_id = await a_consumer_case(collection, close_when_principal_paid=True)
    await collection.post(case_id, "charges", {"part": "costs"})
    await collection.client.post(
        f"{BASE}/cases/{case_id}/payments",
        json={"amount": "600.00", "order": "principal_interest_costs"},
    )
    case = await collection.case(case_id)
    assert case["status"] == "open" and case["balance"]["principal_open"] == "400.00"

    await collection.client.post(
        f"{BASE}/cases/{case_id}/payments",
        json={"amount": "400.00", "order": "principal_interest_costs"},
    )

    case = await collection.case(case_id)
    assert (case["status"], case["outcome"]) == ("closed", "remitted")
    assert case["balance"]["total"] == "0.00" and case["balance"]["costs_remitted"] == "150.00"
    [closed] = await collection.events("closed")
    assert closed["outcome"] == "remitted"


async def test_a_business_is_charged_the_commercial_rate_from_the_day_after_the_due_date(
    collection: Collection,
) -> None:
    await collection.settings(opening="automatic")
    await collection.debtor(kind="business")
    await collection.invoice(due=date(2024, 12, 31), amount="10000.00")
    await collection.ready(letter=None, amount="10000.00")
    [case] = await collection.cases()
    await collection.post(case["case_id"], "charges", {"part": "interest"})

    shown = await collection.case(case["case_id"], as_of="2025-05-01")

    # 11.15% on 10,000.00 for the 120 days from 1 January of a 365-day interest year.
    assert shown["interest_kind"] == "commercial"
    assert shown["balance"]["interest_open"] == "366.58"
    assert shown["costs"]["amount"] == "875.00" and shown["costs"]["allowed_from"] is None


async def test_settings_name_a_partner_of_the_registry(collection: Collection) -> None:
    partners = (await collection.client.get(f"{BASE}/collection/partners")).json()
    assert [p["partner_id"] for p in partners] == ["example-bailiff"]
    current = (await collection.client.get(f"{BASE}/collection/settings")).json()

    unknown = await collection.client.put(
        f"{BASE}/collection/settings", json={**current, "partner_id": "no-such-bailiff"}
    )
    own_without_email = await collection.client.put(
        f"{BASE}/collection/settings", json={**current, "partner_id": "own_partner"}
    )

    assert unknown.status_code == 422 and "not in the registry" in unknown.json()["detail"]
    assert own_without_email.status_code == 422
    assert "partner_email" in own_without_email.json()["detail"]
