"""Messages about payment plans: the confirmation states the schedule, an instalment's
reminder and missed notice name the instalment, a rejected proposal asks for the open
amount; every one in the debtor's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from settle_shared.events.dunning import MessagePaymentPlan, MessagePlanInstalment

from .conftest import MessagingHarness, make_request

pytestmark = pytest.mark.service


def _plan(instalment: int | None = None) -> MessagePaymentPlan:
    return MessagePaymentPlan(
        plan_id="plan-1",
        total=Decimal("1494.50"),
        left=Decimal("1494.50"),
        currency="EUR",
        instalments=[
            MessagePlanInstalment(
                number=n, due_on=date(2025, 3 + n, 1), amount=Decimal(a), paid_amount=Decimal(0)
            )
            for n, a in ((1, "498.16"), (2, "498.16"), (3, "498.18"))
        ],
        instalment=instalment,
    )


@pytest.mark.parametrize(
    ("template_key", "instalment", "says"),
    [
        ("payment_plan_confirmation", None, ["betalingsregeling", "498,18", "3"]),
        ("payment_plan_instalment_reminder", 2, ["termijn 2 van 3", "498,16"]),
        ("payment_plan_instalment_missed", 3, ["termijn 3 van 3", "498,18", "nog niet ontvangen"]),
        ("payment_plan_rejected", None, ["voorstel", "1.494,50"]),
    ],
)
async def test_a_plan_message_says_what_the_plan_asks(
    service: MessagingHarness, template_key: str, instalment: int | None, says: list[str]
) -> None:
    await service.deliver(
        make_request(
            message_request_id=f"plan-{template_key}",
            template_key=template_key,
            payment_plan=_plan(instalment),
        )
    )
    [message] = await service.messages()
    assert message.state == "queued", message.failure_detail
    for words in says:
        assert words in message.body_text.lower(), (words, message.body_text)
    if instalment is not None:
        # The instalment's portal page pays what is left of it.
        assert f"/plans/plan-1/instalments/{instalment}" in message.body_text
