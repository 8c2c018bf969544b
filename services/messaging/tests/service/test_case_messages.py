"""The messages of collection cases' steps: collection writes the text, messaging sends it in
the administration's layout on the case's timeline, by email and by letter, once."""

from __future__ import annotations

from datetime import date

import pytest

from settle_shared.events.collection import (
    CaseMessageAddress,
    CaseMessageDebtor,
    CaseMessageRequested,
)

from .conftest import BASE, MessagingHarness

pytestmark = pytest.mark.service


def notice_of_default() -> CaseMessageRequested:
    return CaseMessageRequested(
        message_request_id="case-1:notice_of_default",
        administration_id="adm-1",
        case_id="case-1",
        step="notice_of_default",
        business_date=date(2025, 5, 2),
        debtor=CaseMessageDebtor(
            debtor_id="deb-1",
            number="D-1001",
            name="J. de Vries",
            kind="consumer",
            emails=["jan@devries.example"],
            address=CaseMessageAddress(
                street="Dorpsstraat 1", postal_code="1234 AB", city="Utrecht", country="NL"
            ),
        ),
        invoice_ids=["inv-1"],
        channels=["email", "letter"],
        language="nl",
        subject_line="Ingebrekestelling: openstaande vordering 2025-0042",
        body="Geachte J. de Vries,\n\nHierbij stellen wij u in gebreke.\n\nTotaal: € 1.181,50",
        sender_name="Bakkerij De Korenaar",
    )


async def test_a_case_step_message_goes_out_by_email_and_letter_on_the_cases_timeline(
    service: MessagingHarness,
) -> None:
    request = notice_of_default()
    await service.harness.deliver(request, administration_id="adm-1", event_id="evt-1")
    await service.harness.deliver(request, administration_id="adm-1", event_id="evt-2")

    messages = await service.messages()
    assert sorted((m.channel, m.state, m.case_id) for m in messages) == [
        ("email", "queued", "case-1"),
        ("letter", "queued", "case-1"),
    ]
    assert {m.subject for m in messages} == {request.subject_line}
    assert all("Hierbij stellen wij u in gebreke." in m.body_text for m in messages)
    timeline = await service.client.get(f"{BASE}/messages", params={"case_id": "case-1"})
    assert len(timeline.json()["items"]) == 2
    [letter] = [p for k, p in await service.events() if k.endswith("posting")]
    assert letter["case_id"] == "case-1" and letter["invoice_ids"] == ["inv-1"]
