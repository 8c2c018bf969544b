"""Invoices in a collection case are held by their case: dunning stops its own flow for them,
follows the case's phase, and gives them back when a case is withdrawn. The debtor's "ready for
collection" item is resolved when a case opens or is declined."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from settle_dunning.domain.attention import (
    AttentionAction,
    AttentionChange,
    AttentionReason,
    AttentionSubject,
)
from settle_shared.db import transaction
from settle_shared.events import collection

from .conftest import ADM, Dunning

pytestmark = pytest.mark.service


def case_event(kind: type[collection.CaseEvent], case_id: str = "case-1", **fields: Any) -> Any:
    common: dict[str, Any] = {
        "administration_id": ADM,
        "case_id": case_id,
        "debtor_id": "deb-1",
        "invoice_ids": ["inv-1"],
        "status": "open",
        "step": "new",
        "balance": collection.CaseBalance(
            principal=Decimal("121.00"),
            costs=Decimal("0.00"),
            interest=Decimal("0.00"),
            total=Decimal("121.00"),
            currency="EUR",
            as_of=date(2025, 3, 20),
        ),
        "on": date(2025, 3, 20),
    }
    common.update(fields)
    return kind(**common)


async def test_an_invoice_in_a_case_is_held_by_its_case_and_follows_its_phase(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()

    await dunning.deliver(case_event(collection.CaseOpened, how="automatic"))

    view = await dunning.invoice_view()
    assert view["phase"] == "in_collection"
    assert view["blocked_by"] == "collection_case"
    assert view["planned"] == []
    [phase] = await dunning.events("phase.changed")
    assert (phase["previous_phase"], phase["phase"]) == ("sent", "in_collection")
    # The daily run leaves it alone.
    ran = await dunning.run(date(2025, 6, 2))
    assert ran.json()["steps_executed"] == 0

    await dunning.deliver(
        case_event(
            collection.CaseForwarded,
            step="pre_court",
            handoff_id="h-1",
            partner_id="example-bailiff",
        )
    )
    assert (await dunning.invoice_view())["phase"] == "with_bailiff"


async def test_a_withdrawn_case_gives_its_invoices_back_at_ready_for_collection(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    await dunning.deliver(case_event(collection.CaseOpened, how="automatic"))

    await dunning.deliver(
        case_event(collection.CaseClosed, status="closed", outcome="withdrawn", reason="settled")
    )

    view = await dunning.invoice_view()
    assert (view["phase"], view["blocked_by"]) == ("ready_for_collection", None)


async def test_a_late_event_of_an_older_case_does_not_release_the_newer_one(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    await dunning.deliver(case_event(collection.CaseOpened, case_id="case-2", how="by_hand"))

    await dunning.deliver(
        case_event(collection.CaseClosed, case_id="case-1", status="closed", outcome="withdrawn")
    )

    assert (await dunning.invoice_view())["blocked_by"] == "collection_case"


async def test_opening_or_declining_a_case_resolves_ready_for_collection(
    dunning: Dunning,
) -> None:
    await dunning.debtor()
    await dunning.invoice()
    state = dunning.harness.runtime.app.state.dunning
    async with transaction(state.sessions) as session:
        await state.repositories(session).attention.apply(
            ADM,
            [
                AttentionChange(
                    AttentionAction.RAISE,
                    AttentionReason.READY_FOR_COLLECTION,
                    AttentionSubject.DEBTOR,
                    "deb-1",
                    "ready",
                    ("inv-1",),
                )
            ],
        )
    assert [i["reason"] for i in await dunning.attention()] == ["ready_for_collection"]

    await dunning.deliver(
        case_event(collection.CaseDeclined, status="declined", reason="we call them first")
    )

    assert await dunning.attention() == []
    [resolved] = await dunning.attention(status="all")
    assert "declined (we call them first)" in resolved["resolution"]
