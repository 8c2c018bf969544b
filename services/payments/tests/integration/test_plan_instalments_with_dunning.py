"""A plan's instalment paid end to end, with dunning and the payments service as processes on
a real Kafka-protocol broker and PostgreSQL: dunning publishes the plan, the payments service
learns it and opens a checkout for the instalment's amount, the debtor pays at the local PSP,
and dunning counts the payment toward the plan (the invoice stays held by the plan, not by an
online-payment hold)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from settle_shared.events.importer import DebtorUpserted, InvoiceImported

from .test_payments_with_dunning import ADM, TOKEN, dunning_and_payments, eventually, publish

pytestmark = pytest.mark.integration


async def test_an_instalment_paid_at_the_psp_counts_toward_the_plan_in_dunning(
    postgres_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    services = dunning_and_payments(postgres_url, kafka_bootstrap, tmp_path)
    async with services as (_, dunning, payments):
        await publish(
            kafka_bootstrap,
            DebtorUpserted(
                administration_id=ADM,
                debtor_id="deb-1",
                number="D1",
                version=1,
                name="Bakkerij De Korenaar",
                kind="business",
                emails=["a@korenaar.example"],
            ),
            InvoiceImported(
                administration_id=ADM,
                invoice_id="inv-1",
                number="2025-001",
                version=1,
                run_id="run-1",
                debtor_id="deb-1",
                debtor_number="D1",
                invoice_date=date(2025, 1, 6),
                due_date=date(2025, 2, 5),
                amount=Decimal("100.00"),
                open_amount=Decimal("100.00"),
                currency="EUR",
            ),
        )
        plans = f"{dunning}/internal/v1/administrations/{ADM}/plans"
        async with httpx.AsyncClient(timeout=10, headers=TOKEN) as client:

            async def planned() -> httpx.Response | None:
                answer = await client.post(
                    plans,
                    json={
                        "invoice_ids": ["inv-1"],
                        "kind": "weekly",
                        # dunning runs on the real clock here
                        "first_date": (date.today() + timedelta(days=7)).isoformat(),
                        "instalments": 3,
                    },
                )
                return answer if answer.status_code == 201 else None

            plan = (await eventually(planned)).json()
            base = f"{payments}/api/v1/administrations/{ADM}/payments"

            async def opened() -> httpx.Response | None:
                answer = await client.post(
                    base,
                    json={
                        "debtor_id": "deb-1",
                        "plan_id": plan["plan_id"],
                        "instalment": 1,
                        "idempotency_key": "instalment-1",
                        "redirect_url": "https://portal.example/done",
                    },
                )
                return answer if answer.status_code == 201 else None

            payment = (await eventually(opened)).json()
            assert payment["amount"] == "33.33" and payment["plan_id"] == plan["plan_id"]

            # Once dunning knows the payment is open, it refuses to change the schedule
            # under it.
            async def in_flight() -> bool:
                shown = (await client.get(f"{plans}/{plan['plan_id']}")).json()
                return bool(shown["payment_in_flight"])

            await eventually(in_flight)
            edit = await client.put(
                f"{plans}/{plan['plan_id']}",
                json={"kind": "delayed", "first_date": plan["instalments"][2]["due_on"]},
            )
            assert edit.status_code == 409 and edit.json()["error"] == "payment_in_flight"
            chosen = await client.post(
                payment["checkout_url"], data={"outcome": "paid", "method": "ideal"}
            )
            assert chosen.status_code == 303

            async def counted() -> dict[str, object] | None:
                shown = (await client.get(f"{plans}/{plan['plan_id']}")).json()
                return shown if shown["paid_amount"] == "33.33" else None

            shown = await eventually(counted)
            assert [i["status"] for i in shown["instalments"]] == ["paid", "open", "open"]
            invoice = (
                await client.get(f"{dunning}/internal/v1/administrations/{ADM}/invoices/inv-1")
            ).json()
            assert invoice["blocked_by"] == "payment_plan_active"

            # Paid and counted: instalment 1 cannot be paid twice.
            async def instalment_paid() -> bool:
                again = await client.post(
                    base,
                    json={
                        "debtor_id": "deb-1",
                        "plan_id": plan["plan_id"],
                        "instalment": 1,
                        "idempotency_key": "instalment-1-again",
                        "redirect_url": "https://portal.example/done",
                    },
                )
                return again.json().get("error") == "instalment_paid"

            await eventually(instalment_paid)
