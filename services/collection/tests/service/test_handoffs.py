"""Forwarding a case to its judicial collection partner: a direct partner gets the handoff
event (valid under the published AsyncAPI document), an own partner one email with the
dossier; a partner's reports move the case, and reports it cannot apply are dead-lettered."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from settle_collection.adapters.dossier import write_dossier
from settle_collection.application.handoffs import send_dossiers
from settle_collection.application.ports import MessageText, OutgoingMail
from settle_shared.events import collection, messaging

from .conftest import ADM, BASE, Collection, a_consumer_case

pytestmark = pytest.mark.service

ASYNCAPI = Path(__file__).parents[4] / "docs" / "asyncapi" / "bailiffs.json"


async def forwarded(service: Collection, **settings: Any) -> tuple[str, dict[str, Any]]:
    """A consumer's case, costs and interest charged, forwarded to the example partner: the
    case id and the handoff published."""
    case_id = await a_consumer_case(service, partner_id="example-bailiff", **settings)
    await service.deliver(
        messaging.MessageSent(
            administration_id=ADM,
            message_id="msg-letter",
            debtor_id="deb-1",
            invoice_ids=["inv-1"],
            thread_id="t-1",
            subject_line="Laatste herinnering (14-dagenbrief)",
            channel="email",
            recipients=["deb-1@example.nl"],
            template_key="fourteen_day_letter",
            sent_at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
            legally_required=True,
        )
    )
    await service.post(case_id, "charges", {"part": "costs"})
    await service.post(case_id, "charges", {"part": "interest"})
    answer = await service.post(case_id, "forward")
    assert answer.status_code == 200, answer.text
    [handoff] = await service.events("handed_off")
    return case_id, handoff


def validator(document: dict[str, Any], name: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        "urn:bailiffs", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:bailiffs#/components/schemas/{name}"}, registry=registry
    )


async def test_a_direct_partner_gets_everything_a_bailiff_needs(collection: Collection) -> None:
    case_id, handoff = await forwarded(collection)

    case = await collection.case(case_id)
    assert (case["step"], case["partner_id"], case["partner_status"]) == (
        "pre_court",
        "example-bailiff",
        "sent",
    )
    document = json.loads(ASYNCAPI.read_text())
    assert list(validator(document, "CaseHandedOff").iter_errors(handoff)) == []
    assert handoff["debtor"]["addresses"][0]["city"] == "Utrecht"
    [invoice] = handoff["invoices"]
    assert invoice["pdf_url"] == "https://books.example/inv-1.pdf"
    amounts = handoff["amounts"]
    assert (amounts["principal"], amounts["costs"], amounts["interest_kind"]) == (
        "1000.00",
        "150.00",
        "consumer",
    )
    assert handoff["fourteen_day_letter"]["message_ids"] == ["msg-letter"]
    assert handoff["fourteen_day_letter"]["term_ends_on"] == "2025-03-26"
    assert any(e["kind"] == "message" and e["legally_required"] for e in handoff["timeline"])
    [event] = await collection.events("forwarded")
    assert event["handoff_id"] == handoff["handoff_id"] and event["step"] == "pre_court"


def report(handoff: dict[str, Any], sequence: int, kind: str, **extra: Any) -> Any:
    return collection.PartnerUpdate(
        update_id=f"u-{sequence}-{kind}",
        administration_id=handoff["administration_id"],
        case_id=handoff["case_id"],
        handoff_id=handoff["handoff_id"],
        partner_id="example-bailiff",
        sequence=sequence,
        kind=kind,
        reported_at=datetime(2025, 4, 2, 10, 0, tzinfo=UTC),
        **extra,
    )


async def test_the_case_follows_the_partners_reports(collection: Collection) -> None:
    case_id, handoff = await forwarded(collection)

    await collection.deliver(report(handoff, 1, "accepted"))
    await collection.deliver(
        report(handoff, 2, "payment_received", amount=Decimal("200.00"), currency="EUR")
    )
    # The same report again, and an older one late: nothing changes.
    await collection.deliver(
        report(handoff, 2, "payment_received", amount=Decimal("200.00"), currency="EUR")
    )
    await collection.deliver(report(handoff, 1, "rejected", reason="late"))

    case = await collection.case(case_id)
    assert case["partner_status"] == "accepted" and case["step"] == "pre_court"
    [payment] = case["payments"]
    assert (payment["source"], payment["amount"], payment["costs"]) == (
        "partner",
        "200.00",
        "150.00",
    )
    kinds = [e["kind"] for e in await collection.events("partner_reported")]
    assert kinds == ["accepted", "payment_received"]

    await collection.deliver(report(handoff, 3, "proceedings_started"))
    await collection.deliver(report(handoff, 4, "closed", outcome="uncollectable", reason="gone"))
    case = await collection.case(case_id)
    assert (case["step"], case["status"], case["outcome"]) == (
        "with_bailiff",
        "closed",
        "uncollectable",
    )


async def test_reports_about_cases_the_partner_does_not_hold_are_dead_lettered(
    collection: Collection,
) -> None:
    case_id, handoff = await forwarded(collection)

    await collection.deliver(report({**handoff, "case_id": "no-such-case"}, 1, "accepted"))
    other = report({**handoff, "administration_id": "adm-2"}, 1, "accepted")
    await collection.deliver(other, administration_id="adm-2")
    await collection.deliver(report({**handoff, "handoff_id": "forged"}, 1, "accepted"))
    await collection.deliver(report(handoff, 1, "payment_received"))  # no amount
    # Not even a report: a payload its model refuses.
    await collection.harness.runtime.broker.publish(
        b'{"kind": "paid everything"}',
        "collection.partner-updates.v1",
        key=case_id.encode(),
        headers={
            "ce_specversion": "1.0",
            "ce_id": "bad-1",
            "ce_type": "settle.collection.partner.update",
            "ce_source": "/partners/example-bailiff",
            "ce_time": "2025-04-02T10:00:00+00:00",
            "administration_id": ADM,
        },
    )
    # The consumer went on: a good report after them is applied.
    await collection.deliver(report(handoff, 1, "accepted"))

    for _ in range(50):
        if len(collection.dead) == 5:
            break
        await asyncio.sleep(0.05)
    assert len(collection.dead) == 5
    assert (await collection.case(case_id))["partner_status"] == "accepted"


class Mailbox:
    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []

    async def send(self, mail: OutgoingMail) -> None:
        self.sent.append(mail)


class Sources:
    def __init__(self) -> None:
        self.texts = [
            MessageText(
                "msg-letter",
                "Laatste herinnering (14-dagenbrief)",
                "Geachte heer De Vries, …",
                "email",
                "outbound",
                datetime(2025, 3, 10, 9, 0, tzinfo=UTC),
            )
        ]

    async def message_texts(self, administration_id: str, debtor_id: str) -> list[MessageText]:
        return self.texts

    async def invoice_pdf(self, url: str) -> bytes | None:
        return b"%PDF-1.4 invoice" if url.endswith("inv-1.pdf") else None


async def test_an_own_partner_gets_one_email_with_the_dossier(collection: Collection) -> None:
    await collection.settings(partner_id="own_partner", partner_email="dossiers@bailiff.example")
    case_id = await a_consumer_case(collection)
    await collection.post(case_id, "charges", {"part": "costs"})
    assert (await collection.post(case_id, "forward")).status_code == 200
    assert await collection.events("handed_off") == []  # no event for an own partner
    ctx = collection.ctx
    mailbox = Mailbox()
    ctx.mailer, ctx.dossier_sources, ctx.write_dossier = mailbox, Sources(), write_dossier

    assert await send_dossiers(ctx) == 1
    assert await send_dossiers(ctx) == 0  # once

    [mail] = mailbox.sent
    assert mail.to == "dossiers@bailiff.example"
    assert mail.subject == "Incassodossier Debtor deb-1 (EUR 1150.00)"
    [attachment] = mail.attachments
    archive = zipfile.ZipFile(io.BytesIO(attachment.content))
    names = sorted(archive.namelist())
    assert names == [
        "handoff.json",
        "invoices/2025-inv-1.pdf",
        "messages/01-2025-03-10-outbound-email.txt",
        "summary.pdf",
    ]
    document = json.loads(archive.read("handoff.json"))
    assert document["case_id"] == case_id and document["partner_id"] == "own_partner"
    assert archive.read("summary.pdf").startswith(b"%PDF")
    assert "Geachte heer De Vries" in archive.read(names[2]).decode()
    shown = await collection.case(case_id)
    [handoff] = shown["handoffs"]
    assert handoff["emailed_at"] is not None and handoff["email_to"] == mail.to


async def test_forwarding_without_a_partner_says_what_to_do(collection: Collection) -> None:
    case_id = await a_consumer_case(collection)

    refused = await collection.post(case_id, "forward")

    assert refused.status_code == 409 and refused.json()["error"] == "no_partner"
    assert "choose one in the collection settings" in refused.json()["detail"]
    assert (await collection.case(case_id))["step"] == "new"


async def test_the_schedule_steps_cases_with_their_messages_and_forwards_by_itself(
    collection: Collection,
) -> None:
    from settle_collection.application.schedule import run_schedule

    case_id = await a_consumer_case(
        collection, step_days=7, partner_id="example-bailiff", forwarding="automatic"
    )
    steps = []
    for day in (date(2025, 4, 8), date(2025, 4, 15), date(2025, 4, 22), date(2025, 4, 29)):
        collection.today(day)
        await run_schedule(collection.ctx)
        assert await run_schedule(collection.ctx) == 0  # the same day again: nothing
        steps.append((await collection.case(case_id))["step"])

    assert steps == ["reminder", "second_reminder", "notice_of_default", "pre_court"]
    requests = await collection.events("requested")
    assert [(r["step"], r["channels"]) for r in requests] == [
        ("reminder", ["email"]),
        ("second_reminder", ["email"]),
        ("notice_of_default", ["email", "letter"]),
    ]
    assert requests[2]["subject_line"] == "Ingebrekestelling: openstaande vordering 2025-inv-1"
    assert "€ 1.000,00" in requests[2]["body"]
    assert len(await collection.events("handed_off")) == 1
    assert BASE  # the API path, for readers of this module
